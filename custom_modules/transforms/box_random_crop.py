"""A random crop that keeps the whole object (one box per image) inside."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import register_in
from .box_geometry import compose_affine, map_boxes


@register_in(scopes=('mmpretrain', ), registry='TRANSFORMS')
class BoxRandomCrop(BaseTransform):
    """Crop a random window of ``scale`` x the image side that still contains every box.

    Cropping the object away would leave a box target with nothing to find, so the window is
    widened to the boxes when they do not fit and placed at random among the positions that
    contain them. ``gt_bboxes`` and ``box_affine`` shift with the crop.

    Args:
        scale: ``(min, max)`` fraction of each side kept.
        prob: Probability of cropping at all.
    """

    def __init__(self, scale: Sequence[float] = (0.6, 1.0), prob: float = 0.5) -> None:
        lo, hi = scale
        if not 0 < lo <= hi <= 1:
            raise ValueError(f'scale must satisfy 0 < min <= max <= 1, got {scale}')
        self.scale = (float(lo), float(hi))
        self.prob = prob

    def _window(self, size: int, lo: float, hi: float) -> tuple[int, int]:
        """Start and length along one axis: random length, widened to [lo, hi], inside [0, size]."""
        length = int(round(size * np.random.uniform(*self.scale)))
        length = min(size, max(length, int(np.ceil(hi)) - int(np.floor(lo)), 1))
        first = max(0, int(np.ceil(hi)) - length)  # the window must reach past the box's end
        last = min(int(np.floor(lo)), size - length)  # ... and start before its beginning
        return int(np.random.randint(first, max(first, last) + 1)), length

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        h, w = img.shape[:2]
        boxes = results.get('gt_bboxes')
        if boxes is not None and len(boxes):
            boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
            bx = (max(0.0, boxes[:, 0].min()), min(float(w), boxes[:, 2].max()))
            by = (max(0.0, boxes[:, 1].min()), min(float(h), boxes[:, 3].max()))
        else:
            bx, by = (w / 2, w / 2), (h / 2, h / 2)
        x0, cw = self._window(w, *bx)
        y0, ch = self._window(h, *by)
        results['img'] = np.ascontiguousarray(img[y0:y0 + ch, x0:x0 + cw])
        results['img_shape'] = (ch, cw)
        compose_affine(results, 1.0, -x0, 1.0, -y0)
        if boxes is not None and len(boxes):
            moved = map_boxes(boxes, 1.0, -x0, 1.0, -y0)
            moved[:, 0::2] = moved[:, 0::2].clip(0, cw)
            moved[:, 1::2] = moved[:, 1::2].clip(0, ch)
            results['gt_bboxes'] = moved.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale}, prob={self.prob})'
