"""The box target the head learns: the first box, divided by the network input's size."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from ..registry import register_in
from .box_geometry import IDENTITY


@register_in(scopes=('mmpretrain', ), registry='TRANSFORMS')
class BoxTarget(BaseTransform):
    """Write ``gt_bbox`` = ``gt_bboxes[0] / (W, H, W, H)`` in [0, 1] (float32, shape ``[4]``).

    Run it last, just before ``PackInputs(algorithm_keys=('gt_bbox', ), meta_keys=(...,
    'box_affine', 'img_shape', 'ori_shape', 'ori_bbox'))``, so that the target matches the final
    image and the data sample carries what the head needs to map a prediction back. Samples
    without a box (test images) pass through; ``box_affine`` is set to the identity if no
    transform recorded one.
    """

    def transform(self, results: dict) -> dict:
        results.setdefault('box_affine', IDENTITY)
        boxes = results.get('gt_bboxes')
        if boxes is None or len(boxes) == 0:
            return results
        h, w = results['img'].shape[:2]
        box = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)[0]
        results['gt_bbox'] = (box / np.array([w, h, w, h])).clip(0, 1).astype(np.float32)
        return results
