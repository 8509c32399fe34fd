"""RandomShiftScaleRotate and GaussianNoise: shapes, dtypes, probability, real changes."""
from __future__ import annotations

import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

import custom_modules  # noqa: F401


def image(h: int = 40, w: int = 60) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[10:30, 20:40] = (200, 100, 50)
    return img


def test_shift_scale_rotate_warps_and_keeps_size():
    np.random.seed(0)
    t = TRANSFORMS.build(dict(type='RandomShiftScaleRotate', shift_limit=0.1, scale_limit=0.2,
                              rotate_limit=30, prob=1.0, border='constant'))
    img = image()
    out = t(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8
    assert not np.array_equal(out, img)
    # an identity warp (all limits 0) changes nothing
    same = TRANSFORMS.build(dict(type='RandomShiftScaleRotate', shift_limit=0, scale_limit=0,
                                 rotate_limit=0, prob=1.0))
    np.testing.assert_array_equal(same(dict(img=img.copy()))['img'], img)
    never = TRANSFORMS.build(dict(type='RandomShiftScaleRotate', prob=0.0))
    np.testing.assert_array_equal(never(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError, match='border'):
        TRANSFORMS.build(dict(type='RandomShiftScaleRotate', border='wrap'))


def test_shift_scale_rotate_matrix_limits():
    t = TRANSFORMS.build(dict(type='RandomShiftScaleRotate', shift_limit=0.1, scale_limit=0.2,
                              rotate_limit=30))
    rng = np.random.default_rng(0)
    for _ in range(50):
        m = t.matrix(100, 50, rng)
        scale = np.hypot(m[0, 0], m[0, 1])
        assert 0.8 - 1e-9 <= scale <= 1.2 + 1e-9
        assert abs(np.degrees(np.arctan2(m[0, 1], m[0, 0]))) <= 30 + 1e-6


def test_gaussian_noise_statistics_and_probability():
    np.random.seed(1)
    img = np.full((64, 64, 3), 128, np.uint8)
    t = TRANSFORMS.build(dict(type='GaussianNoise', std_range=(8.0, 8.0), prob=1.0))
    out = t(dict(img=img.copy()))['img']
    assert out.dtype == np.uint8 and out.shape == img.shape
    diff = out.astype(np.float64) - 128
    assert abs(diff.mean()) < 0.5 and 7.0 < diff.std() < 9.0
    plane = TRANSFORMS.build(dict(type='GaussianNoise', std_range=(8.0, 8.0), per_channel=False,
                                  prob=1.0))(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(plane[..., 0], plane[..., 2])
    never = TRANSFORMS.build(dict(type='GaussianNoise', prob=0.0))
    np.testing.assert_array_equal(never(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError):
        TRANSFORMS.build(dict(type='GaussianNoise', std_range=(5.0, 1.0)))


def test_crash_train_pipeline_runs():
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope

    from tests.conftest import REPO_ROOT

    cfg = Config.fromfile(str(REPO_ROOT / 'configs/_base_/datasets/crash_frames.py'))
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([TRANSFORMS.build(s) for s in cfg.train_pipeline[1:]])
        for _ in range(5):
            out = pipeline(dict(img=image(90, 160)))
            assert tuple(out['inputs'].shape) == (3, 384, 384)
