"""Seeded, library-independent data splits: stratified k-fold, grouped k-fold, holdout.

Written here (not sklearn) so that a seed gives the same split on every machine and version.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
