"""Crash metrics against scikit-learn on random data, and CrashMetric through the registry."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import METRICS
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

import custom_modules  # noqa: F401
from custom_modules.evaluation import crash_metrics


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_functions_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    p = np.clip(rng.random(500) * 0.6 + y * 0.3, 0, 1)
    p[:50] = np.round(p[:50], 1)  # ties
    p[50] = 0.0  # a confident mistake or hit: clipping matters for the log loss
    p[51] = 1.0
    assert crash_metrics.roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    for thr in (0.3, 0.5):
        assert crash_metrics.accuracy_at(y, p, thr) == pytest.approx(
            accuracy_score(y, (p >= thr).astype(int)))
    eps = 1e-7
    assert crash_metrics.log_loss(y, p, eps) == pytest.approx(
        log_loss(y, np.clip(p, eps, 1 - eps)), rel=1e-9)


def test_undefined_and_bad_inputs():
    assert math.isnan(crash_metrics.roc_auc([1, 1, 1], [0.2, 0.4, 0.9]))
    with pytest.raises(ValueError, match='0 or 1'):
        crash_metrics.roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match='2 labels but 3'):
        crash_metrics.log_loss([0, 1], [0.1, 0.2, 0.3])


def test_metric_gathers_whole_set_not_per_batch_average():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 64)
    p = np.clip(rng.random(64) * 0.7 + y * 0.25, 0, 1)
    metric = METRICS.build(dict(type='CrashMetric', threshold=0.5))
    for start in range(0, 64, 10):  # uneven batches
        batch = [{'pred_score': torch.tensor([1 - q, q]), 'gt_label': torch.tensor([int(t)])}
                 for q, t in zip(p[start:start + 10], y[start:start + 10])]
        metric.process(None, batch)
    scores = metric.evaluate(64)
    assert set(scores) == {'crash/auc', 'crash/acc', 'crash/bce'}
    assert scores['crash/auc'] == pytest.approx(roc_auc_score(y, p))
    assert scores['crash/acc'] == pytest.approx(accuracy_score(y, (p >= 0.5).astype(int)))
    assert scores['crash/bce'] == pytest.approx(log_loss(y, np.clip(p, 1e-7, 1 - 1e-7)))
