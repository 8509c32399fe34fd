"""The action manifest's rules, pinned, and checked against a hand-computed table of cases.

The origin (classes indexed putup_umbrella 0, ride_kick 1, fall_down 2, driveway_walk 3,
jay_walk 4, ride_moto 5, ride_cycle 6, fighting 7, normal 8) applies, in order: (a) an unsure
putup_umbrella -> top-2; (b) four substitutions, each when the current prediction is the source
and the target is among (current, original 2nd, original 3rd); (c) both detector rules on the
prediction after (b), fall_down winning where both fire.
"""
from __future__ import annotations

import numpy as np
import pytest

from custom_modules.postprocess import apply_rules, build_rules, load_rules
from tests.conftest import REPO_ROOT

from .cases import CLASSES, DET_CLASSES

RUNNERS_UP = 'current_and_runners_up'
EXPECTED_RULES = [
    dict(type='threshold_fallback', cls='putup_umbrella', min_prob=0.95),  # 0
    dict(type='topk_substitute', src='jay_walk', dst='driveway_walk', k=3, among=RUNNERS_UP),
    dict(type='topk_substitute', src='normal', dst='jay_walk', k=3, among=RUNNERS_UP),  # 2
    dict(type='topk_substitute', src='ride_kick', dst='driveway_walk', k=3, among=RUNNERS_UP),
    dict(type='topk_substitute', src='fighting', dst='driveway_walk', k=3, among=RUNNERS_UP),
    dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=20,  # 5
         when_pred_in=['driveway_walk', 'jay_walk'], then='ride_kick', group='detectors'),
    dict(type='detector_count', det_class='fall_down', min_score=0.5, min_count=10,  # 6
         when_pred_in=['driveway_walk', 'jay_walk', 'normal'], then='fall_down',
         group='detectors'),
]


def test_action_manifest_holds_the_origin_rules():
    """Value for value and in order: a changed threshold or order is a new recipe."""
    assert load_rules(REPO_ROOT / 'configs/solutions/action.py') == EXPECTED_RULES


