"""Crash-frame scores: ROC AUC, accuracy at a threshold and clipped log loss.

The functions take plain arrays (``tools/infer_video.py`` uses them on its CSVs); ``CrashMetric``
applies them to a validation/test loop. mmengine's ``BaseMetric`` gathers every rank's
``(probability, label)`` pairs before ``compute_metrics``, so the scores are those of the whole
set, not an average of per-rank scores (which would be wrong for AUC).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from scipy.stats import rankdata

from ..registry import register_in


def _check(y_true: Sequence, y_prob: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    p = np.asarray(y_prob, dtype=np.float64).reshape(-1)
    if len(y) != len(p):
        raise ValueError(f'{len(y)} labels but {len(p)} probabilities')
    if ((y != 0) & (y != 1)).any():
        raise ValueError(f'labels must be 0 or 1, got {np.unique(y).tolist()}')
    return y, p


def roc_auc(y_true: Sequence, y_prob: Sequence) -> float:
    """Area under the ROC curve (ties count one half); NaN when only one class is present.

    Computed as the Mann-Whitney statistic on average ranks, which equals the trapezoidal
    area under the ROC curve.
    """
    y, p = _check(y_true, y_prob)
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float('nan')
    ranks = rankdata(p)  # average ranks for ties
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def accuracy_at(y_true: Sequence, y_prob: Sequence, threshold: float = 0.5) -> float:
    """Share of frames whose ``prob >= threshold`` decision equals the label."""
    y, p = _check(y_true, y_prob)
    return float(((p >= threshold).astype(np.int64) == y).mean()) if len(y) else float('nan')


def log_loss(y_true: Sequence, y_prob: Sequence, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy with probabilities clipped to ``[eps, 1 - eps]``."""
    y, p = _check(y_true, y_prob)
    if not len(y):
        return float('nan')
    p = np.clip(p, eps, 1 - eps)
    return float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).mean())


def crash_scores(y_true: Sequence, y_prob: Sequence, threshold: float = 0.5,
                 eps: float = 1e-7) -> dict[str, float]:
    """``auc``, ``acc``, ``log_loss``, ``frames`` and ``positives`` of one labelled set."""
    y, p = _check(y_true, y_prob)
    return {'auc': roc_auc(y, p), 'acc': accuracy_at(y, p, threshold),
            'log_loss': log_loss(y, p, eps), 'frames': int(len(y)), 'positives': int(y.sum())}


@register_in(scopes=('mmpretrain', ), registry='METRICS')
class CrashMetric(BaseMetric):
    """ROC AUC, accuracy at ``threshold`` and clipped log loss of per-frame crash probabilities.

    The probability is the last entry of each sample's ``pred_score`` (``CrashFrameHead``
    writes ``[1 - p, p]``; any two-class head works too), the label its ``gt_label``.
    Keys: ``crash/auc``, ``crash/acc``, ``crash/bce`` (with the default prefix); ``bce`` is the
    clipped log loss. It is not called ``log_loss`` because mmengine's LogProcessor averages
    every key matching ``loss`` over the last 10 values when it logs and records scalars, so
    the log and ``scalars.json`` would show a running mean instead of the epoch's value.

    Args:
        threshold: Decision threshold for the accuracy.
        eps: Probabilities are clipped to ``[eps, 1 - eps]`` for the log loss.
        collect_device: ``cpu`` or ``gpu``, where the ranks' results are gathered.
        prefix: Key prefix.
    """

    default_prefix = 'crash'

    def __init__(self, threshold: float = 0.5, eps: float = 1e-7, collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 < eps < 0.5:
            raise ValueError(f'eps must be in (0, 0.5), got {eps}')
        self.threshold = threshold
        self.eps = eps

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            score = sample['pred_score']
            label = sample['gt_label']
            self.results.append((float(score.reshape(-1)[-1]), int(label.reshape(-1)[0])))

    def compute_metrics(self, results: list) -> dict[str, float]:
        y = np.array([label for _, label in results], dtype=np.int64)
        p = np.array([prob for prob, _ in results], dtype=np.float64)
        scores = crash_scores(y, p, self.threshold, self.eps)
        if np.isnan(scores['auc']):
            MMLogger.get_current_instance().warning(
                f'CrashMetric: ROC AUC is undefined, the {len(y)} evaluated frames have only '
                f'label {int(y[0]) if len(y) else "-"}')
        return {'auc': scores['auc'], 'acc': scores['acc'], 'bce': scores['log_loss']}
