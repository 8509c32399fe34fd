"""The one ensembler: a weighted mean of per-sample arrays, rows matched by id, never by position.

Two runs may list the same samples in different orders (distributed samplers, oversampled lists,
resumed jobs), so every input is aligned to one id order before averaging. Class probabilities
(:func:`ensemble`), boxes and per-frame scores (:func:`average_by_id`) all go through here.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np

from custom_modules.utils.validation import list_some

from .samples import PredictionError, check_predictions, check_unique_ids

IdArrays = tuple[Sequence[Hashable], np.ndarray]
"""One model's predictions: sample ids [N] and the values of each sample [N, ...]."""


def run_file_weights(runs: Sequence[tuple[str, float]]) -> list[float]:
    """One weight per prediction file: its run's weight shared equally by that run's files.

    Args:
        runs: ``(run name, run weight)`` for each file, e.g. one file per fold of a run.
    """
    files_of = Counter(name for name, _ in runs)
    return [weight / files_of[name] for name, weight in runs]


def normalised_weights(weights: Sequence[float] | None, names: Sequence[str]) -> np.ndarray:
    """``weights`` (default equal) divided by their sum; one non-negative weight per input."""
    w = np.ones(len(names)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(names), ):
        raise PredictionError(f'{w.size} weights for {len(names)} prediction files {list(names)}')
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise PredictionError(f'weights must be non-negative with a positive sum, got {list(w)}')
    return w / w.sum()


def _check_same_ids(parts: Sequence[IdArrays], names: Sequence[str],
                    ref: Sequence[Hashable], ref_name: str) -> None:
    """Every input covers exactly the ids of ``ref``; names what is missing or extra."""
    expected = set(ref)
    problems = []
    for (ids, _), name in zip(parts, names):
        got = set(ids)
        if got == expected:
            continue
        missing, extra = expected - got, got - expected
        msg = f'{name} vs {ref_name}:'
        if missing:
            msg += f' missing {len(missing)} ids {list_some(missing)};'
        if extra:
            msg += f' {len(extra)} extra ids {list_some(extra)};'
        problems.append(msg.rstrip(';'))
    if problems:
        raise PredictionError('sample sets differ: ' + ' | '.join(problems))


def average_by_id(parts: Sequence[IdArrays], weights: Sequence[float] | None = None,
                  names: Sequence[str] | None = None,
                  ids: Sequence[Hashable] | None = None) -> tuple[list[Hashable], np.ndarray]:
    """Weighted mean of per-sample arrays (probabilities, boxes, frame scores), matched by id.

    Args:
        parts: one ``(ids [N], values [N, ...])`` per model; ids are any hashable keys (a
            sample id, a ``(video, frame)`` pair) and every model must cover the same ids.
        weights: one non-negative weight per model (default equal), normalised to sum 1.
        names: labels for error messages (file names); default ``input #i``.
        ids: the output order; default the first model's order.

    Returns:
        the ids and the float64 weighted mean [N, ...] in that order.
    """
    if not parts:
        raise PredictionError('nothing to ensemble: no predictions given')
    names = list(names) if names is not None else [f'input #{i}' for i in range(len(parts))]
    if len(names) != len(parts):
        raise PredictionError(f'{len(names)} names for {len(parts)} predictions')
    w = normalised_weights(weights, names)
    arrays = []
    for (part_ids, values), name in zip(parts, names):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim < 1 or values.shape[0] != len(part_ids):
            raise PredictionError(f'{name}: values of shape {values.shape} for '
                                  f'{len(part_ids)} ids')
        check_unique_ids(part_ids, name)
        arrays.append(values)
    shapes = {name: a.shape[1:] for name, a in zip(names, arrays)}
    if len(set(shapes.values())) > 1:
        raise PredictionError(f'value shapes differ: {shapes}')
    if ids is None:
        ref, ref_name = list(parts[0][0]), names[0]
        _check_same_ids(parts[1:], names[1:], ref, ref_name)
    else:
        ref = list(ids)
        check_unique_ids(ref, 'the expected ids')
        _check_same_ids(parts, names, ref, 'the expected ids')

    out = np.zeros((len(ref), *arrays[0].shape[1:]), dtype=np.float64)
    for (part_ids, _), values, wi in zip(parts, arrays, w):
        row = {i: k for k, i in enumerate(part_ids)}
        order = np.fromiter((row[i] for i in ref), dtype=np.int64, count=len(ref))
        out += wi * values[order]
    return ref, out


def ensemble(preds: Sequence[tuple[Sequence[str], np.ndarray]],
             weights: Sequence[float] | None = None,
             names: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Weighted mean of class probabilities, rows matched by sample id.

    Args:
        preds: one ``(ids, probs [N, C])`` per model; all must cover the same ids and classes.
        weights: one non-negative weight per model (default equal), normalised to sum 1.
        names: labels for error messages (file names); default ``input #i``.

    Returns:
        ids in the order of the first input, and float32 probabilities [N, C].
    """
    names = list(names) if names is not None else [f'input #{i}' for i in range(len(preds))]
    parts = [([str(i) for i in ids], np.asarray(probs)) for ids, probs in preds]
    if len(names) != len(parts):
        raise PredictionError(f'{len(names)} names for {len(parts)} predictions')
    for (ids, probs), name in zip(parts, names):
        check_predictions(ids, probs, name)
    n_cls = {name: probs.shape[1] for (_, probs), name in zip(parts, names)}
    if len(set(n_cls.values())) > 1:
        raise PredictionError(f'class counts differ: {n_cls}')
    ids, probs = average_by_id(parts, weights, names)
    return ids, probs.astype(np.float32)
