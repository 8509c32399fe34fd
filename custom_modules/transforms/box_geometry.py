"""Box bookkeeping shared by the box-aware transforms and the box head.

Every box-aware transform keeps ``results['box_affine'] = (sx, ox, sy, oy)``: the map from the
ORIGINAL image's pixel coordinates to the current ones, ``x' = sx * x + ox``, ``y' = sy * y + oy``
(a flip makes a scale negative). Resizes, letterbox pads, crops and flips are all of this form,
so a prediction made on the network input maps back to the original image exactly.
Boxes are ``(xmin, ymin, xmax, ymax)`` with pixel EDGES (a box covering columns 0..9 is 0..10).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IDENTITY = (1.0, 0.0, 1.0, 0.0)


def get_affine(results: dict) -> tuple[float, float, float, float]:
    """The current original->current map of a results dict (identity when none is recorded)."""
    return tuple(float(v) for v in results.get('box_affine', IDENTITY))


def compose_affine(results: dict, sx: float, ox: float, sy: float, oy: float) -> None:
    """Record that the current coordinates were just mapped by ``x' = sx * x + ox`` (same for y)."""
    a_sx, a_ox, a_sy, a_oy = get_affine(results)
    results['box_affine'] = (sx * a_sx, sx * a_ox + ox, sy * a_sy, sy * a_oy + oy)


def map_boxes(boxes: np.ndarray, sx: float, ox: float, sy: float, oy: float) -> np.ndarray:
    """Apply ``x' = sx * x + ox`` to boxes ``[N, 4]``; reorders the edges when a scale is < 0."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    xs = boxes[:, 0::2] * sx + ox
    ys = boxes[:, 1::2] * sy + oy
    return np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)


def to_original(boxes: np.ndarray, affine: Sequence[float],
                ori_shape: Sequence[int] | None = None) -> np.ndarray:
    """Boxes ``[N, 4]`` in current pixels -> original pixels (the exact inverse of ``affine``).

    Args:
        boxes: Boxes in the coordinates the affine maps to (the network input's pixels).
        affine: ``(sx, ox, sy, oy)`` as recorded by the transforms.
        ori_shape: ``(H, W)`` of the original image; the result is clipped to it when given.
    """
    sx, ox, sy, oy = (float(v) for v in affine)
    out = map_boxes(boxes, 1.0 / sx, -ox / sx, 1.0 / sy, -oy / sy)
    if ori_shape is not None:
        h, w = ori_shape[:2]
        out[:, 0::2] = out[:, 0::2].clip(0, w)
        out[:, 1::2] = out[:, 1::2].clip(0, h)
    return out
