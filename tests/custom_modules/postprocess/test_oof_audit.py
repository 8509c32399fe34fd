"""oof_audit.py and grid.py: each rule judged on OOF predictions, grids searched, choice reused."""
from __future__ import annotations

import json

import numpy as np
import pytest

from custom_modules.postprocess import (
    OofDetections,
    PostprocessError,
    apply_rules,
    build_rules,
    judge_oof,
    judge_rules,
    rules_for_test,
    split_rules,
)
from custom_modules.predictions.oof import read_oof, write_oof

CLASSES = ['a', 'b', 'c']
# argmax: a (wrong), a, a, b, c (right): accuracy 0.8 without rules.
PROBS = np.array([[0.5, 0.4, 0.1], [0.55, 0.3, 0.15], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1],
                  [0.1, 0.3, 0.6]])
TARGETS = np.array([1, 0, 0, 1, 2])
IDS = [f'v{i}' for i in range(5)]
FOLDS = [0, 0, 1, 1, 1]
FALLBACK = dict(type='threshold_fallback', cls='a', min_prob=0.6)  # s0 right, s1 wrong
C_TO_B = dict(type='topk_substitute', src='c', dst='b', k=2)  # s4 right -> wrong


def judge(rules, detections=None, **kwargs):
    return judge_rules(IDS, FOLDS, TARGETS, PROBS, CLASSES, rules, detections, **kwargs)


def test_rows_changed_before_after_and_a_hurting_rule_flagged():
    audit = judge([FALLBACK, C_TO_B])
    (fallback, c_to_b) = audit.rows
    assert (fallback.changed, fallback.before, fallback.after, fallback.hurts) == (2, 0.8, 0.8,
                                                                                  False)
    assert (c_to_b.changed, c_to_b.before, c_to_b.after, c_to_b.hurts) == (1, 0.8, 0.6, True)
    assert c_to_b.macro_f1_after < c_to_b.macro_f1_before
    assert (audit.before, audit.after, audit.samples) == (0.8, 0.6, 5)
    assert fallback.grid is None and fallback.chosen is None and fallback.samples == 5


def test_groups_are_judged_as_apply_rules_runs_them():
    a_to_b = dict(type='topk_substitute', src='a', dst='b', k=2)
    b_to_c = dict(type='topk_substitute', src='b', dst='c', k=3)
    for group in (None, 'g'):
        cfgs = [{**a_to_b, 'group': group}, {**b_to_c, 'group': group}] if group else [
            a_to_b, b_to_c]
        preds, _ = apply_rules(IDS, PROBS, CLASSES, build_rules(cfgs, CLASSES))
        audit = judge(cfgs)
        assert audit.after == pytest.approx(np.mean(preds == TARGETS))
        first, _ = apply_rules(IDS, PROBS, CLASSES, build_rules(cfgs[:1], CLASSES))
        assert audit.rows[1].changed == int(np.count_nonzero(preds != first))
        if group:  # b_to_c reads the prediction before the group: a stays b
            assert audit.rows[1].changed == 1  # only v3 (argmax b)
        else:  # without a group a -> b -> c
            assert audit.rows[1].changed == 4


def test_grid_picks_the_best_and_later_rules_run_with_it():
    audit = judge([{**FALLBACK, 'grid': {'min_prob': [0.52, 0.6, 0.8]}}, C_TO_B])
    row = audit.rows[0]
    assert row.grid == {'min_prob': [0.52, 0.6, 0.8]} and row.chosen == {'min_prob': 0.52}
    assert [c['accuracy'] for c in row.candidates] == pytest.approx([1.0, 0.8, 0.6])
    assert (row.before, row.after) == (0.8, 1.0) and "min_prob=0.52" in row.rule
    assert audit.rows[1].before == 1.0  # the next rule sees the chosen value
    assert audit.chosen_rules[0]['min_prob'] == 0.52 and audit.rules[0]['min_prob'] == 0.6


def test_grid_ties_prefer_the_manifest_value_else_the_first():
    tie = judge([{**FALLBACK, 'grid': {'min_prob': [0.45, 0.6, 0.8]}}]).rows[0]
    assert tie.chosen == {'min_prob': 0.6}  # 0.45 and 0.6 tie at 0.8
    other = judge([{**FALLBACK, 'min_prob': 0.7, 'grid': {'min_prob': [0.45, 0.6]}}]).rows[0]
    assert other.chosen == {'min_prob': 0.45}


def test_grid_of_several_parameters_is_their_product():
    rule = dict(type='detector_count', det_class='ball', min_score=0.5, min_count=1, then='b',
                grid={'min_count': [0, 1, 2], 'min_score': [0.5, 0.9]})
    det = OofDetections({'v0': {'ball': np.array([0.95])}}, ['ball'], [0, 1])  # 1 box
    row = judge([rule], det).rows[0]
    assert len(row.candidates) == 6
    assert row.candidates[0]['values'] == {'min_count': 0, 'min_score': 0.5}
    # (0, 0.5) and (0, 0.9) tie; the manifest's (1, 0.5) is not among them: the first
    assert row.chosen == {'min_count': 0, 'min_score': 0.5} and row.after == 1.0


