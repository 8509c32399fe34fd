"""Ground-truth and predicted class labels of a classification dump, checked against a class list.

MMAction2 and MMPretrain store ``gt_label`` and ``pred_label`` as long tensors of shape [1] and
``pred_score`` as a float tensor [C]. The prediction is the argmax of ``pred_score``
(``pred_label`` when a dump has no scores). Samples must carry a real ground truth: a test list's
placeholder label -1 is an error.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from custom_modules.utils.validation import list_some

from .samples import PredictionError, get_field, sample_id, to_numpy


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
