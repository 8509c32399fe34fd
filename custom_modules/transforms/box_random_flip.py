"""Random flips that move the box with the image."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import register_in
from .box_geometry import compose_affine, map_boxes


@register_in(scopes=('mmpretrain', ), registry='TRANSFORMS')
class BoxRandomFlip(BaseTransform):
    """Flip the image horizontally and/or vertically, each with probability ``prob``.

    ``gt_bboxes`` and ``box_affine`` follow (``x' = W - x``), so the box target stays on the
    object and a flipped prediction still maps back to the original image.

    Args:
        prob: Probability of each flip.
        directions: Any of ``'horizontal'``, ``'vertical'``.
    """

    def __init__(self, prob: float = 0.5,
                 directions: Sequence[str] = ('horizontal', )) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        unknown = set(directions) - {'horizontal', 'vertical'}
        if unknown:
            raise ValueError(f'unknown flip directions {sorted(unknown)}')
        self.prob = prob
        self.directions = tuple(directions)

    def transform(self, results: dict) -> dict:
        flipped = []
        for direction in self.directions:
            if np.random.rand() >= self.prob:
                continue
            img = results['img']
            h, w = img.shape[:2]
            if direction == 'horizontal':
                results['img'] = np.ascontiguousarray(img[:, ::-1])
                affine = (-1.0, float(w), 1.0, 0.0)
            else:
                results['img'] = np.ascontiguousarray(img[::-1])
                affine = (1.0, 0.0, -1.0, float(h))
            compose_affine(results, *affine)
            if results.get('gt_bboxes') is not None:
                results['gt_bboxes'] = map_boxes(results['gt_bboxes'], *affine).astype(np.float32)
            flipped.append(direction)
        results['flip'] = bool(flipped)
        results['flip_direction'] = '+'.join(flipped) if flipped else None
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, directions={self.directions})'
