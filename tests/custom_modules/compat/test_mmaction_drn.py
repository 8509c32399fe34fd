"""mmaction2 1.2.0 imports (its missing drn package is stubbed) and TSM builds and runs."""
from __future__ import annotations

import sys

import torch

import custom_modules  # noqa: F401
from custom_modules.compat.mmaction_drn import DRN_MODULES, drn_is_missing


def test_mmaction_models_import_and_tsm_runs():
    import mmaction.models  # noqa: F401  (raised ModuleNotFoundError before the patch)
    from mmaction.registry import MODELS

    if drn_is_missing():
        assert all(name in sys.modules for name in DRN_MODULES)
    backbone = MODELS.build(dict(type='ResNetTSM', depth=18, num_segments=4, pretrained=None,
                                 pretrained2d=False))
    backbone.init_weights()
    out = backbone(torch.rand(4, 3, 32, 32))  # [N * num_segments, C, H, W]
    assert out.shape == (4, 512, 1, 1)


def test_color_jitter_hue_works_with_numpy2():
    """mmaction's ColorJitter overflowed uint8 on negative hue shifts under numpy 2."""
    import numpy as np
    from mmaction.registry import TRANSFORMS

    from custom_modules.compat.numpy2 import adjust_hue

    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 200
    shifted = adjust_hue(red.astype(np.float32), -0.5)  # a negative shift: the crashing case
    assert shifted.dtype == np.float32 and shifted.shape == red.shape
    import cv2

    hue = cv2.cvtColor(shifted.astype(np.uint8), cv2.COLOR_RGB2HSV)[0, 0, 0]
    assert abs(int(hue) - (0 - 127) % 180) <= 1  # red (hue 0) rotated by -127 of 180
    np.testing.assert_allclose(adjust_hue(red.astype(np.float32), 0.0), red, atol=1)

    jitter = TRANSFORMS.build(dict(type='ColorJitter', brightness=0, contrast=0, saturation=0,
                                   hue=(-0.5, -0.4)))
    out = jitter.transform({'imgs': [red, red]})
    assert len(out['imgs']) == 2 and out['imgs'][0].dtype == np.uint8
