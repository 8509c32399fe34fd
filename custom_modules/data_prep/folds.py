"""Seeded, library-independent data splits: stratified k-fold, grouped k-fold, holdout.

Written here (not sklearn) so that a seed gives the same split on every machine and version.
"""
from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from custom_modules.utils.validation import Problems, list_some

TYPO_CUTOFF = 0.8  # difflib similarity above which a rare class is named as a likely typo


def _class_members(labels: Sequence) -> list[np.ndarray]:
    """Indices of each class, classes in sorted order (deterministic)."""
    _, inverse = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    order = np.argsort(inverse, kind='stable')
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


def stratified_folds(labels: Sequence, k: int, seed: int) -> np.ndarray:
    """Assigns each sample a fold in 0..k-1, class proportions equal across folds.

    Each class is shuffled and dealt round-robin, continuing where the previous class stopped,
    so fold sizes differ by at most one and each class's count differs by at most one.

    Args:
        labels: One label per sample.
        k: Number of folds (>= 2).
        seed: Shuffling seed.
    """
    n = len(labels)
    if k < 2:
        raise ValueError(f'need at least 2 folds, got {k}')
    if n < k:
        raise ValueError(f'{n} samples cannot make {k} folds')
    rng = np.random.default_rng(seed)
    folds = np.empty(n, dtype=np.int64)
    start = 0
    for members in _class_members(labels):
        members = members[rng.permutation(len(members))]
        folds[members] = (start + np.arange(len(members))) % k
        start = (start + len(members)) % k
    return folds


def grouped_folds(groups: Sequence, labels: Sequence, k: int, seed: int) -> np.ndarray:
    """Folds where all samples of a group (e.g. a video) share one fold.

    Groups are stratified by `labels`, given per sample; a group's label is its first sample's.
    """
    groups = np.asarray(groups, dtype=str)
    uniq, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    group_labels = np.asarray(labels, dtype=str)[first]
    if len(uniq) < k:
        raise ValueError(f'{len(uniq)} groups cannot make {k} folds')
    return stratified_folds(group_labels, k, seed)[inverse]


def holdout(labels: Sequence, valid_size: float, seed: int) -> np.ndarray:
    """Boolean mask of validation samples: `valid_size` of each class (rounded), stratified.

    Args:
        labels: One label per sample.
        valid_size: Fraction in (0, 1) of each class that goes to validation.
        seed: Shuffling seed.
    """
    if not 0 < valid_size < 1:
        raise ValueError(f'valid_size must be in (0, 1), got {valid_size}')
    rng = np.random.default_rng(seed)
    is_val = np.zeros(len(labels), dtype=bool)
    for members in _class_members(labels):
        members = members[rng.permutation(len(members))]
        is_val[members[: int(round(len(members) * valid_size))]] = True
    return is_val


def fold_summary(labels: Sequence, folds: np.ndarray, k: int) -> dict[str, list[int]]:
    """Per class, the number of samples in each fold (for split.json and a quick look)."""
    labels = np.asarray(labels, dtype=str)
    return {
        str(c): np.bincount(folds[labels == c], minlength=k).tolist()
        for c in sorted(set(labels.tolist()))
    }


def likely_typo(name: str, candidates: Collection[str]) -> str | None:
    """The candidate closest to ``name`` (case-insensitive) when it is close: a likely typo."""
    lowered = {c.lower(): c for c in candidates if c != name}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=TYPO_CUTOFF)
    return lowered[close[0]] if close else None


def not_in_class_list(name: str, classes: Collection[str], what: str = 'class') -> str:
    """The problem of a label that a given class list lacks, naming the closest listed class
    when one is close (a likely typo, as :func:`report_rare_classes` does)."""
    typo = likely_typo(name, classes)
    hint = f'; did you mean {typo!r}? (a likely typo)' if typo else ''
    return f'{what} {name!r} is not in the class list{hint}'


def report_rare_classes(labels: Sequence[str], where: Sequence[tuple[str | Path, int | None]],
                        k: int, problems: Problems, skip: Collection[str] = ()) -> list[str]:
    """Every class with fewer samples than ``k`` folds is a problem: stratified k-fold cannot put
    it in every fold (and a single row is often a typo that would silently become a class).

    Args:
        labels: One class name per sample.
        where: ``(file, line)`` of each sample (line None: the file is the sample).
        k: The number of folds.
        problems: Where each rare class is added, at its first row, naming all its rows and the
            closest class with enough samples when one is close (:func:`likely_typo`).
        skip: Labels reported otherwise (not in the class list, empty).

    Returns:
        The rare classes, sorted.
    """
    labels = [str(label) for label in labels]
    counts = Counter(labels)
    common = [c for c, n in counts.items() if n >= k]
    rare = sorted(c for c, n in counts.items() if n < k and c not in skip and c != '')
    for cls in rare:
        rows = [w for label, w in zip(labels, where) if label == cls]
        files = {str(f) for f, _ in rows}
        shown = (f'line(s) {list_some([line for _, line in rows])}' if len(files) == 1 and
                 rows[0][1] is not None else
                 list_some([f if line is None else f'{f}:{line}' for f, line in rows]))
        typo = likely_typo(cls, common)
        advice = (f'did you mean {typo!r}? (a likely typo)' if typo else
                  'fix the label, add samples or use fewer folds (manifest preprocess.folds)')
        problems.add(rows[0][0], rows[0][1],
                     f'class {cls!r} has {counts[cls]} sample(s), fewer than the {k} folds '
                     f'(stratified k-fold cannot put it in every fold), at {shown}; {advice}')
    return rare
