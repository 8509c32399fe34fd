"""CrashFrameHead through the registry: logits, BCE loss (pos_weight, smoothing), predictions."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import custom_modules  # noqa: F401
from tests.conftest import REPO_ROOT


def samples(labels: list[int]) -> list[DataSample]:
    return [DataSample().set_gt_label(label) for label in labels]


def build(**kwargs):
    return MODELS.build(dict(type='CrashFrameHead', in_channels=8, **kwargs))


def test_forward_shapes_and_feature_forms():
    torch.manual_seed(0)
    head = build()
    feats = torch.randn(5, 8)
    logits = head((feats, ))
    assert logits.shape == (5, )
    assert torch.allclose(head(feats), logits)
    # 4-D features without a neck are average-pooled
    spatial = feats[:, :, None, None].expand(5, 8, 3, 3)
    assert torch.allclose(head((spatial, )), logits, atol=1e-6)


def test_loss_is_bce_with_logits_and_options_change_it():
    torch.manual_seed(0)
    feats = (torch.randn(6, 8), )
    labels = [0, 1, 0, 0, 1, 0]
    target = torch.tensor(labels, dtype=torch.float32)
    head = build()
    losses = head.loss(feats, samples(labels))
    expected = F.binary_cross_entropy_with_logits(head(feats), target)
    assert torch.allclose(losses['loss'], expected)
    assert 0 <= float(losses['acc']) <= 1

    weighted = build(pos_weight=3.0)
    weighted.load_state_dict(head.state_dict())
    expected = F.binary_cross_entropy_with_logits(head(feats), target,
                                                  pos_weight=torch.tensor([3.0]))
    assert torch.allclose(weighted.loss(feats, samples(labels))['loss'], expected)

    smooth = build(label_smoothing=0.2, loss_weight=2.0)
    smooth.load_state_dict(head.state_dict())
    expected = 2 * F.binary_cross_entropy_with_logits(head(feats), target * 0.8 + 0.1)
    assert torch.allclose(smooth.loss(feats, samples(labels))['loss'], expected)


def test_loss_backward_reaches_the_layer():
    head = build()
    loss = head.loss((torch.randn(4, 8), ), samples([1, 0, 1, 0]))['loss']
    loss.backward()
    assert head.fc.weight.grad is not None and head.fc.weight.grad.abs().sum() > 0


def test_predict_probability_score_and_label():
    torch.manual_seed(0)
    head = build(threshold=0.3)
    feats = (torch.randn(7, 8) * 50, )
    probs = torch.sigmoid(head(feats)).detach()
    out = head.predict(feats, samples([0] * 7))
    assert len(out) == 7
    for sample, p in zip(out, probs):
        assert sample.pred_score.shape == (2, )
        assert torch.allclose(sample.pred_score, torch.stack([1 - p, p]))
        assert int(sample.pred_label) == int(p >= 0.3)
        assert sample.crash_prob == pytest.approx(float(p))
        assert int(sample.gt_label) == 0  # the given samples are filled in
    assert len(head.predict(feats)) == 7  # without data samples


def test_bad_labels_and_options_are_rejected():
    head = build()
    with pytest.raises(ValueError, match='labels 0/1'):
        head.loss((torch.randn(2, 8), ), samples([0, 2]))
    with pytest.raises(ValueError, match='label_smoothing'):
        build(label_smoothing=1.0)
    with pytest.raises(ValueError, match='pos_weight'):
        build(pos_weight=0)


def test_under_image_classifier_of_the_tiny_crash_config():
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/crash/tinyconvnet_1xb16-cos-4e_crash-demo-frames-64px.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    data = model.data_preprocessor(
        {'inputs': [torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8) for _ in range(3)],
         'data_samples': samples([0, 1, 0])}, True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss', 'acc'} and torch.isfinite(losses['loss'])
    preds = model(data['inputs'], data['data_samples'], mode='predict')
    assert all(0 <= s.crash_prob <= 1 for s in preds)
