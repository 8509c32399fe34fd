import numpy as np
import pytest

from custom_modules.data_prep.folds import fold_summary, grouped_folds, holdout, stratified_folds


def test_stratified_folds_balanced_deterministic_and_seeded():
    labels = ['a'] * 10 + ['b'] * 7 + ['c'] * 3
    folds = stratified_folds(labels, 5, seed=0)
    assert np.array_equal(folds, stratified_folds(labels, 5, seed=0))
    assert not np.array_equal(folds, stratified_folds(labels, 5, seed=1))
    assert np.bincount(folds).tolist() == [4, 4, 4, 4, 4]
    counts = fold_summary(labels, folds, 5)
    assert counts['a'] == [2] * 5
    assert max(counts['b']) - min(counts['b']) <= 1 and sum(counts['b']) == 7
    with pytest.raises(ValueError):
        stratified_folds(['a', 'b'], 3, seed=0)


def test_grouped_folds_keep_groups_together():
    groups = [f'v{i // 4}' for i in range(40)]  # 10 videos of 4 frames
    labels = [int(i // 4 < 4) for i in range(40)]
    folds = grouped_folds(groups, labels, 5, seed=0)
    for g in set(groups):
        assert len({f for f, gg in zip(folds, groups) if gg == g}) == 1
    assert np.bincount(folds).tolist() == [8] * 5


def test_holdout_takes_the_fraction_of_each_class():
    labels = ['a'] * 8 + ['b'] * 4
    val = holdout(labels, 0.25, seed=0)
    assert val[:8].sum() == 2 and val[8:].sum() == 1
    with pytest.raises(ValueError):
        holdout(labels, 1.5, seed=0)
