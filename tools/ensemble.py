"""Weighted mean of class probabilities from several prediction dumps, aligned by sample id.

Inputs are what ``tools/test.py --dump preds.pkl`` writes (MMEngine's DumpResults pickle: a list
of ``DataSample.to_dict()`` dicts with ``pred_score`` [C] and metainfo) or podium prediction files
written by this tool. Rows are matched by sample id, never by position, because two runs may list
the test set in different orders (distributed samplers, oversampled lists, resumed jobs).

Podium prediction file (``.npz``, read with ``numpy.load`` and no pickle)::

    ids      str    [N]     sample ids (video stems for the action solution)
    probs    float32[N, C]  class probabilities, rows sum to 1
    classes  str    [C]     class names in label order (only when known)
    sources  str    [M]     the files that were ensembled, and
    weights  float64[M]     their normalised weights

Next to it a CSV ``<out>.csv`` (``sample_id,label,class,prob``) shows the top-1 for humans.

Example::

    python tools/ensemble.py m1.pkl m2.pkl --weights 0.6 0.4 --classes classes.txt \
        --out work_dirs/action/ensemble.npz
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import os
import pickle
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ''):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_ID_KEYS = ('sample_id', 'frame_dir', 'img_path')
"""Where a dumped sample's id comes from, first present key wins.

