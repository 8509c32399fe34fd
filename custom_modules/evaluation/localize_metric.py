"""Single-object localisation metrics in the original image's pixels: mIoU, accuracy, IoU@t."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from ..registry import register_in


def box_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """IoU of paired boxes ``[N, 4]`` (xmin, ymin, xmax, ymax; pixel edges): shape ``[N]``."""
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    iw = (np.minimum(pred[:, 2], gt[:, 2]) - np.maximum(pred[:, 0], gt[:, 0])).clip(0)
    ih = (np.minimum(pred[:, 3], gt[:, 3]) - np.maximum(pred[:, 1], gt[:, 1])).clip(0)
    inter = iw * ih
    area = lambda b: (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)  # noqa: E731
    union = area(pred) + area(gt) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def localization_scores(pred_boxes: np.ndarray, gt_boxes: np.ndarray,
                        pred_labels: np.ndarray | None = None,
                        gt_labels: np.ndarray | None = None,
                        iou_thrs: Sequence[float] = (0.5, 0.75)) -> dict[str, float]:
    """``mIoU``, ``accuracy`` (when labels are given) and ``IoU@t`` (share with IoU >= t)."""
    iou = box_iou(pred_boxes, gt_boxes)
    if len(iou) == 0:
        raise ValueError('no samples to score')
    scores = {'mIoU': float(iou.mean())}
    if pred_labels is not None and gt_labels is not None:
        scores['accuracy'] = float((np.asarray(pred_labels) == np.asarray(gt_labels)).mean())
    for t in iou_thrs:
        scores[f'IoU@{t:g}'] = float((iou >= t).mean())
    return scores


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


@register_in(scopes=('mmpretrain', ), registry='METRICS')
class LocalizeMetric(BaseMetric):
    """Mean IoU, accuracy and the share of images with IoU >= each threshold.

    Compares each sample's ``pred_bbox`` (BBoxRegHead: already in ORIGINAL pixels) with its
    ``ori_bbox`` (the dataset's box, untouched by the transforms). With several processes every
    rank's results are gathered (mmengine's ``collect_results``, padding dropped) before scoring.
    Samples without a ground-truth box (test images) are skipped.

    Args:
        iou_thrs: IoU thresholds of the ``IoU@t`` shares.
        collect_device: 'cpu' or 'gpu' (mmengine).
        prefix: Key prefix: ``loc/mIoU``, ``loc/accuracy``, ``loc/IoU@0.5``...
    """

    default_prefix = 'loc'

    def __init__(self, iou_thrs: Sequence[float] = (0.5, 0.75), collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thrs = tuple(float(t) for t in iou_thrs)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            if 'ori_bbox' not in ds or 'gt_label' not in ds:
                continue  # a test image without a box: nothing to score
            if 'pred_bbox' not in ds:
                raise KeyError('LocalizeMetric needs `pred_bbox` (BBoxRegHead, with `img_shape` '
                               'and `box_affine` packed as meta keys) in each data sample')
            self.results.append(dict(
                pred_bbox=_numpy(ds['pred_bbox']).astype(np.float64).reshape(4),
                gt_bbox=_numpy(ds['ori_bbox']).astype(np.float64).reshape(4),
                pred_label=int(_numpy(ds['pred_label']).reshape(-1)[0]),
                gt_label=int(_numpy(ds['gt_label']).reshape(-1)[0]),
            ))

    def compute_metrics(self, results: list[dict]) -> dict[str, float]:
        if not results:  # only test images: the predictions are dumped, not scored
            return {}
        return localization_scores(
            np.stack([r['pred_bbox'] for r in results]), np.stack([r['gt_bbox'] for r in results]),
            np.array([r['pred_label'] for r in results]),
            np.array([r['gt_label'] for r in results]), self.iou_thrs)
