"""Prediction files: MMEngine DumpResults pickles in, podium ``.npz`` and top-1 CSVs out.

Inputs are what ``tools/test.py --dump preds.pkl`` writes (MMEngine's DumpResults pickle: a list
of ``DataSample.to_dict()`` dicts with ``pred_score`` [C] and metainfo) or podium prediction
files. Rows carry a sample id (see :data:`DEFAULT_ID_KEYS`) so that files are matched by id,
never by position.

Podium prediction file (``.npz``, read with ``numpy.load`` and no pickle)::

    ids      str    [N]     sample ids (video stems for the action solution)
    probs    float32[N, C]  class probabilities, rows sum to 1
    classes  str    [C]     class names in label order (only when known)
    sources  str    [M]     the files that were ensembled, and
    weights  float64[M]     their normalised weights
"""
from __future__ import annotations

import csv
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from custom_modules.utils.atomic import atomic_save_npz, atomic_write

from .samples import (
    DEFAULT_ID_KEYS,
    PredictionError,
    as_probabilities,
    check_predictions,
    pred_score,
    sample_id,
    to_numpy,
)


def _unpickle(path: Path) -> Any:
    """The object in a pickle this user's own run wrote (unpickling runs code: trusted input)."""
    try:
        with open(path, 'rb') as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as e:
        raise PredictionError(f'{path}: cannot read the dump: {e}') from e


def _check_sample_list(path: Path, samples: Any) -> list[Any]:
    if not isinstance(samples, (list, tuple)) or not samples:
        got = 'an empty list' if isinstance(samples, (list, tuple)) else type(samples).__name__
        raise PredictionError(f'{path}: expected a non-empty list of samples (tools/test.py '
                              f'--dump), got {got}')
    return list(samples)


def load_dump(path: str | Path) -> list[Any]:
    """The samples of an MMEngine DumpResults pickle (``tools/test.py --dump``), a list."""
    path = Path(path)
    return _check_sample_list(path, _unpickle(path))


def dump_probabilities(path: str | Path, id_keys: Sequence[str] = DEFAULT_ID_KEYS
                       ) -> tuple[list[str], np.ndarray]:
    """Ids and float32 probabilities [N, C] of a classification DumpResults pickle.

    Scores that are not probabilities (logits) get a softmax. A pickled ``{'ids', 'probs'}``
    dict is read as well.
    """
    path = Path(path)
    samples = _unpickle(path)
    if isinstance(samples, Mapping) and 'ids' in samples and 'probs' in samples:
        ids = [str(i) for i in samples['ids']]
        probs = to_numpy(samples['probs'])
    else:
        ids, rows = [], []
        for n, sample in enumerate(_check_sample_list(path, samples)):
            sid = sample_id(sample, id_keys)
            if sid is None:
                raise PredictionError(f'{path}: sample #{n} has none of the id keys '
                                      f'{list(id_keys)}')
            score = pred_score(sample)
            if score is None:
                raise PredictionError(f'{path}: sample #{n} ({sid!r}) has no pred_score')
            row = to_numpy(score).reshape(-1)
            if rows and row.shape != rows[0].shape:
                raise PredictionError(f'{path}: sample #{n} ({sid!r}) has {row.size} scores, '
                                      f'sample #0 has {rows[0].size}')
            ids.append(sid)
            rows.append(row)
        probs = np.stack(rows)
    check_predictions(ids, probs, str(path))
    return ids, as_probabilities(probs, str(path)).astype(np.float32)


def read_prediction_npz(path: str | Path) -> tuple[list[str], np.ndarray, list[str] | None]:
    """Read a podium prediction file (``.npz``, see the module docstring).

    Returns:
        ids, probs float32 [N, C], and the class names or None.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            if 'ids' not in data or 'probs' not in data:
                raise PredictionError(f'{path}: not a podium prediction file (needs ids, probs; '
                                      f'has {sorted(data.files)})')
            ids = [str(i) for i in data['ids']]
            probs = np.asarray(data['probs'], dtype=np.float32)
            classes = [str(c) for c in data['classes']] if 'classes' in data else None
    except PredictionError:
        raise
    except (OSError, ValueError) as e:
        raise PredictionError(f'{path}: cannot read as .npz: {e}') from e
    check_predictions(ids, probs, str(path))
    if classes is not None and len(classes) != probs.shape[1]:
        raise PredictionError(f'{path}: {len(classes)} classes but probs have {probs.shape[1]} '
                              'columns')
    return ids, probs, classes


def load_predictions(path: str | Path,
                     id_keys: Sequence[str] = DEFAULT_ID_KEYS) -> tuple[list[str], np.ndarray]:
    """Read any prediction file: a DumpResults ``.pkl`` or a podium ``.npz``.

    Returns:
        ids (list[str]) and float32 probabilities [N, C] whose rows sum to 1.
    """
    if Path(path).suffix == '.npz':
        ids, probs, _ = read_prediction_npz(path)
        return ids, as_probabilities(probs.astype(np.float64), str(path)).astype(np.float32)
    return dump_probabilities(path, id_keys)


def save_predictions(path: str | Path, ids: Sequence[str], probs: np.ndarray,
                     classes: Sequence[str] | None = None,
                     sources: Sequence[str] | None = None,
                     weights: Sequence[float] | None = None) -> None:
    """Write a podium prediction file (``.npz``) atomically; see the module docstring."""
    path = Path(path)
    if path.suffix != '.npz':
        raise PredictionError(f'{path}: a podium prediction file must end in .npz')
    probs = np.asarray(probs, dtype=np.float32)
    check_predictions(list(ids), probs, str(path))
    arrays: dict[str, np.ndarray] = {'ids': np.array([str(i) for i in ids], dtype=str),
                                     'probs': probs}
    if classes is not None:
        if len(classes) != probs.shape[1]:
            raise PredictionError(f'{path}: {len(classes)} classes for {probs.shape[1]} columns')
        arrays['classes'] = np.array(list(classes), dtype=str)
    if sources is not None:
        arrays['sources'] = np.array([str(s) for s in sources], dtype=str)
    if weights is not None:
        arrays['weights'] = np.asarray(weights, dtype=np.float64)
    atomic_save_npz(path, **arrays)


def save_top1_csv(path: str | Path, ids: Sequence[str], probs: np.ndarray,
                  classes: Sequence[str] | None = None) -> None:
    """Write ``sample_id,label,class,prob`` (the top-1 of each row) atomically, for humans."""
    top = np.argmax(probs, axis=1)
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['sample_id', 'label', 'class', 'prob'])
        for sid, k, row in zip(ids, top, probs):
            writer.writerow([sid, int(k), classes[k] if classes else '', f'{row[k]:.6f}'])