@pytest.mark.parametrize('grid, match', [
    ({'nope': [1]}, r"'nope' is not a parameter of threshold_fallback; its numeric parameters "
                    r"are \['min_prob'\]"),
    ({'cls': [1]}, "'cls' of threshold_fallback is not numeric"),
    ({'min_prob': 'x'}, 'min_prob must be a non-empty list of numbers'),
    ({'min_prob': []}, 'min_prob must be a non-empty list of numbers'),
    ({'min_prob': [0.5, True]}, 'min_prob must be a non-empty list of numbers'),
    ({'min_prob': [0.5, 0.5]}, 'lists a value twice'),
    ([0.5], 'grid must be a dict'),
    ({'min_prob': [0.5, 1.5]}, r'grid \{.min_prob.: 1.5\}: rule #1 \(threshold_fallback\): '
                               r'min_prob must be in'),
])
def test_bad_grid_is_a_clear_error_naming_manifest_and_rule(grid, match):
    rules = [C_TO_B, {**FALLBACK, 'grid': grid}]
    with pytest.raises(PostprocessError, match=match) as err:
        judge(rules, where='configs/solutions/x.py')
    assert 'configs/solutions/x.py: ' in str(err.value) and 'rule #1' in str(err.value)
    if 'twice' in match or 'dict' in match or 'numeric' in match:  # building checks it too
        with pytest.raises(PostprocessError, match='rule #1'):
            split_rules(rules, CLASSES, None, has_detections=False)


def test_grid_does_not_break_building_the_rules():
    active, off = split_rules([{**FALLBACK, 'grid': {'min_prob': [0.5, 0.9]}}], CLASSES, None,
                              has_detections=False)
    assert off == [] and build_rules(active, CLASSES)[0].min_prob == 0.6


def test_detector_rules_judged_on_the_folds_with_detections_or_off():
    rule = dict(type='detector_count', det_class='ball', min_score=0.5, min_count=1, then='b')
    boxes = {'v0': {'ball': np.array([0.9, 0.8])}, 'v4': {'ball': np.array([0.9, 0.8])}}
    row = judge([rule], OofDetections(boxes, ['ball'], [0])).rows[0]
    # only fold 0 (v0, v1) counts: v4's boxes are not of a predicted fold
    assert (row.samples, row.changed, row.before, row.after) == (2, 1, 0.5, 1.0)
    assert 'judged on folds [0] only' in row.note and '[1]' in row.note
    full = judge([rule], OofDetections(boxes, ['ball'], [0, 1])).rows[0]
    assert (full.samples, full.changed, full.note) == (5, 2, '')
    off = judge([FALLBACK, rule, C_TO_B], None, off_reason='no boxes CSV').rows
    assert off[1].after is None and off[1].note == 'off: no boxes CSV' and not off[1].hurts
    assert off[2].before == 0.8  # the chain goes on without it
    none = judge([rule], OofDetections(boxes, ['ball'], [7])).rows[0]
    assert none.after is None and none.note == 'off: no out-of-fold detections for the folds [0, 1]'


def test_files_and_the_choice_reaching_the_test_rules(tmp_path):
    oof = write_oof(tmp_path / 'oof_ensemble.csv', IDS, FOLDS, [CLASSES[t] for t in TARGETS],
                    PROBS, CLASSES)
    cfgs = [{**FALLBACK, 'grid': {'min_prob': [0.52, 0.6]}}, C_TO_B]
    judge_oof(read_oof(oof), cfgs, tmp_path)
    data = json.loads((tmp_path / 'rules_oof.json').read_text())
    assert data['metric'] == 'accuracy' and [r['number'] for r in data['rows']] == [0, 1]
    assert data['rows'][0]['chosen'] == {'min_prob': 0.52} and data['rows'][1]['hurts']
    text = (tmp_path / 'rules_oof.txt').read_text()
    assert 'HURTS' in text and "chosen {'min_prob': 0.52}" in text
    test_rules, line = rules_for_test(cfgs, tmp_path / 'rules_oof.json')
    assert test_rules[0]['min_prob'] == 0.52 and '#0 min_prob=0.52' in line
    assert cfgs[0]['min_prob'] == 0.6  # the manifest's list is left alone
    changed = [{**FALLBACK, 'min_prob': 0.7, 'grid': {'min_prob': [0.52, 0.6]}}, C_TO_B]
    test_rules, line = rules_for_test(changed, tmp_path / 'rules_oof.json')
    assert test_rules[0]['min_prob'] == 0.7 and 'made for other rules' in line
    test_rules, line = rules_for_test(cfgs, tmp_path / 'absent.json')
    assert test_rules[0]['min_prob'] == 0.6 and 'train with FOLDS=all' in line
