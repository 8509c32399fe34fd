"""BBoxRegHead: loss against a hand computation, predictions back in original pixels."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import custom_modules  # noqa: F401  (registration)


def build(num_classes: int = 2, **kwargs):
    return MODELS.build(dict(type='BBoxRegHead', num_classes=num_classes, in_channels=3,
                             **kwargs))


def set_weights(head, cls_w, cls_b, box_w, box_b) -> None:
    with torch.no_grad():
        head.fc_cls.weight.copy_(torch.tensor(cls_w, dtype=torch.float32))
        head.fc_cls.bias.copy_(torch.tensor(cls_b, dtype=torch.float32))
        head.fc_bbox.weight.copy_(torch.tensor(box_w, dtype=torch.float32))
        head.fc_bbox.bias.copy_(torch.tensor(box_b, dtype=torch.float32))


def sample(label: int, box) -> DataSample:
    ds = DataSample().set_gt_label(label)
    ds.set_field(np.asarray(box, dtype=np.float32), 'gt_bbox')
    return ds


def smooth_l1(d: float, beta: float) -> float:
    return 0.5 * d * d / beta if abs(d) < beta else abs(d) - 0.5 * beta


def test_binary_loss_equals_hand_computation():
    head = build(bbox_loss_weight=10.0, smooth_l1_beta=0.1)
    # logit = x0 - x1; box logits = 0 -> every box value is sigmoid(0) = 0.5.
    set_weights(head, [[1.0, -1.0, 0.0]], [0.0], np.zeros((4, 3)), np.zeros(4))
    feats = (torch.tensor([[2.0, 1.0, 5.0], [0.0, 3.0, 5.0]]), )
    targets = [[0.5, 0.5, 0.9, 0.5], [0.3, 0.5, 0.5, 0.55]]
    losses = head.loss(feats, [sample(1, targets[0]), sample(1, targets[1])])

    # BCE: -log(sigmoid(1)) and -log(sigmoid(-3)) (both labels are 1).
    bce = (-math.log(1 / (1 + math.exp(-1))) - math.log(1 / (1 + math.exp(3)))) / 2
    diffs = [0.5 - t for row in targets for t in row]
    sl1 = sum(smooth_l1(d, 0.1) for d in diffs) / 8
    assert losses['loss_cls'].item() == pytest.approx(bce, rel=1e-6)
    assert losses['loss_bbox'].item() == pytest.approx(10.0 * sl1, rel=1e-6)
    assert losses['accuracy'].item() == pytest.approx(0.5)  # logit 1 > 0 right, -3 wrong


def test_multiclass_loss_uses_softmax_cross_entropy():
    head = build(num_classes=3, bbox_loss_weight=1.0, cls_loss_weight=2.0)
    set_weights(head, np.eye(3), np.zeros(3), np.zeros((4, 3)), np.zeros(4))
    feats = (torch.tensor([[1.0, 2.0, 3.0]]), )
    losses = head.loss(feats, [sample(0, [0.5] * 4)])
    ce = -math.log(math.exp(1) / (math.exp(1) + math.exp(2) + math.exp(3)))
    assert losses['loss_cls'].item() == pytest.approx(2.0 * ce, rel=1e-6)
    assert losses['loss_bbox'].item() == pytest.approx(0.0, abs=1e-7)


def test_predict_maps_the_box_back_to_original_pixels():
    head = build()
    # box = sigmoid(bias): choose biases giving (0.25, 0.125, 0.75, 0.875) of a 64 x 64 input.
    norm = np.array([0.25, 0.125, 0.75, 0.875])
    set_weights(head, [[0.0, 0.0, 0.0]], [2.0], np.zeros((4, 3)), np.log(norm / (1 - norm)))
    # A 200 x 100 (w x h) image letterboxed to 64: scale 0.32, 64 x 32, pad 16 rows on top.
    meta = dict(img_shape=(64, 64), ori_shape=(100, 200), box_affine=(0.32, 0.0, 0.32, 16.0))
    ds = DataSample(metainfo=meta)
    out = head.predict((torch.ones(1, 3), ), [ds])[0]
    px = norm * 64  # (16, 8, 48, 56) on the input
    expected = [px[0] / 0.32, (px[1] - 16) / 0.32, px[2] / 0.32, (px[3] - 16) / 0.32]
    expected = np.clip(expected, 0, [200, 100, 200, 100])  # y 8 -> -25 is clipped to 0
    np.testing.assert_allclose(out.pred_bbox.numpy(), expected, atol=1e-3)
    np.testing.assert_allclose(out.pred_bbox_norm.numpy(), norm, atol=1e-6)
    p = 1 / (1 + math.exp(-2))
    np.testing.assert_allclose(out.pred_score.numpy(), [1 - p, p], atol=1e-6)
    assert out.pred_label.item() == 1


def test_flatten_box_branch_and_its_checks():
    head = MODELS.build(dict(type='BBoxRegHead', num_classes=2, in_channels=8,
                             bbox_pool='flatten', feat_hw=(2, 2)))
    logits, boxes = head((torch.randn(5, 8, 2, 2), ))
    assert logits.shape == (5, 1) and boxes.shape == (5, 4)
    assert bool(((boxes > 0) & (boxes < 1)).all())
    with pytest.raises(ValueError, match='feat_hw'):
        head((torch.randn(1, 8, 3, 3), ))
    with pytest.raises(ValueError, match='feat_hw'):
        MODELS.build(dict(type='BBoxRegHead', num_classes=2, in_channels=8,
                          bbox_pool='flatten'))
    with pytest.raises(ValueError, match='num_classes'):
        build(num_classes=1)
