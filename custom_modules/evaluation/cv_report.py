"""Cross-validation report: each fold's scores, their mean and standard deviation, the OOF scores.

The out-of-fold (OOF) score is computed once over every sample the folds predicted (not the mean
of the folds' scores). The standard deviation is the population one (``ddof=0``, as
``numpy.std`` of ``cross_val_score``), 0 with one fold. Scores: accuracy, macro F1 (as
:mod:`.classification_report` computes it) and log loss (probabilities clipped at 1e-15).
"""
from __future__ import annotations

import numpy as np

from .classification_report import confusion, prf_from_matrix

EPS = 1e-15
SCORES = ('accuracy', 'macro_f1', 'log_loss')


def log_loss(targets: np.ndarray, probs: np.ndarray) -> float:
    """Mean negative log of each sample's true-class probability (rows renormalised to sum 1)."""
    probs = np.asarray(probs, np.float64)
    probs = probs / np.clip(probs.sum(axis=1, keepdims=True), EPS, None)
    true = probs[np.arange(len(targets)), np.asarray(targets, np.int64)]
    return float(-np.mean(np.log(np.clip(true, EPS, 1.0))))


def scores(targets: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """``{accuracy, macro_f1, log_loss}`` of probabilities ``[N, C]`` against targets ``[N]``."""
    targets = np.asarray(targets, np.int64)
    probs = np.asarray(probs, np.float64)
    if probs.ndim != 2 or probs.shape[0] != targets.shape[0] or targets.size == 0:
        raise ValueError(f'{targets.size} targets for probabilities of shape {probs.shape}')
    pred = probs.argmax(axis=1)
    macro = prf_from_matrix(confusion(targets, pred, probs.shape[1]))[3]
    return {'accuracy': float(np.mean(pred == targets)), 'macro_f1': float(macro),
            'log_loss': log_loss(targets, probs)}


def cv_scores(targets: np.ndarray, probs: np.ndarray, folds: np.ndarray) -> dict:
    """One run's CV block: ``{"folds": {"0": scores, ..}, "mean", "std", "oof"}``.

    Args:
        targets: true class index of each OOF row ``[N]``.
        probs: OOF class probabilities ``[N, C]``.
        folds: the fold that predicted each row ``[N]``.
    """
    folds = np.asarray(folds, np.int64)
    per_fold = {str(k): scores(targets[folds == k], probs[folds == k]) for k in np.unique(folds)}
    return {**fold_summary(per_fold), 'oof': scores(targets, probs)}


def fold_summary(per_fold: dict[str, dict[str, float]]) -> dict:
    """``{"folds": per_fold, "mean": {..}, "std": {..}}`` over the scores every fold has."""
    names = [k for k in next(iter(per_fold.values()), {})
             if all(isinstance(f.get(k), (int, float)) for f in per_fold.values())]
    table = {k: np.array([f[k] for f in per_fold.values()], np.float64) for k in names}
    return {'folds': per_fold,
            'mean': {k: float(v.mean()) for k, v in table.items()},
            'std': {k: float(v.std()) for k, v in table.items()}}


def format_cv_report(report: dict) -> str:
    """The report as a text table: one row per run and fold, then mean, std and OOF rows."""
    first = next(iter(report.get('runs', {}).values()), {})
    columns = list(first.get('mean', {})) or list(SCORES)
    rows = [('run', 'fold', *columns)]

    def row(run: str, what: str, values: dict) -> None:
        rows.append((run, what, *(f'{values[s]:.4f}' if s in values else '-' for s in columns)))

    for name, block in report.get('runs', {}).items():
        for fold, values in block['folds'].items():
            row(name, fold, values)
        row(name, 'mean', block['mean'])
        row(name, 'std', block['std'])
        if 'oof' in block:
            row(name, 'OOF', block['oof'])
    ens = report.get('ensemble') or {}
    if ens.get('folds'):
        for fold, values in ens['folds'].items():
            row('ensemble', fold, values)
        row('ensemble', 'mean', ens['mean'])
        row('ensemble', 'std', ens['std'])
    if ens.get('oof'):
        row('ensemble', 'OOF', ens['oof'])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ['  '.join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths))).rstrip() for r in rows]
    lines.insert(1, '-' * max(len(line) for line in lines))
    head = [f'Cross-validation ({report.get("metric", "accuracy")} is the headline score; '
            'OOF = scored once over every out-of-fold prediction)']
    if report.get('note'):
        head.append(report['note'])
    return '\n'.join(head + lines)
