"""Flip (or any) test-time augmentation for podium's MMPretrain models: one prediction a sample."""
from __future__ import annotations

import torch
from mmpretrain.models.tta import AverageClsScoreTTA
from mmpretrain.structures import DataSample

from ...registry import register_in


@register_in(scopes=('mmpretrain', ), registry='MODELS')
class MeanScoreTTA(AverageClsScoreTTA):
    """MMPretrain's ``AverageClsScoreTTA`` whose merged sample is consistent in every field.

    The parent averages ``pred_score`` over the augmentations but keeps the first view's
    ``pred_label``; here the label follows the mean score (through the head's ``threshold``
    for a two-score head that has one, e.g. ``CrashFrameHead``; else the argmax), and so do
    ``crash_prob`` and ``pred_bbox``. ``pred_bbox`` is in ORIGINAL image pixels
    (``BBoxRegHead`` inverts each view's ``box_affine``), so averaging it is right only when
    the augmentation records itself in ``box_affine`` (``BoxRandomFlip`` does; mmpretrain's
    ``RandomFlip`` does not, see :meth:`_merge_single_sample`). ``pred_bbox_norm`` is in each
    view's own input coordinates and is dropped. Metainfo is the first view's: list the plain
    (unaugmented) view first.
    """

    def _merge_single_sample(self, data_samples: list[DataSample]) -> DataSample:
        merged = super()._merge_single_sample(data_samples)
        score = merged.pred_score
        threshold = getattr(getattr(self.module, 'head', None), 'threshold', None)
        if threshold is not None and score.numel() == 2:
            label = int(score[1] >= threshold)
        else:
            label = int(score.argmax())
        merged.set_pred_label(label)
        if 'crash_prob' in merged:
            merged.set_field(float(score[1]), 'crash_prob', field_type='metainfo')
        if 'pred_bbox_norm' in merged:
            del merged.pred_bbox_norm
        if 'pred_bbox' in merged:
            flips = [d.metainfo.get('flip') for d in data_samples]
            if any(flips) and 'box_affine' not in data_samples[0]:
                raise ValueError('TTA flipped images but no `box_affine` was recorded: the boxes '
                                 'cannot be mapped back (flip with BoxRandomFlip)')
            merged.pred_bbox = torch.stack([d.pred_bbox for d in data_samples]).mean(0)
        return merged
