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
