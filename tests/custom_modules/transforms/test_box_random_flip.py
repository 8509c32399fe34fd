"""BoxRandomFlip moves the box with the pixels and keeps the inverse exact."""
from __future__ import annotations

import numpy as np
from mmpretrain.registry import TRANSFORMS

import custom_modules  # noqa: F401  (registration)
from custom_modules.transforms.box_geometry import to_original
from tests.custom_modules.transforms.test_letterbox import drawn, pixel_box, random_case


def test_flips_keep_box_on_the_object():
    rng = np.random.default_rng(0)
    flip = TRANSFORMS.build(dict(type='BoxRandomFlip', prob=1.0,
                                 directions=('horizontal', 'vertical')))
    for _ in range(30):
        h, w, box = random_case(rng)
        res = flip(dict(img=drawn(h, w, box), gt_bboxes=np.array([box], np.float32)))
        assert res['flip'] and res['flip_direction'] == 'horizontal+vertical'
        np.testing.assert_array_equal(res['gt_bboxes'][0], pixel_box(res['img']))
        x1, y1, x2, y2 = box
        np.testing.assert_array_equal(res['gt_bboxes'][0], [w - x2, h - y2, w - x1, h - y1])
        np.testing.assert_allclose(to_original(res['gt_bboxes'], res['box_affine'])[0], box)


def test_prob_zero_never_flips():
    flip = TRANSFORMS.build(dict(type='BoxRandomFlip', prob=0.0))
    img = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    res = flip(dict(img=img.copy(), gt_bboxes=np.array([[0, 0, 1, 1]], np.float32)))
    assert not res['flip'] and res['flip_direction'] is None
    np.testing.assert_array_equal(res['img'], img)
