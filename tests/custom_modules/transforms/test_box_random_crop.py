"""BoxRandomCrop keeps the whole object and shifts the box with the crop."""
from __future__ import annotations

import numpy as np
from mmpretrain.registry import TRANSFORMS

import custom_modules  # noqa: F401  (registration)
from custom_modules.transforms.box_geometry import to_original
from tests.custom_modules.transforms.test_letterbox import drawn, pixel_box, random_case


def test_crop_contains_the_object_and_box_follows():
    rng = np.random.default_rng(0)
    np.random.seed(0)
    crop = TRANSFORMS.build(dict(type='BoxRandomCrop', scale=(0.3, 0.8), prob=1.0))
    smaller = 0
    for _ in range(100):
        h, w, box = random_case(rng)
        res = crop(dict(img=drawn(h, w, box), gt_bboxes=np.array([box], np.float32)))
        ch, cw = res['img'].shape[:2]
        assert res['img_shape'] == (ch, cw) and ch <= h and cw <= w
        smaller += ch * cw < h * w
        x1, y1, x2, y2 = box
        assert (ch, cw) >= (y2 - y1, x2 - x1)
        np.testing.assert_array_equal(res['gt_bboxes'][0], pixel_box(res['img']))
        np.testing.assert_allclose(to_original(res['gt_bboxes'], res['box_affine'])[0], box)
    assert smaller > 50  # it does crop


def test_crop_then_flip_then_letterbox_inverts_exactly():
    rng = np.random.default_rng(3)
    np.random.seed(3)
    pipeline = [TRANSFORMS.build(c) for c in (
        dict(type='BoxRandomCrop', scale=(0.5, 1.0), prob=1.0),
        dict(type='BoxRandomFlip', prob=0.5, directions=('horizontal', 'vertical')),
        dict(type='Letterbox', size=48))]
    for _ in range(50):
        h, w, box = random_case(rng)
        res = dict(img=drawn(h, w, box), gt_bboxes=np.array([box], np.float32))
        for t in pipeline:
            res = t(res)
        np.testing.assert_allclose(to_original(res['gt_bboxes'], res['box_affine'], (h, w))[0],
                                   box, atol=1e-3)
