"""Letterbox and plain resize: the box follows the image, and the inverse is exact."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS, TRANSFORMS

import custom_modules  # noqa: F401  (registration)
from custom_modules.transforms.box_geometry import to_original


def drawn(h: int, w: int, box) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = 255
    return img


def pixel_box(img: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(img[..., 0] > 127)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def random_case(rng: np.random.Generator):
    w, h = (int(v) for v in rng.integers(20, 400, size=2))
    x1, x2 = sorted(rng.choice(np.arange(w + 1), size=2, replace=False))
    y1, y2 = sorted(rng.choice(np.arange(h + 1), size=2, replace=False))
    return h, w, [int(x1), int(y1), int(x2), int(y2)]


@pytest.mark.parametrize('keep_ratio', [True, False])
def test_round_trip_exact_on_random_boxes_and_aspect_ratios(keep_ratio):
    rng = np.random.default_rng(0)
    letterbox = TRANSFORMS.build(dict(type='Letterbox', size=64, keep_ratio=keep_ratio,
                                      pad_val=0))
    target = TRANSFORMS.build(dict(type='BoxTarget'))
    head = MODELS.build(dict(type='BBoxRegHead', num_classes=2, in_channels=4))
    for _ in range(200):
        h, w, box = random_case(rng)
        res = target(letterbox(dict(img=np.zeros((h, w, 3), np.uint8), ori_shape=(h, w),
                                    gt_bboxes=np.array([box], np.float32))))
        assert res['img'].shape == (64, 64, 3) and res['img_shape'] == (64, 64)
        if keep_ratio:
            assert max(64 - res['letterbox_pad'][0] - res['letterbox_pad'][2],
                       64 - res['letterbox_pad'][1] - res['letterbox_pad'][3]) == 64
        else:
            assert res['letterbox_pad'] == (0, 0, 0, 0)
        # The normalised target, mapped back the way the head maps its predictions.
        back = head.to_original(torch.as_tensor(res['gt_bbox']), res).numpy()
        np.testing.assert_allclose(back, box, atol=1e-3)  # float32 target: far below a pixel
        np.testing.assert_allclose(to_original(res['gt_bboxes'], res['box_affine'], (h, w))[0],
                                   box, atol=1e-3)


def test_box_matches_the_letterboxed_pixels():
    rng = np.random.default_rng(1)
    letterbox = TRANSFORMS.build(dict(type='Letterbox', size=96, pad_val=0,
                                      interpolation='nearest'))
    for _ in range(50):
        h, w, box = random_case(rng)
        if min(box[2] - box[0], box[3] - box[1]) * 96 / max(h, w) < 3:
            continue  # too thin to survive downscaling
        res = letterbox(dict(img=drawn(h, w, box), gt_bboxes=np.array([box], np.float32)))
        seen = pixel_box(res['img'])
        np.testing.assert_allclose(res['gt_bboxes'][0], seen, atol=1.0)
        # The pixels found on the network input map back to within a pixel of the original
        # (one input pixel is 1 / scale original pixels).
        scale = min(res['scale_factor'])
        np.testing.assert_allclose(to_original(seen[None], res['box_affine'], (h, w))[0], box,
                                   atol=1.0 / scale + 1e-6)


def test_padding_is_centred_and_recorded():
    res = TRANSFORMS.build(dict(type='Letterbox', size=100, pad_val=7))(
        dict(img=np.full((50, 200, 3), 200, np.uint8)))
    assert res['letterbox_pad'] == (0, 37, 0, 38)
    assert res['scale_factor'] == (0.5, 0.5)
    assert (res['img'][:37] == 7).all() and (res['img'][37:62] == 200).all()
    assert (res['img'][62:] == 7).all()
    assert res['box_affine'] == (0.5, 0.0, 0.5, 37.0)
