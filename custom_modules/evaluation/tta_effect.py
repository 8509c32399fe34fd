"""What test-time augmentation changes out of fold: each fold's validation dumped without and with
TTA (``val_preds.pkl`` / ``val_preds_tta.pkl``), pooled over the folds trained.

``<work_dir>/tta_oof.json``::

    {"<run>": {"metric": "accuracy", "without": x, "with": y, "delta": y - x,
               "log_loss": {"without": .., "with": .., "delta": ..}, "folds": [0, 1], "samples": N}}

Rows are matched by sample id, never by position; both dumps of a fold must hold the same ids.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from custom_modules.predictions.io import dump_probabilities, load_dump
from custom_modules.predictions.labels import dump_labels
from custom_modules.predictions.samples import PredictionError
from custom_modules.utils.validation import list_some

from .cv_report import scores


def dump_rows(path: Path, num_classes: int) -> dict[str, tuple[int, np.ndarray]]:
    """``id -> (true class, probabilities [C])`` of a labelled classification dump."""
    y_true, _ = dump_labels(load_dump(path), num_classes, str(path))
    ids, probs = dump_probabilities(path)
    if probs.shape[1] != num_classes:
        raise PredictionError(f'{path}: {probs.shape[1]} scores a sample, {num_classes} classes')
    return {i: (int(t), p) for i, t, p in zip(ids, y_true, probs.astype(np.float64))}


def paired(plain: Path, tta: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(targets [N], probs without [N, C], probs with [N, C])`` of one fold, matched by id."""
    a, b = dump_rows(plain, num_classes), dump_rows(tta, num_classes)
    if set(a) != set(b):
        odd = sorted(set(a) ^ set(b))
        raise PredictionError(f'{plain} and {tta} predict different samples: '
                              f'{list_some(odd)} in only one of them')
    ids = sorted(a)
    return (np.array([a[i][0] for i in ids], np.int64), np.stack([a[i][1] for i in ids]),
            np.stack([b[i][1] for i in ids]))


def tta_effect(dumps: Mapping[int, tuple[Path, Path]], num_classes: int) -> dict:
    """One run's entry of ``tta_oof.json`` from ``{fold: (plain dump, TTA dump)}``."""
    if not dumps:
        raise PredictionError('no folds with validation dumps to compare')
    parts = [paired(plain, tta, num_classes) for plain, tta in dumps.values()]
    targets = np.concatenate([t for t, _, _ in parts])
    without = scores(targets, np.concatenate([p for _, p, _ in parts]))
    with_tta = scores(targets, np.concatenate([q for _, _, q in parts]))
    return {'metric': 'accuracy', 'without': without['accuracy'], 'with': with_tta['accuracy'],
            'delta': with_tta['accuracy'] - without['accuracy'],
            'log_loss': {'without': without['log_loss'], 'with': with_tta['log_loss'],
                         'delta': with_tta['log_loss'] - without['log_loss']},
            'folds': sorted(int(k) for k in dumps), 'samples': int(targets.size)}


def format_tta_effect(effects: Mapping[str, dict]) -> str:
    """A short table: run, folds, accuracy without/with TTA and delta, log loss likewise."""
    lines = ['TTA out of fold (validation folds pooled)',
             f'{"run":<12} {"folds":<10} {"acc":>7} {"acc+TTA":>8} {"delta":>8} '
             f'{"logloss":>8} {"+TTA":>8} {"delta":>8}']
    for run, e in effects.items():
        ll = e['log_loss']
        lines.append(f'{run:<12} {",".join(map(str, e["folds"])):<10} {e["without"]:>7.4f} '
                     f'{e["with"]:>8.4f} {e["delta"]:>+8.4f} {ll["without"]:>8.4f} '
                     f'{ll["with"]:>8.4f} {ll["delta"]:>+8.4f}')
    return '\n'.join(lines)
