"""What a dumped sample holds: its id, its class scores, and checks on a set of predictions.

``tools/test.py --dump`` writes MMEngine's DumpResults pickle: a list of ``DataSample.to_dict()``
dicts (or data elements) with ``pred_score`` [C] and the metainfo that names the sample.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from custom_modules.utils.errors import PodiumError
from custom_modules.utils.validation import duplicated, list_some

logger = logging.getLogger(__name__)

DEFAULT_ID_KEYS = ('sample_id', 'frame_dir', 'img_path')
"""Where a dumped sample's id comes from, first present key wins.

``sample_id`` is used as is; ``frame_dir`` gives its last path component (the video stem: a
rawframes folder is named after the video, and a stem may itself contain dots); any other key is
taken as a file path and gives its stem (``img_path``: ``.../abc.jpg`` -> ``abc``).
"""
PROB_ATOL = 1e-3  # how far a row sum may be from 1 and still count as probabilities


class PredictionError(PodiumError, ValueError):
    """A prediction file or a set of them cannot be used as asked."""


def get_field(sample: Any, key: str) -> Any:
    """Read ``key`` from a dumped sample: a dict, or a data element with attributes."""
    if isinstance(sample, Mapping):
        return sample.get(key)
    return getattr(sample, key, None)


def sample_id(sample: Any, id_keys: Sequence[str] = DEFAULT_ID_KEYS) -> str | None:
    """The id of one dumped sample from the first of ``id_keys`` it has (see DEFAULT_ID_KEYS)."""
    for key in id_keys:
        value = get_field(sample, key)
        if value is None or value == '':
            continue
        if key == 'sample_id':
            return str(value)
        path = Path(str(value).rstrip('/\\'))
        return path.name if key == 'frame_dir' else path.stem
    return None


def to_numpy(x: Any) -> np.ndarray:
    """A torch tensor or array-like as a float64 numpy array."""
    if hasattr(x, 'detach'):  # torch.Tensor, without importing torch here
        x = x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=np.float64)


def pred_score(sample: Any) -> Any:
    """The class scores of a dumped sample (``pred_score``; mmaction 1.0's ``pred_scores.item``)."""
    score = get_field(sample, 'pred_score')
    if score is None:
        scores = get_field(sample, 'pred_scores')
        score = get_field(scores, 'item') if scores is not None else None
    return score


def softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def as_probabilities(scores: np.ndarray, source: str) -> np.ndarray:
    """Return ``scores`` if every row is a probability vector, else their softmax (and say so)."""
    sums = scores.sum(axis=1)
    if np.all(scores >= -1e-6) and np.allclose(sums, 1.0, atol=PROB_ATOL):
        return scores
    logger.info('%s: scores are not probabilities (row sums %.3g..%.3g); applying softmax',
                source, sums.min(), sums.max())
    return softmax(scores)


def check_unique_ids(ids: Sequence[Any], source: str) -> None:
    """Refuse a prediction set that lists a sample twice."""
    dup = duplicated(ids)
    if dup:
        raise PredictionError(f'{source}: duplicate sample ids {list_some(dup)}')


def check_predictions(ids: Sequence[str], probs: np.ndarray, source: str) -> None:
    """``probs`` is [N, C>=1] for N unique ids, with finite scores."""
    if probs.ndim != 2 or probs.shape[0] != len(ids):
        raise PredictionError(f'{source}: probs of shape {probs.shape} for {len(ids)} ids')
    if probs.shape[1] < 1:
        raise PredictionError(f'{source}: no classes in probs')
    check_unique_ids(ids, source)
    bad = ~np.isfinite(probs).all(axis=1)
    if bad.any():
        raise PredictionError(f'{source}: non-finite scores for ids '
                              f'{list_some([ids[i] for i in np.flatnonzero(bad)])}')