# Probabilities over [umbrella, kick, fall, drive, jay, moto, cycle, fight, normal] (each row
# sums to 1), detector boxes as (ride_kick scores, fall_down scores), the class expected after
# all rules, and the numbers of the rules that changed the prediction, in order.
KICK = [0.95] * 21  # 21 ride_kick boxes > 0.9: the ride_kick rule's count is met
FALL = [0.6] * 11  # 11 fall_down boxes > 0.5: the fall_down rule's count is met
TABLE = {
    # (a) the threshold fallback
    'umbrella sure': ([.96, .005, .005, .005, .005, .005, .005, .005, .005], ([], []),
                      'putup_umbrella', []),
    'umbrella unsure -> 2nd': ([.60, .02, .02, .02, .02, .02, .02, .02, .26], ([], []),
                               'normal', [0]),  # normal -> jay_walk: jay_walk not a candidate
    'fallback feeds jay->drive': ([.50, .02, .02, .15, .25, .02, .02, .01, .01], ([], []),
                                  'driveway_walk', [0, 1]),  # drive is the original 3rd
    'fallback feeds normal->jay': ([.50, .02, .02, .02, .15, .02, .02, .01, .24], ([], []),
                                   'jay_walk', [0, 2]),
    # (b) each substitution, firing and not
    'jay->drive, drive 2nd': ([.02, .02, .02, .30, .50, .04, .04, .02, .04], ([], []),
                              'driveway_walk', [1]),
    'jay->drive, drive 3rd': ([.02, .02, .02, .15, .50, .02, .02, .05, .20], ([], []),
                              'driveway_walk', [1]),
    'jay->drive, drive 4th': ([.02, .02, .02, .10, .50, .02, .02, .16, .14], ([], []),
                              'jay_walk', []),
    'normal->jay, jay 2nd': ([.02, .02, .02, .05, .25, .02, .02, .02, .58], ([], []),
                             'jay_walk', [2]),  # drive is 3rd, but jay->drive came before
    'normal->jay, jay 4th': ([.02, .02, .02, .05, .04, .10, .02, .03, .70], ([], []),
                             'normal', []),
    'kick->drive, drive 2nd': ([.02, .55, .02, .20, .02, .10, .03, .03, .03], ([], []),
                               'driveway_walk', [3]),
    'kick->drive, drive 4th': ([.02, .55, .02, .05, .02, .20, .10, .02, .02], ([], []),
                               'ride_kick', []),
    'fight->drive, drive 3rd': ([.02, .02, .02, .10, .02, .02, .02, .60, .18], ([], []),
                                'driveway_walk', [4]),
    'fight->drive, drive 4th': ([.02, .02, .02, .04, .15, .02, .02, .60, .11], ([], []),
                                'fighting', []),
    # (c) the detector rules, alone, at their thresholds, and together
    'kick boxes, drive': ([.02, .02, .02, .60, .10, .08, .08, .05, .03], (KICK, []),
                          'ride_kick', [5]),
    'kick boxes, 20 only': ([.02, .02, .02, .60, .10, .08, .08, .05, .03],
                            ([0.95] * 20 + [0.9] * 5, []), 'driveway_walk', []),
    'kick boxes, normal': ([.02, .02, .02, .05, .04, .10, .02, .03, .70], (KICK * 2, []),
                           'normal', []),  # normal is not in the ride_kick rule's predictions
    'fall boxes, normal': ([.02, .02, .02, .02, .02, .10, .10, .10, .60], ([], FALL),
                           'fall_down', [6]),
    'fall boxes, 10 only': ([.02, .02, .02, .02, .02, .10, .10, .10, .60],
                            ([], [0.6] * 10 + [0.5] * 5), 'normal', []),
    'fall boxes, fighting': ([.02, .02, .02, .04, .15, .02, .02, .60, .11], ([], FALL * 3),
                             'fighting', []),
    'both fire: fall wins': ([.02, .02, .02, .02, .60, .12, .10, .08, .02], (KICK, FALL),
                             'fall_down', [5, 6]),
    'both boxes, normal': ([.02, .02, .02, .02, .02, .10, .10, .10, .60], (KICK, FALL),
                           'fall_down', [6]),
    # (c) on a prediction that (b) made
    'kick->drive then kick boxes': ([.02, .50, .02, .25, .02, .10, .03, .03, .03], (KICK, []),
                                    'ride_kick', [3, 5]),
    'normal->jay then kick boxes': ([.02, .02, .02, .05, .25, .02, .02, .02, .58], (KICK, []),
                                    'ride_kick', [2, 5]),  # normal alone: not in its list
    'fight->drive then both': ([.02, .02, .02, .10, .02, .02, .02, .60, .18], (KICK, FALL),
                               'fall_down', [4, 5, 6]),
}


@pytest.mark.parametrize('name', list(TABLE))
def test_origin_rules_hand_computed_table(name):
    probs, (kick, fall), expected, changed_by = TABLE[name]
    assert len(probs) == len(CLASSES) and sum(probs) == pytest.approx(1.0)
    rules = build_rules(load_rules(REPO_ROOT / 'configs/solutions/action.py'), CLASSES,
                        DET_CLASSES)
    det = {name: {'ride_kick': np.array(kick, float), 'fall_down': np.array(fall, float)}}
    preds, changes = apply_rules([name], np.array([probs]), CLASSES, rules, det)
    assert CLASSES[preds[0]] == expected
    assert [c.rule_index for c in changes] == changed_by
    if changes:
        assert changes[-1].after == expected


def test_both_detector_rules_read_the_prediction_before_the_group():
    """Where both fire, the audit shows ride_kick's change, then fall_down's over it."""
    rules = build_rules(EXPECTED_RULES, CLASSES, DET_CLASSES)
    det = {'v': {'ride_kick': np.array(KICK), 'fall_down': np.array(FALL)}}
    probs = np.array([TABLE['both fire: fall wins'][0]])
    _, changes = apply_rules(['v'], probs, CLASSES, rules, det)
    assert [(c.rule_index, c.before, c.after) for c in changes] == [
        (5, 'jay_walk', 'ride_kick'), (6, 'ride_kick', 'fall_down')]
    assert "group='detectors'" in changes[1].rule
    # Chained (no group), the fall_down rule would see ride_kick and leave it.
    chained = [{k: v for k, v in r.items() if k != 'group'} for r in EXPECTED_RULES]
    preds, _ = apply_rules(['v'], probs, CLASSES, build_rules(chained, CLASSES, DET_CLASSES), det)
    assert CLASSES[preds[0]] == 'ride_kick'