``sample_id`` is used as is; ``frame_dir`` gives its last path component (the video stem: a
rawframes folder is named after the video, and a stem may itself contain dots); any other key is
taken as a file path and gives its stem (``img_path``: ``.../abc.jpg`` -> ``abc``).
"""
PROB_ATOL = 1e-3  # how far a row sum may be from 1 and still count as probabilities
MAX_LISTED = 5  # offending ids named in an error message


class PredictionError(ValueError):
    """A prediction file or a set of them cannot be used as asked."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = 'w', **kwargs: Any) -> Iterator[Any]:
    """Open a temp file beside ``path`` and move it onto ``path`` only when the block succeeds.

    Readers never see a half-written file and a failure leaves no file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def list_some(items: Sequence[Any] | set[Any], limit: int = MAX_LISTED) -> str:
    """Name a few items of a possibly long collection for an error message."""
    items = sorted(items, key=str) if isinstance(items, set) else list(items)
    shown = ', '.join(repr(i) for i in items[:limit])
    more = f' ... ({len(items)} in all)' if len(items) > limit else ''
    return f'[{shown}{more}]'


def read_lines(path: str | Path) -> list[str]:
    """Read a one-name-per-line file (class lists), skipping blank lines; names must be unique."""
    path = Path(path)
    try:
        names = [ln.strip() for ln in path.read_text(encoding='utf-8').splitlines()]
    except OSError as e:
        raise PredictionError(f'{path}: cannot read: {e}') from e
    names = [n for n in names if n]
    if not names:
        raise PredictionError(f'{path}: no names in file')
    dup = [n for n, c in Counter(names).items() if c > 1]
    if dup:
        raise PredictionError(f'{path}: duplicate names {list_some(dup)}')
    return names


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


def _pred_score(sample: Any) -> Any:
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


def _check_ids(ids: Sequence[str], source: str) -> None:
    dup = [i for i, c in Counter(ids).items() if c > 1]
    if dup:
        raise PredictionError(f'{source}: duplicate sample ids {list_some(dup)}')


def read_podium_predictions(path: str | Path) -> tuple[list[str], np.ndarray, list[str] | None]:
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
    _validate(ids, probs, str(path))
    if classes is not None and len(classes) != probs.shape[1]:
        raise PredictionError(f'{path}: {len(classes)} classes but probs have {probs.shape[1]} '
                              'columns')
    return ids, probs, classes


def _validate(ids: Sequence[str], probs: np.ndarray, source: str) -> None:
    if probs.ndim != 2 or probs.shape[0] != len(ids):
        raise PredictionError(f'{source}: probs of shape {probs.shape} for {len(ids)} ids')
    if probs.shape[1] < 1:
        raise PredictionError(f'{source}: no classes in probs')
    _check_ids(ids, source)
    bad = ~np.isfinite(probs).all(axis=1)
    if bad.any():
        raise PredictionError(f'{source}: non-finite scores for ids '
                              f'{list_some([ids[i] for i in np.flatnonzero(bad)])}')


def load_dump(path: str | Path,
              id_keys: Sequence[str] = DEFAULT_ID_KEYS) -> tuple[list[str], np.ndarray]:
    """Read an MMEngine DumpResults pickle of classification results.

    The pickle is trusted input (your own ``tools/test.py --dump``): unpickling runs code.

    Returns:
        ids and float32 probabilities [N, C] (softmax applied if the scores were logits).
    """
    path = Path(path)
    try:
        with open(path, 'rb') as f:
            samples = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as e:
        raise PredictionError(f'{path}: cannot unpickle: {e}') from e
    if isinstance(samples, Mapping) and 'ids' in samples and 'probs' in samples:
        ids = [str(i) for i in samples['ids']]
        probs = to_numpy(samples['probs'])
    else:
        if not isinstance(samples, (list, tuple)):
            raise PredictionError(f'{path}: expected a list of samples (DumpResults), '
                                  f'got {type(samples).__name__}')
        if not samples:
            raise PredictionError(f'{path}: no samples')
        ids, rows = [], []
        for n, sample in enumerate(samples):
            sid = sample_id(sample, id_keys)
            if sid is None:
                raise PredictionError(f'{path}: sample #{n} has none of the id keys '
                                      f'{list(id_keys)}')
            score = _pred_score(sample)
            if score is None:
                raise PredictionError(f'{path}: sample #{n} ({sid!r}) has no pred_score')
            row = to_numpy(score).reshape(-1)
            if rows and row.shape != rows[0].shape:
                raise PredictionError(f'{path}: sample #{n} ({sid!r}) has {row.size} scores, '
                                      f'sample #0 has {rows[0].size}')
            ids.append(sid)
            rows.append(row)
        probs = np.stack(rows)
    _validate(ids, probs, str(path))
    return ids, as_probabilities(probs, str(path)).astype(np.float32)


def load_predictions(path: str | Path,
                     id_keys: Sequence[str] = DEFAULT_ID_KEYS) -> tuple[list[str], np.ndarray]:
    """Read any prediction file: a DumpResults ``.pkl`` or a podium ``.npz``.

    Returns:
        ids (list[str]) and float32 probabilities [N, C] whose rows sum to 1.
    """
    if Path(path).suffix == '.npz':
        ids, probs, _ = read_podium_predictions(path)
        return ids, as_probabilities(probs.astype(np.float64), str(path)).astype(np.float32)
    return load_dump(path, id_keys)


def ensemble(preds: Sequence[tuple[Sequence[str], np.ndarray]],
             weights: Sequence[float] | None = None,
             names: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Weighted mean of probabilities, rows matched by sample id.

    Args:
        preds: one ``(ids, probs [N, C])`` per model; all must cover the same ids and classes.
        weights: one non-negative weight per model (default equal), normalised to sum 1.
        names: labels for error messages (file names); default ``input #i``.

    Returns:
        ids in the order of the first input, and float32 probabilities [N, C].
    """
    if not preds:
        raise PredictionError('nothing to ensemble: no predictions given')
    names = list(names) if names is not None else [f'input #{i}' for i in range(len(preds))]
    if len(names) != len(preds):
        raise PredictionError(f'{len(names)} names for {len(preds)} predictions')
    w = np.ones(len(preds)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(preds),):
        raise PredictionError(f'{w.size} weights for {len(preds)} prediction files {names}')
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise PredictionError(f'weights must be non-negative with a positive sum, got {list(w)}')
    w = w / w.sum()

    ids0 = [str(i) for i in preds[0][0]]
    for (ids, probs), name in zip(preds, names):
        _validate(list(ids), np.asarray(probs), name)
    n_cls = {name: np.asarray(p).shape[1] for (_, p), name in zip(preds, names)}
    if len(set(n_cls.values())) > 1:
        raise PredictionError(f'class counts differ: {n_cls}')
    ref = set(ids0)
    problems = []
    for (ids, _), name in zip(preds[1:], names[1:]):
        got = {str(i) for i in ids}
        if got != ref:
            missing, extra = ref - got, got - ref
            msg = f'{name} vs {names[0]}:'
            if missing:
                msg += f' missing {len(missing)} ids {list_some(missing)};'
            if extra:
                msg += f' {len(extra)} extra ids {list_some(extra)};'
            problems.append(msg.rstrip(';'))
    if problems:
        raise PredictionError('sample sets differ: ' + ' | '.join(problems))

    out = np.zeros(np.asarray(preds[0][1]).shape, dtype=np.float64)
    for (ids, probs), wi in zip(preds, w):
        row = {str(i): k for k, i in enumerate(ids)}
        order = np.fromiter((row[i] for i in ids0), dtype=np.int64, count=len(ids0))
        out += wi * np.asarray(probs, dtype=np.float64)[order]
    return ids0, out.astype(np.float32)


