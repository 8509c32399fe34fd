"""MeanScoreTTA: scores, label, crash probability and box follow the mean of the views."""
from __future__ import annotations

import pytest
import torch
from mmpretrain.structures import DataSample
from torch import nn

from custom_modules.models.tta import MeanScoreTTA


class Stub(nn.Module):
    def __init__(self, threshold=None):
        super().__init__()
        self.head = nn.Module()
        if threshold is not None:
            self.head.threshold = threshold

    def test_step(self, data):  # BaseTTAModel asks for it
        return data


def view(score, **meta) -> DataSample:
    sample = DataSample(metainfo=meta).set_pred_score(torch.tensor(score))
    return sample.set_pred_label(int(torch.tensor(score).argmax()))


def test_label_follows_the_mean_score_not_the_first_view():
    tta = MeanScoreTTA(module=Stub())
    merged = tta.merge_preds([[view([0.6, 0.4], flip=False), view([0.0, 1.0], flip=True)]])[0]
    torch.testing.assert_close(merged.pred_score, torch.tensor([0.3, 0.7]))
    assert int(merged.pred_label) == 1 and merged.flip is False


def test_two_score_head_uses_its_threshold_and_crash_prob_follows():
    tta = MeanScoreTTA(module=Stub(threshold=0.3))
    merged = tta.merge_preds([[view([0.8, 0.2], crash_prob=0.2),
                               view([0.6, 0.4], crash_prob=0.4)]])[0]
    assert int(merged.pred_label) == 1 and merged.crash_prob == pytest.approx(0.3)


def test_boxes_in_original_pixels_are_averaged_and_input_boxes_dropped():
    views = []
    for box, flip in (([10., 10., 30., 30.], False), ([12., 10., 32., 30.], True)):
        sample = view([0.5, 0.5], flip=flip, box_affine=(1.0, 0.0, 1.0, 0.0))
        sample.set_field(torch.tensor(box), 'pred_bbox')
        sample.set_field(torch.tensor([0.1, 0.1, 0.3, 0.3]), 'pred_bbox_norm')
        views.append(sample)
    merged = MeanScoreTTA(module=Stub()).merge_preds([views])[0]
    torch.testing.assert_close(merged.pred_bbox, torch.tensor([11., 10., 31., 30.]))
    assert 'pred_bbox_norm' not in merged
