"""Accuracy, macro F1 and per-class precision/recall/F1, beside a weighted-random baseline.

The baseline answers "how much better than guessing is this?": a guesser that draws each class
with its share of the TRAINING set. On an evaluated set whose true class shares are ``q`` it is
right with probability ``sum_c q_c * p_c`` (``p`` = training shares), and its expected confusion
matrix is ``E[i, j] = n_i * p_j``. The baseline macro F1 is the macro F1 of that expected matrix
(per class ``2 p_c q_c / (p_c + q_c)``), averaged over the classes that occur in the truth or
could be drawn, the same way the model's macro F1 is averaged.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from ..registry import register_in
from ..utils.atomic import atomic_write_text


@dataclass
class ClassReport:
    """Scores of one evaluated set (all fractions in [0, 1])."""

    accuracy: float
    macro_f1: float
    baseline_accuracy: float
    baseline_macro_f1: float
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    train_shares: list[float]
    samples: int


def confusion(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``[C, C]`` counts, row = true class, column = predicted class."""
    flat = np.asarray(y_true, np.int64) * num_classes + np.asarray(y_pred, np.int64)
    return np.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def prf_from_matrix(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per-class precision, recall, F1 (0 where undefined) and the macro F1 of a matrix.

    The matrix may hold expected (fractional) counts. Macro F1 averages over the classes with
    any true or predicted mass, as scikit-learn's ``f1_score(average='macro')`` does.
    """
    matrix = np.asarray(matrix, np.float64)
    tp = np.diag(matrix)
    true_n, pred_n = matrix.sum(axis=1), matrix.sum(axis=0)
    precision = np.divide(tp, pred_n, out=np.zeros_like(tp), where=pred_n > 0)
    recall = np.divide(tp, true_n, out=np.zeros_like(tp), where=true_n > 0)
    present = (true_n + pred_n) > 0
    f1 = np.divide(2 * tp, true_n + pred_n, out=np.zeros_like(tp), where=present)
    macro = float(f1[present].mean()) if present.any() else 0.0
    return precision, recall, f1, macro


def weighted_random_baseline(train_counts: Sequence[float],
                             eval_counts: Sequence[float]) -> tuple[float, float]:
    """Expected ``(accuracy, macro F1)`` of drawing each class with its training share.

    Args:
        train_counts: samples per class in the training set (defines the draw shares ``p``).
        eval_counts: samples per class in the evaluated set (its true shares ``q``).
    """
    p = np.asarray(train_counts, np.float64)
    n = np.asarray(eval_counts, np.float64)
    if p.shape != n.shape or p.sum() <= 0 or n.sum() <= 0:
        raise ValueError(f'need two non-empty count vectors of one length, got {p.size} training '
                         f'and {n.size} evaluated classes')
    p = p / p.sum()
    expected = n[:, None] * p[None, :]  # E[true i, drawn j]
    accuracy = float(np.trace(expected) / n.sum())
    return accuracy, prf_from_matrix(expected)[3]


def class_counts_from_list(ann_file: str | os.PathLike, num_classes: int) -> np.ndarray:
    """Samples per class of an MMPretrain ``path label`` list (the training list)."""
    labels = []
    for number, line in enumerate(Path(ann_file).read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        try:
            label = int(line.strip().rsplit(' ', 1)[1])
        except (IndexError, ValueError):
            raise ValueError(f'{ann_file}:{number}: expected `path label`, got {line!r}') from None
        if not 0 <= label < num_classes:
            raise ValueError(f'{ann_file}:{number}: label {label} outside 0..{num_classes - 1}')
        labels.append(label)
    return np.bincount(np.asarray(labels, np.int64), minlength=num_classes)


def classification_report(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int,
                          train_counts: Sequence[float] | None = None) -> ClassReport:
    """Scores of predictions against the truth, and the weighted-random baseline.

    Args:
        y_true: true class indices.
        y_pred: predicted class indices.
        num_classes: number of classes.
        train_counts: training samples per class; None uses the evaluated set's own shares
            (a stand-in when the training list is unknown).
    """
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    if y_true.size == 0:
        raise ValueError('no samples to score')
    for name, y in (('true', y_true), ('predicted', y_pred)):
        if y.min() < 0 or y.max() >= num_classes:
            raise ValueError(f'{name} labels outside 0..{num_classes - 1}')
    matrix = confusion(y_true, y_pred, num_classes)
    precision, recall, f1, macro = prf_from_matrix(matrix)
    support = matrix.sum(axis=1)
    train = np.asarray(support if train_counts is None else train_counts, np.float64)
    base_acc, base_f1 = weighted_random_baseline(train, support)
    return ClassReport(
        accuracy=float(np.trace(matrix) / matrix.sum()), macro_f1=macro,
        baseline_accuracy=base_acc, baseline_macro_f1=base_f1,
        precision=precision.tolist(), recall=recall.tolist(), f1=f1.tolist(),
        support=support.astype(int).tolist(), train_shares=(train / train.sum()).tolist(),
        samples=int(y_true.size))


def format_report(report: ClassReport, classes: Sequence[str]) -> str:
    """The report as a text table: per class, then the totals beside the baseline."""
    width = max([len(c) for c in classes] + [len('macro avg')])
    lines = [f'{"class":<{width}}  precision  recall     f1  support  train share']
    for i, name in enumerate(classes):
        lines.append(f'{name:<{width}}  {report.precision[i]:9.4f}  {report.recall[i]:6.4f}  '
                     f'{report.f1[i]:6.4f}  {report.support[i]:7d}  {report.train_shares[i]:11.4f}')

    def lift(model: float, base: float) -> str:
        return f'{model / base:.2f}x' if base > 0 else 'n/a'

    lines += [
        f'{"accuracy":<{width}}  {report.accuracy:.4f}   weighted-random baseline '
        f'{report.baseline_accuracy:.4f}   lift {lift(report.accuracy, report.baseline_accuracy)}',
        f'{"macro F1":<{width}}  {report.macro_f1:.4f}   weighted-random baseline '
        f'{report.baseline_macro_f1:.4f}   lift '
        f'{lift(report.macro_f1, report.baseline_macro_f1)}   ({report.samples} samples)']
    return '\n'.join(lines)


@register_in(scopes=('mmpretrain', ), registry='METRICS')
class ClassificationReport(BaseMetric):
    """Accuracy, macro F1, per-class precision/recall/F1 and the weighted-random baseline.

    Results are gathered from every rank before scoring (MMEngine's ``collect_results``, which
    also drops the samples a distributed sampler repeats), so N processes score exactly what
    one would. The per-class table is logged; the returned metrics (logged, TensorBoard, best
    checkpoint) are ``{prefix}/accuracy``, ``/macro_f1``, ``/baseline_accuracy`` and
    ``/baseline_macro_f1``. Samples without a label (-1, a test list) are skipped; a set with
    none left gives no metrics.

    Args:
        train_ann_file: the training list (``path label`` lines) whose class shares define the
            baseline. Without it (and without ``train_counts``) the evaluated set's own shares
            stand in, and the log says so.
        train_counts: training samples per class, instead of ``train_ann_file``.
        out_file: also write the report as JSON here (per-class rows included).
        collect_device: ``'cpu'`` or ``'gpu'``, where results are gathered.
        prefix: metric name prefix (default ``cls``).
    """

    default_prefix = 'cls'

    def __init__(self, train_ann_file: str | None = None,
                 train_counts: Sequence[float] | None = None, out_file: str | None = None,
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.train_ann_file = train_ann_file
        self.train_counts = None if train_counts is None else list(train_counts)
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_score' in sample:
                pred = int(sample['pred_score'].argmax())
            else:
                pred = int(sample['pred_label'].reshape(-1)[0])
            self.results.append((int(sample['gt_label'].reshape(-1)[0]), pred))

    def compute_metrics(self, results: list) -> dict[str, float]:
        logger = MMLogger.get_current_instance()
        classes = list((self.dataset_meta or {}).get('classes') or [])
        labelled = [(t, p) for t, p in results if t >= 0]
        if not labelled:
            logger.info(f'ClassificationReport: none of the {len(results)} samples has a label '
                        '(a test list); no metrics')
            return {}
        y_true, y_pred = np.array(labelled).T
        num_classes = len(classes) or int(max(y_true.max(), y_pred.max())) + 1
        classes = classes or [str(i) for i in range(num_classes)]
        train_counts = self.train_counts
        if train_counts is None and self.train_ann_file:
            train_counts = class_counts_from_list(self.train_ann_file, num_classes)
        if train_counts is None:
            logger.warning('ClassificationReport: no train_ann_file/train_counts, the baseline '
                           'uses the evaluated set\'s class shares instead of the training ones')
        elif len(train_counts) != num_classes:
            raise ValueError(f'train_counts has {len(train_counts)} classes, the dataset '
                             f'{num_classes}')
        report = classification_report(y_true, y_pred, num_classes, train_counts)
        logger.info('\n' + format_report(report, classes))
        if self.out_file:
            atomic_write_text(self.out_file, report_json(report, classes))
        return {'accuracy': report.accuracy, 'macro_f1': report.macro_f1,
                'baseline_accuracy': report.baseline_accuracy,
                'baseline_macro_f1': report.baseline_macro_f1}


def report_json(report: ClassReport, classes: Sequence[str]) -> str:
    """The report as JSON text (what ``out_file`` holds)."""
    return json.dumps({'classes': list(classes), **asdict(report)}, indent=2)