def save_predictions(path: str | Path, ids: Sequence[str], probs: np.ndarray,
                     classes: Sequence[str] | None = None,
                     sources: Sequence[str] | None = None,
                     weights: Sequence[float] | None = None) -> None:
    """Write a podium prediction file (``.npz``) atomically; see the module docstring."""
    path = Path(path)
    if path.suffix != '.npz':
        raise PredictionError(f'{path}: a podium prediction file must end in .npz')
    probs = np.asarray(probs, dtype=np.float32)
    _validate(list(ids), probs, str(path))
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
    with atomic_write(path, 'wb') as f:
        np.savez(f, **arrays)


def save_top1_csv(path: str | Path, ids: Sequence[str], probs: np.ndarray,
                  classes: Sequence[str] | None = None) -> None:
    """Write ``sample_id,label,class,prob`` (the top-1 of each row) atomically, for humans."""
    top = np.argmax(probs, axis=1)
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['sample_id', 'label', 'class', 'prob'])
        for sid, k, row in zip(ids, top, probs):
            writer.writerow([sid, int(k), classes[k] if classes else '', f'{row[k]:.6f}'])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('preds', nargs='+', help='DumpResults .pkl or podium .npz files')
    parser.add_argument('--out', required=True, help='output podium prediction file (.npz)')
    parser.add_argument('--weights', type=float, nargs='+',
                        help='one weight per input (default equal); normalised to sum 1')
    parser.add_argument('--classes', help='class names, one per line, in label order')
    parser.add_argument('--id-key', nargs='+', default=list(DEFAULT_ID_KEYS),
                        help='sample keys tried in order for the id (default: %(default)s)')
    parser.add_argument('--csv', help='top-1 CSV for humans (default: OUT with .csv suffix)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[ensemble] %(message)s')
    try:
        if args.weights is not None and len(args.weights) != len(args.preds):
            raise PredictionError(f'{len(args.weights)} weights for {len(args.preds)} files')
        classes = read_lines(args.classes) if args.classes else None
        preds = [load_predictions(p, args.id_key) for p in args.preds]
        ids, probs = ensemble(preds, args.weights, names=args.preds)
        if classes is not None and len(classes) != probs.shape[1]:
            raise PredictionError(f'{args.classes}: {len(classes)} classes but the predictions '
                                  f'have {probs.shape[1]}')
        w = np.ones(len(preds)) if args.weights is None else np.asarray(args.weights, float)
        w = w / w.sum()
        out = Path(args.out)
        save_predictions(out, ids, probs, classes, sources=args.preds, weights=w)
        save_top1_csv(args.csv or out.with_suffix('.csv'), ids, probs, classes)
    except PredictionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    logger.info('%d samples x %d classes from %d files (weights %s) -> %s', len(ids),
                probs.shape[1], len(preds), ', '.join(f'{x:.3g}' for x in w), out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
