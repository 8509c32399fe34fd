"""Out-of-fold (OOF) predictions: each training sample predicted by the fold that held it out.

File format (``<work_dir>/<run>/oof.csv``, and ``oof_ensemble.csv``)::

    sample_id,fold,label,<class 0>,<class 1>,...
    v001,0,jay_walk,0.1,0.7,...

``label`` is the true class NAME; one probability column per class, in classes.txt order. With all
folds trained every training sample appears exactly once (:func:`check_coverage` says which do not).
"""
from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from custom_modules.utils.atomic import atomic_write
from custom_modules.utils.validation import Problems, duplicated, list_some

from .samples import PredictionError

HEAD = ('sample_id', 'fold', 'label')
PROB_FORMAT = '.8g'  # digits written per probability: log loss changes < 1e-7


@dataclass
class OofPredictions:
    """OOF predictions of one run (or of the ensemble).

    Attributes:
        ids: sample ids [N], unique.
        folds: the fold that predicted each sample [N] (int64).
        labels: true class name of each sample [N].
        probs: class probabilities [N, C] (float64), columns in ``classes`` order.
        classes: class names [C].
    """

    ids: list[str]
    folds: np.ndarray
    labels: list[str]
    probs: np.ndarray
    classes: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def targets(self) -> np.ndarray:
        """The index in ``classes`` of each sample's label [N] (int64)."""
        index = {c: i for i, c in enumerate(self.classes)}
        return np.fromiter((index[label] for label in self.labels), np.int64, len(self.labels))

    @property
    def fold_ids(self) -> list[int]:
        """The folds present, sorted."""
        return sorted({int(f) for f in self.folds})

    def select(self, ids: Sequence[str]) -> OofPredictions:
        """The rows of ``ids`` in that order (matched by id); raises naming the missing ones."""
        row = {s: k for k, s in enumerate(self.ids)}
        missing = [s for s in ids if s not in row]
        if missing:
            raise PredictionError(f'{len(missing)} sample id(s) not in the OOF predictions: '
                                  f'{list_some(missing)}')
        order = np.fromiter((row[s] for s in ids), np.int64, len(ids))
        return OofPredictions([str(s) for s in ids], self.folds[order],
                              [self.labels[k] for k in order], self.probs[order],
                              list(self.classes))

    def fold(self, k: int) -> OofPredictions:
        """The rows predicted by fold ``k``."""
        return self.select([s for s, f in zip(self.ids, self.folds) if int(f) == k])


def check_oof(ids: Sequence[str], folds: Sequence[int], labels: Sequence[str],
              probs: np.ndarray, classes: Sequence[str], name: str = 'OOF predictions') -> None:
    """Raises :class:`PredictionError` naming every inconsistency of an OOF table."""
    probs = np.asarray(probs)
    errors = []
    n = len(ids)
    if len(folds) != n or len(labels) != n:
        errors.append(f'{n} ids, {len(folds)} folds, {len(labels)} labels')
    if probs.ndim != 2 or probs.shape != (n, len(classes)):
        errors.append(f'probabilities of shape {probs.shape}, expected ({n}, {len(classes)})')
    elif not np.all(np.isfinite(probs)):
        errors.append('probabilities contain NaN or infinity')
    if dup := duplicated(str(i) for i in ids):
        errors.append(f'{len(dup)} sample id(s) more than once: {list_some(dup)}')
    if dup := duplicated(classes):
        errors.append(f'class names repeated: {list_some(dup)}')
    if unknown := sorted(set(labels) - set(classes)):
        errors.append(f'label(s) not among the classes: {list_some(unknown)}')
    if any(int(f) < 0 for f in folds):
        errors.append('negative fold numbers')
    if errors:
        raise PredictionError(f'{name}: ' + '; '.join(errors))


def write_oof(path: str | Path, ids: Sequence[str], folds: Sequence[int], labels: Sequence[str],
              probs: np.ndarray, classes: Sequence[str]) -> Path:
    """Writes OOF predictions atomically (nothing half-written); see the module doc for the format.

    Args:
        path: the CSV to write.
        ids: sample ids [N], unique.
        folds: the fold that predicted each sample [N].
        labels: true class name of each sample [N].
        probs: class probabilities [N, C], columns in ``classes`` order.
        classes: class names [C].
    """
    path = Path(path)
    check_oof(ids, folds, labels, probs, classes, name=str(path))
    probs = np.asarray(probs, dtype=np.float64)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, 'w', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow([*HEAD, *classes])
        for i, fold, label, row in zip(ids, folds, labels, probs):
            writer.writerow([i, int(fold), label, *(format(float(p), PROB_FORMAT) for p in row)])
    return path


