"""Confusion matrix (PNG and CSV), accuracy and macro F1 of a prediction dump.

Input is what ``tools/test.py --dump preds.pkl`` writes: MMEngine's DumpResults pickle, a list
with one ``DataSample.to_dict()`` per sample. MMAction2 and MMPretrain store ``gt_label`` and
``pred_label`` as long tensors of shape [1] and ``pred_score`` as a float tensor [C]. The
prediction is the argmax of ``pred_score`` (``pred_label`` when a dump has no scores). Samples
must carry a real ground truth: a test list's placeholder label -1 is an error.

The PNG has two panels, raw counts and row-normalised (each true class's row sums to 1), rows
= true class, columns = predicted class; the CSV beside it holds the counts. Macro F1 averages
the per-class F1 over the classes that occur in the ground truth or the predictions, as
scikit-learn's ``f1_score(average='macro')`` does.

Example::

    python tools/analysis/confusion_matrix.py work_dirs/tsm/preds.pkl data/action/classes.txt \
        --out work_dirs/tsm/confusion.png
"""
from __future__ import annotations

import argparse
import csv
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from custom_modules.evaluation.classification_report import confusion, prf_from_matrix  # noqa: E402
from tools.analysis.figures import save_png  # noqa: E402
from tools.ensemble import (  # noqa: E402
    PredictionError,
    atomic_write,
    get_field,
    list_some,
    read_lines,
    sample_id,
    to_numpy,
)

ANNOTATE_MAX_CLASSES = 40  # above this, cells are too small for numbers


def load_dump(path: str | Path) -> list[Any]:
    """The list of samples in a DumpResults pickle (a file this user's own run wrote)."""
    path = Path(path)
    try:
        with path.open('rb') as f:
            samples = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as err:
        raise PredictionError(f'{path}: cannot read the dump: {err}') from err
    if not isinstance(samples, list | tuple) or not samples:
        raise PredictionError(f'{path}: expected a non-empty list of samples (tools/test.py '
                              f'--dump), got {type(samples).__name__}')
    return list(samples)


def _single_label(value: Any, what: str, where: str) -> int:
    """One class index from a label tensor of shape [] or [1] (or a plain int)."""
    array = to_numpy(value).reshape(-1)
    if array.size != 1:
        raise PredictionError(f'{where}: {what} has {array.size} values; only single-label '
                              'classification is supported')
    return int(array[0])


def _gt_label(sample: Any, where: str) -> int:
    label = get_field(sample, 'gt_label')
    if label is None:  # mmaction 1.0 dumps: gt_labels.item
        labels = get_field(sample, 'gt_labels')
        label = get_field(labels, 'item') if labels is not None else None
    if label is None:
        raise PredictionError(f'{where}: no gt_label')
    return _single_label(label, 'gt_label', where)


def _pred_label(sample: Any, num_classes: int, where: str) -> int:
    score = get_field(sample, 'pred_score')
    if score is not None:
        score = to_numpy(score).reshape(-1)
        if score.size != num_classes:
            raise PredictionError(f'{where}: pred_score has {score.size} classes, the class '
                                  f'list {num_classes}')
        return int(score.argmax())
    label = get_field(sample, 'pred_label')
    if label is None:
        raise PredictionError(f'{where}: neither pred_score nor pred_label')
    return _single_label(label, 'pred_label', where)


def dump_labels(samples: Sequence[Any], num_classes: int,
                source: str = 'dump') -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)`` of the dumped samples, checked against ``num_classes``."""
    y_true, y_pred, no_gt = [], [], []
    for i, sample in enumerate(samples):
        name = sample_id(sample)
        where = f'{source}: sample {i}' + (f' ({name})' if name else '')
        true, pred = _gt_label(sample, where), _pred_label(sample, num_classes, where)
        if true < 0:
            no_gt.append(name or i)
            continue
        for what, label in (('gt_label', true), ('pred_label', pred)):
            if not 0 <= label < num_classes:
                raise PredictionError(f'{where}: {what} {label} is outside the {num_classes} '
                                      'classes of the class list')
        y_true.append(true)
        y_pred.append(pred)
    if no_gt:
        raise PredictionError(
            f'{source}: {len(no_gt)} of {len(samples)} samples have no ground truth (label -1, '
            f'e.g. a test list): {list_some(no_gt)}; dump a labelled split (val) instead')
    return np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)


def row_normalised(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows of classes with no samples stay 0)."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def scores(counts: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1 (over the classes present in truth or predictions) of a matrix."""
    return {'accuracy': float(np.trace(counts) / counts.sum()),
            'macro_f1': prf_from_matrix(counts)[3]}


def _draw(counts: np.ndarray, classes: Sequence[str], title: str):
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

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


def write_csv(path: str | Path, counts: np.ndarray, classes: Sequence[str]) -> None:
    """The counts as CSV: a header of predicted classes, one row per true class."""
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['true\\predicted', *classes])
        for name, row in zip(classes, counts):
            writer.writerow([name, *map(int, row)])


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
        PredictionError: unreadable inputs, samples without ground truth (label -1), labels or
            scores that do not match the class list.
    """
    if isinstance(dump, str | Path):
        source, samples = str(dump), load_dump(dump)
    else:
        source, samples = 'dump', list(dump)
        if not samples:
            raise PredictionError('dump: no samples')
    names = read_lines(classes) if isinstance(classes, str | Path) else list(classes)
    y_true, y_pred = dump_labels(samples, len(names), source)
    counts = confusion(y_true, y_pred, len(names))
    result = scores(counts)
    title = (f'accuracy {result["accuracy"]:.2%}   macro F1 {result["macro_f1"]:.4f}   '
             f'({len(y_true)} samples, {Path(source).name})')
    fig = _draw(counts, names, title)
    out = save_png(fig, out)
    write_csv(out.with_suffix('.csv'), counts, names)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Confusion matrix of a prediction dump')
    parser.add_argument('dump', help='pickle written by tools/test.py --dump (a labelled split)')
    parser.add_argument('classes', help='class list file, one name per line in label order')
    parser.add_argument('--out', help='PNG path (default: <dump stem>_confusion.png beside the '
                        'dump); the CSV goes beside it')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dump = Path(args.dump)
    out = Path(args.out) if args.out else dump.with_name(f'{dump.stem}_confusion.png')
    try:
        result = plot_confusion_matrix(dump, args.classes, out)
    except PredictionError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'accuracy {result["accuracy"]:.4f}  macro_f1 {result["macro_f1"]:.4f}')
    print(f'wrote {out} and {out.with_suffix(".csv")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
