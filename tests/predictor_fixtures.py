"""Predictor-test helpers: tiny crash and image checkpoints, generated clips and frame labels.

Shared by the tests of custom_modules.apis and of the prediction command lines: the conftest.py of
those folders star-imports this module, which registers the fixtures there.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import REPO_ROOT

CRASH_CONFIG = REPO_ROOT / 'configs/crash/tinyconvnet_1xb16-cos-4e_crash-demo-frames-64px.py'
IMAGE_CONFIG = REPO_ROOT / 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'
IMAGE_CLASSES = ['ant', 'bee', 'cow']


@pytest.fixture(scope='session')
def crash_checkpoint(tmp_path_factory) -> Path:
    """The tiny crash model's initialised weights as a plain (weights-only) checkpoint."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import custom_modules  # noqa: F401
    from custom_modules.registry import library_registry

    torch.manual_seed(0)
    cfg = Config.fromfile(str(CRASH_CONFIG))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = library_registry('mmpretrain').build(cfg.model)
    model.init_weights()
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return path


@pytest.fixture(scope='session')
def image_data(tmp_path_factory) -> Path:
    """Five images (one in a sub-folder, one PNG), a shuffled test.csv and a 3-class checkpoint
    (``model.pth``) with its class names in ``meta.dataset_meta``."""
    import cv2
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from custom_modules.demo_data.sports_demo import render

    root = tmp_path_factory.mktemp('predict')
    rng = np.random.default_rng(0)
    names = ['b.jpg', 'a.jpg', 'sub/c.jpg', 'd.png', 'e.jpg']
    for i, name in enumerate(names):
        (root / 'img' / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'img' / name), render(['disc', 'checker', 'h_stripes'][i % 3], rng))
    (root / 'test.csv').write_text('image_id\ne\nsub/c.jpg\na\nd\nb.jpg\n')
    cfg = Config.fromfile(str(IMAGE_CONFIG))
    cfg.model.head.num_classes = len(IMAGE_CLASSES)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': tuple(IMAGE_CLASSES)}}}, root / 'model.pth')
    return root


def make_clip(path: Path, n: int, seed: int = 0, size: tuple[int, int] = (80, 48)) -> Path:
    """An mp4 of ``n`` noise frames whose second half is darker (so probabilities vary)."""
    from custom_modules.utils.video import write_video

    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 255, (n, size[1], size[0], 3), dtype=np.uint8)
    frames[n // 2:] //= 3
    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(path, frames, 10)
    return path


def make_labels(path: Path, n: int, base: int = 0, crash: tuple[int, int] = (3, 5)) -> Path:
    """A crash labels CSV of ``n`` frames numbered from ``base``, crush moment in ``crash``."""
    types = ['before crush' if i < crash[0] else 'crush moment' if i < crash[1]
             else 'after crush' for i in range(n)]
    pd.DataFrame({'frame': range(base, base + n), 'type': types}).to_csv(path, index=False)
    return path


@pytest.fixture(scope='session')
def crash_checkpoint_with_config(crash_checkpoint, tmp_path_factory) -> Path:
    """:func:`crash_checkpoint` with its config text in ``meta['cfg']``, as a Runner saves it
    (plain data: it loads weights-only)."""
    from mmengine.config import Config

    state = torch.load(crash_checkpoint, weights_only=True)
    state['meta'] = {'cfg': Config.fromfile(str(CRASH_CONFIG)).pretty_text}
    path = tmp_path_factory.mktemp('ckpt_cfg') / 'tiny_with_config.pth'
    torch.save(state, path)
    return path