def _read_header(path: Path, problems: Problems) -> list[str] | None:
    """The class columns of an OOF file's header, or None (problem recorded)."""
    with open(path, newline='', encoding='utf-8-sig') as f:
        header = next(csv.reader(f), None)
    if not header:
        problems.add(path, None, f'empty file: expected the header {",".join(HEAD)},<classes...>')
        return None
    header = [h.strip() for h in header]
    if tuple(header[:3]) != HEAD or len(header) < 4:
        problems.add(path, 1, f'header must be {",".join(HEAD)},<class 0>,<class 1>,...; '
                              f'found {",".join(header)}')
        return None
    if dup := duplicated(header[3:]):
        problems.add(path, 1, f'class column(s) repeated: {list_some(dup)}')
        return None
    return header[3:]


def _parse_rows(path: Path, classes: list[str], problems: Problems):
    """Reads and checks every row; returns (ids, folds, labels, probs) or None."""
    ids, folds, labels, probs = [], [], [], []
    known, first = set(classes), {}
    width = len(HEAD) + len(classes)
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        next(reader)
        line = reader.line_num
        for record in reader:
            line, start = reader.line_num, line + 1
            if not any(cell.strip() for cell in record):
                continue
            cells = [c.strip() for c in record]
            if len(cells) != width:
                problems.add(path, start, f'{len(cells)} cells, expected {width}')
                continue
            sid, fold, label = cells[:3]
            if not sid:
                problems.add(path, start, 'empty sample_id')
            elif sid in first:
                problems.add(path, start,
                             f'sample_id {sid!r} repeated (first on line {first[sid]})')
            first.setdefault(sid, start)
            if not fold.isdigit():
                problems.add(path, start, f'fold {fold!r} is not a non-negative integer')
            if label not in known:
                problems.add(path, start, f'label {label!r} is not one of the class columns')
            try:
                row = [float(c) for c in cells[3:]]
            except ValueError:
                problems.add(path, start, 'a probability is not a number')
                continue
            if not all(math.isfinite(p) and p >= 0 for p in row):
                problems.add(path, start, 'probabilities must be finite and >= 0')
            ids.append(sid)
            folds.append(int(fold) if fold.isdigit() else -1)
            labels.append(label)
            probs.append(row)
    if not ids and not problems:
        problems.add(path, None, 'no rows: the file has a header line only')
    return ids, folds, labels, probs


def read_oof(path: str | Path) -> OofPredictions:
    """Reads an OOF CSV; raises :class:`DataError` naming the file and line of every bad row."""
    path = Path(path)
    problems = Problems()
    if not path.is_file():
        problems.add(path, None, 'OOF predictions not found (written after training with '
                                 'validation dumps of the folds)')
        problems.raise_if_any()
    try:
        classes = _read_header(path, problems)
        if classes is None:
            problems.raise_if_any()
        ids, folds, labels, probs = _parse_rows(path, classes, problems)
    except (csv.Error, UnicodeDecodeError) as err:
        raise PredictionError(f'{path}: not a readable CSV ({err})') from err
    problems.raise_if_any()
    return OofPredictions(ids, np.asarray(folds, dtype=np.int64), labels,
                          np.asarray(probs, dtype=np.float64).reshape(len(ids), len(classes)),
                          classes)


def check_coverage(ids: Iterable[str], expected: Iterable[str], name: str,
                   folds: Sequence[int] | None = None) -> None:
    """Every expected id exactly once and nothing else; raises naming missing/duplicate/extra ids.

    Args:
        ids: the ids in the OOF table (one per row).
        expected: the training ids (e.g. every row of train.csv).
        name: what is checked, for the message (a run or a file).
        folds: the folds that were trained, named in the message when ids are missing.
    """
    ids = [str(i) for i in ids]
    expected = {str(i) for i in expected}
    dup, got = duplicated(ids), set(ids)
    missing, extra = expected - got, got - expected
    errors = []
    if dup:
        errors.append(f'{len(dup)} id(s) predicted by more than one fold: {list_some(dup)}')
    if missing:
        trained = f' (folds trained: {list(folds)})' if folds is not None else ''
        errors.append(f'{len(missing)} training id(s) in no validation fold{trained}: '
                      f'{list_some(missing)}')
    if extra:
        errors.append(f'{len(extra)} id(s) not in the training data: {list_some(extra)}')
    if errors:
        raise PredictionError(f'{name}: out-of-fold predictions must hold every training sample '
                              'exactly once; ' + '; '.join(errors))
