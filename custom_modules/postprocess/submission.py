"""The submission CSV: sample_submission's ids and order, checked against the predictions."""
from __future__ import annotations

import csv
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from custom_modules.utils.atomic import atomic_write
from custom_modules.utils.validation import list_some

from .base import PostprocessError


@dataclasses.dataclass
class SampleSubmission:
    """A sample_submission CSV: its two-column header and ids, in file order."""

    path: Path
    header: list[str]
    ids: list[str]


def read_sample_submission(path: str | Path) -> SampleSubmission:
    """Read sample_submission; its ids must be unique and unique by stem too."""
    path = Path(path)
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise PostprocessError(f'{path}: cannot read: {e}') from e
    if not rows or len(rows[0]) != 2:
        raise PostprocessError(f'{path}: expected a header of two columns (id,class), '
                               f'got {rows[0] if rows else "an empty file"}')
    header, ids = [h.strip() for h in rows[0]], []
    for line, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            raise PostprocessError(f'{path}: row {line}: empty id')
        ids.append(row[0].strip())
    if not ids:
        raise PostprocessError(f'{path}: no rows')
    for what, keys in (('ids', ids), ('id stems', [Path(i).stem for i in ids])):
        seen: dict[str, int] = {}
        for line, key in enumerate(keys, start=2):
            if key in seen:
                raise PostprocessError(f'{path}: duplicate/ambiguous {what}: rows {seen[key]} and '
                                       f'{line} ({ids[seen[key] - 2]!r}, {ids[line - 2]!r})')
            seen[key] = line
    return SampleSubmission(path, header, ids)


def match_ids(sub: SampleSubmission, pred_ids: Sequence[str],
              source: str = 'predictions') -> np.ndarray:
    """For each sample_submission row, the index of its prediction (exact id, else stem)."""
    exact = {i: n for n, i in enumerate(sub.ids)}
    by_stem = {Path(i).stem: n for n, i in enumerate(sub.ids)}
    row_of = np.full(len(sub.ids), -1, dtype=np.int64)
    extra, dup = [], []
    for p, pid in enumerate(pred_ids):
        n = exact.get(pid, by_stem.get(pid))
        if n is None:
            extra.append(pid)
        elif row_of[n] >= 0:
            dup.append(f'{sub.ids[n]} <- {pred_ids[row_of[n]]}, {pid}')
        else:
            row_of[n] = p
    missing = [sub.ids[n] for n in np.flatnonzero(row_of < 0)]
    problems = []
    if missing:
        problems.append(f'{len(missing)} ids without a prediction {list_some(missing)}')
    if extra:
        problems.append(f'{len(extra)} predictions for no id {list_some(extra)}')
    if dup:
        problems.append(f'{len(dup)} ids predicted more than once {list_some(dup)}')
    if problems:
        raise PostprocessError(f'{source} vs {sub.path}: ' + '; '.join(problems))
    return row_of


def write_submission(path: str | Path, sub: SampleSubmission, names: Sequence[str],
                     classes: Sequence[str]) -> None:
    """Write ``names`` (one class name per sample_submission row, in its order) atomically."""
    if len(names) != len(sub.ids):
        raise PostprocessError(f'{path}: {len(names)} predictions for {len(sub.ids)} rows of '
                               f'{sub.path}')
    valid = set(classes)
    bad = [f'{i}={c!r}' for i, c in zip(sub.ids, names) if c not in valid]
    if bad:
        raise PostprocessError(f'{path}: unknown classes for {list_some(bad)}')
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(sub.header)
        writer.writerows(zip(sub.ids, names))
