"""Confusion matrix of a classification dump: a two-panel PNG and the counts as CSV.

The PNG has two panels, raw counts and row-normalised (each true class's row sums to 1), rows
= true class, columns = predicted class; the CSV beside it holds the counts. Macro F1 averages
the per-class F1 over the classes that occur in the ground truth or the predictions, as
scikit-learn's ``f1_score(average='macro')`` does (the math is
:mod:`custom_modules.evaluation.classification_report`).
"""
from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from custom_modules.evaluation.classification_report import confusion, prf_from_matrix
from custom_modules.predictions import PredictionError, dump_labels, load_dump
from custom_modules.utils.atomic import atomic_write
from custom_modules.utils.validation import read_class_list

from .figures import pyplot, save_png

ANNOTATE_MAX_CLASSES = 40  # above this, cells are too small for numbers


def row_normalised(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows of classes with no samples stay 0)."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def scores(counts: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1 (over the classes present in truth or predictions) of a matrix."""
    return {'accuracy': float(np.trace(counts) / counts.sum()),
            'macro_f1': prf_from_matrix(counts)[3]}


def draw_confusion(counts: np.ndarray, classes: Sequence[str], title: str):
    """The figure: counts and row-normalised panels, numbers in the cells when they fit."""
    plt = pyplot()
    n = len(classes)
    side = min(28.0, max(4.5, 0.5 * n + 2.5))
    fig, axes = plt.subplots(1, 2, figsize=(2 * side + 1.5, side + 0.8))
    fontsize = max(5.0, min(10.0, 120 / max(n, 1)))
    panels = ((counts, 'counts', 'd', None), (row_normalised(counts), 'row-normalised (recall)',
                                             '.2f', (0.0, 1.0)))
    for ax, (matrix, name, fmt, limits) in zip(axes, panels):
        vmin, vmax = limits or (0, max(1, int(matrix.max())))
        image = ax.imshow(matrix, cmap='Blues', vmin=vmin, vmax=vmax)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(name)
        ax.set_xticks(range(n), classes, rotation=45, ha='right', fontsize=fontsize)
        ax.set_yticks(range(n), classes, fontsize=fontsize)
        ax.set_xlabel('predicted class')
        ax.set_ylabel('true class')
        if n <= ANNOTATE_MAX_CLASSES:
            for (row, col), value in np.ndenumerate(matrix):
                dark = value > vmin + 0.6 * (vmax - vmin)
                ax.text(col, row, format(value, fmt), ha='center', va='center',
                        fontsize=fontsize, color='white' if dark else 'black')
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def write_confusion_csv(path: str | Path, counts: np.ndarray, classes: Sequence[str]) -> None:
    """The counts as CSV: a header of predicted classes, one row per true class."""
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['true\\predicted', *classes])
        writer.writerows([name, *map(int, row)] for name, row in zip(classes, counts))


def plot_confusion_matrix(dump: str | Path | Sequence[Any], classes: str | Path | Sequence[str],
                          out: str | Path) -> dict[str, float]:
    """Write the confusion matrix PNG ``out`` and its CSV (``out`` with ``.csv``).

    Args:
        dump: a ``tools/test.py --dump`` pickle, or its already loaded list of samples.
        classes: a class list file (one name per line, in label order) or the names.
        out: the PNG path.

    Returns:
        ``{'accuracy': ..., 'macro_f1': ...}``, both in [0, 1].

    Raises:
        PredictionError: unreadable dump, samples without ground truth (label -1), labels or
            scores that do not match the class list.
        DataError: an unreadable class list.
    """
    if isinstance(dump, str | Path):
        source, samples = str(dump), load_dump(dump)
    else:
        source, samples = 'dump', list(dump)
        if not samples:
            raise PredictionError('dump: no samples')
    names = read_class_list(classes) if isinstance(classes, str | Path) else list(classes)
    y_true, y_pred = dump_labels(samples, len(names), source)
    counts = confusion(y_true, y_pred, len(names))
    result = scores(counts)
    title = (f'accuracy {result["accuracy"]:.2%}   macro F1 {result["macro_f1"]:.4f}   '
             f'({len(y_true)} samples, {Path(source).name})')
    fig = draw_confusion(counts, names, title)
    out = save_png(fig, out)
    write_confusion_csv(out.with_suffix('.csv'), counts, names)
    return result
