"""Rule options: topk_substitute's ``among``, the ``group`` any rule may carry, and split_rules."""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from custom_modules.postprocess import (
    PostprocessError,
    Rule,
    apply_rules,
    build_rules,
    postprocess,
    register_rule,
    split_rules,
)

from .cases import (
    CLASSES,
    DET_CLASSES,
    FALLBACK,
    JAY_TO_DRIVEWAY,
    ORIGIN_RULES,
    make_action_case,
    probs_row,
    read_rows,
)

NO_BOXES = 'no boxes CSV (data/action/train_boxes.csv), so no detector run'


@pytest.mark.parametrize('among, expected', [('topk', 'jay_walk'),
                                             ('current_and_runners_up', 'normal')])
def test_among_differs_once_an_earlier_rule_changed_the_prediction(among, expected):
    # jay_walk -> normal first; then normal -> jay_walk, whose target is the ORIGINAL top-1:
    # a candidate of the top-k, not of (current, original 2nd, original 3rd).
    rules = [dict(type='topk_substitute', src='jay_walk', dst='normal', k=3),
             dict(type='topk_substitute', src='normal', dst='jay_walk', k=3, among=among)]
    row = probs_row(jay_walk=0.5, normal=0.3, driveway_walk=0.1)
    preds, _ = apply_rules(['v'], row[None], CLASSES, build_rules(rules, CLASSES))
    assert CLASSES[preds[0]] == expected


def group_rules(*groups):
    """Threshold-fallback rules (one per entry) carrying the given groups."""
    return [dict(FALLBACK, group=g) if g is not None else dict(FALLBACK) for g in groups]


@pytest.mark.parametrize('cfgs, match', [
    ([dict(JAY_TO_DRIVEWAY, among='top3')], r"rule #0 \(topk_substitute\): among must be one of"),
    (group_rules('a', None, 'a'), r"rule #2 \(threshold_fallback\): group 'a' must name "
                                  'consecutive rules'),
    (group_rules('a', 'b', 'a'), r"rule #2 .*group 'a'"),
    (group_rules(None, 3), r"rule #1 \(threshold_fallback\): group must be a non-empty name"),
    (group_rules(''), 'group must be a non-empty name'),
    (group_rules('a', ['a']), r'rule #1 .*group must be a non-empty name'),
])
def test_bad_options_name_the_rule(cfgs, match):
    with pytest.raises(PostprocessError, match=match):
        build_rules(cfgs, CLASSES, DET_CLASSES)
    with pytest.raises(PostprocessError, match=match):  # preflight's check says the same
        split_rules(cfgs, CLASSES, DET_CLASSES, has_detections=False)


def test_group_is_a_key_of_every_rule_not_of_a_rule_type():
    assert build_rules(group_rules('a', 'a', None, 'b'), CLASSES)[0].group == 'a'
    with pytest.raises(KeyError, match='group'):
        @register_rule('test_grouped')
        @dataclasses.dataclass
        class Grouped(Rule):
            group: str


def test_split_rules_sets_detector_rules_aside_without_detections():
    active, off = split_rules(ORIGIN_RULES, CLASSES, None, has_detections=False,
                              reason=NO_BOXES)
    assert active == ORIGIN_RULES[:5]
    assert [(number, reason) for number, _, reason in off] == [(5, NO_BOXES), (6, NO_BOXES)]
    assert off[0][1] == ("detector_count(det_class='ride_kick', min_score=0.9, min_count=20, "
                         "then='ride_kick', when_pred_in=['driveway_walk', 'jay_walk'], "
                         "group='detectors')")
    active, off = split_rules(ORIGIN_RULES, CLASSES, DET_CLASSES, has_detections=True)
    assert active == ORIGIN_RULES and off == []
    with pytest.raises(PostprocessError, match=r"rule #2 \(topk_substitute\): src 'normal'"):
        split_rules(ORIGIN_RULES, [c for c in CLASSES if c != 'normal'], None, False)
    with pytest.raises(PostprocessError, match=r'rule #6 \(detector_count\): .*keys are'):
        split_rules([*ORIGIN_RULES[:6], dict(ORIGIN_RULES[6], det='x')], CLASSES, None, False)


def test_postprocess_without_detections_keeps_the_rule_numbers(tmp_path, caplog):
    case = make_action_case(tmp_path)
    ungrouped = [{k: v for k, v in r.items() if k != 'group'} for r in ORIGIN_RULES[5:]]
    rules = [ungrouped[0], FALLBACK, ungrouped[1]]  # the fallback stays rule #1
    active, off = split_rules(rules, CLASSES, None, has_detections=False, reason=NO_BOXES)
    out = tmp_path / 'work' / 'submission.csv'
    with caplog.at_level(logging.INFO, logger='custom_modules.postprocess.apply'):
        postprocess(case['pred'], case['ss'], out, rules=active, off=off)
    assert read_rows(out)[1:] == [['v3.mp4', 'jay_walk'], ['v1.mp4', 'normal'],
                                  ['v2.mp4', 'jay_walk'], ['v4.mp4', 'normal']]
    changes = read_rows(out.parent / 'postprocess_changes.csv')
    assert [(r[0], r[1]) for r in changes[1:]] == [('v1.mp4', '1')]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith('rule #')]
    assert [line.split()[1] for line in lines] == ['#0', '#1', '#2']
    assert lines[0].endswith(f': off, {NO_BOXES}') and lines[1].endswith(': 1 changed')


def test_grouped_rules_without_a_change_leave_the_prediction():
    rules = build_rules(ORIGIN_RULES[5:], CLASSES, DET_CLASSES)
    det = {'v': {'ride_kick': np.array([0.95] * 30), 'fall_down': np.array([0.6] * 5)}}
    preds, changes = apply_rules(['v'], probs_row(jay_walk=0.7)[None], CLASSES, rules, det)
    assert CLASSES[preds[0]] == 'ride_kick' and [c.rule_index for c in changes] == [0]
