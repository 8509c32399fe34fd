import numpy as np
import pytest

from custom_modules.data_prep.folds import (
    fold_summary,
    grouped_folds,
    holdout,
    likely_typo,
    not_in_class_list,
    report_rare_classes,
    stratified_folds,
)
from custom_modules.utils.validation import Problems


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


def test_every_rare_class_is_named_with_its_rows_and_a_likely_typo():
    labels = ['move_up'] * 5 + ['move_down'] * 5 + ['move_dwon', 'move_diagonal', 'Move_Up',
                                                    'move_diagonal', 'ghost']
    where = [('train.csv', line) for line in range(2, 2 + len(labels))]
    problems = Problems()
    rare = report_rare_classes(labels, where, 5, problems, skip={'ghost'})
    assert rare == ['Move_Up', 'move_diagonal', 'move_dwon']  # all at once; 'ghost' skipped
    found = {p.message.split("'")[1]: p for p in problems.items}
    typo = found['move_dwon']
    assert typo.line == 12 and "did you mean 'move_down'" in typo.message
    assert "did you mean 'move_up'" in found['Move_Up'].message  # case-insensitive
    diagonal = found['move_diagonal']
    assert (diagonal.file, diagonal.line) == ('train.csv', 13)
    assert 'has 2 sample(s), fewer than the 5 folds' in diagonal.message
    assert 'line(s) [13, 15]' in diagonal.message and 'did you mean' not in diagonal.message
    assert 'preprocess.folds' in diagonal.message
    assert likely_typo('move_diagonal', ['move_down', 'move_up']) is None


def test_rare_classes_of_a_folder_layout_name_their_files():
    problems = Problems()
    report_rare_classes(['a', 'a', 'b'], [('d/a/1.png', None), ('d/a/2.png', None),
                                          ('d/b/1.png', None)], 2, problems)
    assert [str(p) for p in problems.items] == [
        "d/b/1.png: class 'b' has 1 sample(s), fewer than the 2 folds (stratified k-fold cannot "
        "put it in every fold), at ['d/b/1.png']; fix the label, add samples or use fewer folds "
        "(manifest preprocess.folds)"]


def test_a_label_missing_from_a_given_class_list_names_the_likely_typo():
    listed = ['move_down', 'move_left', 'move_right', 'move_up']
    assert not_in_class_list('move_dwon', listed) == (
        "class 'move_dwon' is not in the class list; did you mean 'move_down'? (a likely typo)")
    assert not_in_class_list('Cat', ['cat', 'dog'], 'label').endswith("did you mean 'cat'? "
                                                                       '(a likely typo)')
    assert not_in_class_list('zebra', listed) == "class 'zebra' is not in the class list"
