"""Every rule type (the origin's rules included), built through POSTPROCESS_RULES, and refusals."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from custom_modules.postprocess import (
    POSTPROCESS_RULES,
    PostprocessError,
    Rule,
    apply_rules,
    build_rules,
    register_rule,
)
from custom_modules.predictions import PredictionError
from custom_modules.utils import PodiumError

from .cases import (
    CLASSES,
    DET_CLASSES,
    FALL_DOWN_BOXES,
    FALLBACK,
    JAY_TO_DRIVEWAY,
    ORIGIN_RULES,
    RIDE_KICK_BOXES,
    probs_row,
)


def run(rule_cfgs, rows, det_scores=None):
    """Apply rules to {id: row}; return {id: class name} and the changes."""
    rules = build_rules(rule_cfgs, CLASSES, DET_CLASSES)
    ids = list(rows)
    preds, changes = apply_rules(ids, np.stack([rows[i] for i in ids]), CLASSES, rules,
                                 det_scores)
    return {i: CLASSES[k] for i, k in zip(ids, preds)}, changes


def test_threshold_fallback():
    rule = [FALLBACK]
    got, changes = run(rule, {
        'unsure': probs_row(putup_umbrella=0.6, normal=0.3),
        'sure': probs_row(putup_umbrella=0.96, normal=0.02),
        'at_threshold': probs_row(putup_umbrella=0.95, normal=0.03),
        'other_top1': probs_row(normal=0.5, putup_umbrella=0.4),
    })
    assert got == {'unsure': 'normal', 'sure': 'putup_umbrella', 'at_threshold': 'putup_umbrella',
                   'other_top1': 'normal'}
    assert [(c.sample_id, c.before, c.after) for c in changes] == [
        ('unsure', 'putup_umbrella', 'normal')]
    assert changes[0].prob_before == pytest.approx(0.6)
    assert changes[0].prob_after == pytest.approx(0.3)


def test_topk_substitute():
    rule = [JAY_TO_DRIVEWAY]
    got, _ = run(rule, {
        'second': probs_row(jay_walk=0.5, driveway_walk=0.3),
        'third': probs_row(jay_walk=0.5, normal=0.2, driveway_walk=0.15, ride_kick=0.1),
        'fourth': probs_row(jay_walk=0.5, normal=0.2, ride_kick=0.15, fall_down=0.1,
                            driveway_walk=0.04),
        'not_src': probs_row(normal=0.5, driveway_walk=0.3),
    })
    assert got == {'second': 'driveway_walk', 'third': 'driveway_walk', 'fourth': 'jay_walk',
                   'not_src': 'normal'}


def scores(ride_kick=(), fall_down=(), person=()):
    return {'ride_kick': np.array(ride_kick, float), 'fall_down': np.array(fall_down, float),
            'person': np.array(person, float)}


def test_detector_count_ride_kick():
    rule = [RIDE_KICK_BOXES]
    walk = probs_row(driveway_walk=0.6)
    got, changes = run(rule, {'v21': walk, 'v20': walk, 'v_low': walk, 'v_normal':
                              probs_row(normal=0.6), 'v_none': walk}, det_scores={
        'v21': scores(ride_kick=[0.95] * 21),
        'v20': scores(ride_kick=[0.95] * 20 + [0.9] * 5),  # 0.9 is not "> 0.9"
        'v_low': scores(ride_kick=[0.5] * 100, person=[0.99] * 50),
        'v_normal': scores(ride_kick=[0.99] * 50),  # prediction not in when_pred_in
    })
    assert got == {'v21': 'ride_kick', 'v20': 'driveway_walk', 'v_low': 'driveway_walk',
                   'v_normal': 'normal', 'v_none': 'driveway_walk'}
    assert len(changes) == 1 and 'ride_kick' in changes[0].rule


def test_detector_count_fall_down_and_when_pred_in_default():
    got, _ = run([FALL_DOWN_BOXES], {
        'normal': probs_row(normal=0.7), 'jay': probs_row(jay_walk=0.7),
        'umbrella': probs_row(putup_umbrella=0.7), 'few': probs_row(normal=0.7)}, det_scores={
        'normal': scores(fall_down=[0.6] * 11), 'jay': scores(fall_down=[0.51] * 11),
        'umbrella': scores(fall_down=[0.9] * 50), 'few': scores(fall_down=[0.9] * 10)})
    assert got == {'normal': 'fall_down', 'jay': 'fall_down', 'umbrella': 'putup_umbrella',
                   'few': 'normal'}
    any_pred = dict(FALL_DOWN_BOXES, when_pred_in=None)
    got, _ = run([any_pred], {'umbrella': probs_row(putup_umbrella=0.7)},
                 det_scores={'umbrella': scores(fall_down=[0.9] * 50)})
    assert got == {'umbrella': 'fall_down'}


def test_detector_rule_matches_video_stem():
    got, _ = run([FALL_DOWN_BOXES], {'clip.mp4': probs_row(normal=0.7)},
                 det_scores={'clip': scores(fall_down=[0.9] * 11)})
    assert got == {'clip.mp4': 'fall_down'}


def test_rules_chain_in_order():
    # umbrella unsure -> jay_walk (top-2) -> driveway_walk (top-3) -> ride_kick (detector)
    row = probs_row(putup_umbrella=0.5, jay_walk=0.3, driveway_walk=0.15)
    got, changes = run(ORIGIN_RULES, {'v': row}, det_scores={'v': scores(ride_kick=[0.99] * 30)})
    assert got == {'v': 'ride_kick'}
    assert [(c.rule_index, c.before, c.after) for c in changes] == [
        (0, 'putup_umbrella', 'jay_walk'), (1, 'jay_walk', 'driveway_walk'),
        (5, 'driveway_walk', 'ride_kick')]


def test_rules_are_built_through_the_registry():
    assert {'threshold_fallback', 'topk_substitute', 'detector_count'} <= set(
        POSTPROCESS_RULES.module_dict)
    rule = POSTPROCESS_RULES.build(JAY_TO_DRIVEWAY, classes=CLASSES)
    assert type(rule).__name__ == 'TopkSubstitute' and rule.type == 'topk_substitute'
    assert rule.describe() == ("topk_substitute(src='jay_walk', dst='driveway_walk', k=3, "
                               "among='current_and_runners_up')")
    assert [r.type for r in build_rules(ORIGIN_RULES, CLASSES, DET_CLASSES)] == [
        'threshold_fallback', *['topk_substitute'] * 4, 'detector_count', 'detector_count']
    assert issubclass(PostprocessError, PredictionError) and issubclass(PostprocessError,
                                                                        PodiumError)


def test_registry_accepts_new_rule_types():
    try:
        @register_rule('test_always')
        @dataclasses.dataclass
        class Always(Rule):
            then: str

            def bind(self, classes, det_classes):
                self._k = classes.index(self.then)

            def apply(self, pred, sample):
                return self._k

        got, changes = run([dict(type='test_always', then='normal')],
                           {'a': probs_row(jay_walk=0.9)})
        assert got == {'a': 'normal'} and changes[0].rule == "test_always(then='normal')"
        with pytest.raises(KeyError, match='already registered'):
            register_rule('test_always')(Always)
    finally:
        POSTPROCESS_RULES.module_dict.pop('test_always', None)


@pytest.mark.parametrize('cfg, match', [
    (dict(type='threshold_fallback', cls='umbrella', min_prob=0.9), "cls 'umbrella' is not"),
    (dict(type='topk_substitute', src='jay_walk', dst='drive', k=3), "dst 'drive' is not"),
    (dict(type='topk_substitute', src='jay_walk', dst='normal', k=0), 'k must be'),
    (dict(type='detector_count', det_class='kick', min_score=0.9, min_count=2, then='normal'),
     "det_class 'kick' is not"),
    (dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=2,
          then='normal', when_pred_in=['walking']), "when_pred_in 'walking' is not"),
    (dict(type='threshold_fallback', cls='normal', min_prob=1.5), 'min_prob must be'),
    (dict(type='threshold_fallback', cls='normal', min_prob=0.5, extra=1), "keys are"),
    (dict(type='threshold_fallback', cls='normal'), 'min_prob'),
    (dict(type='majority_vote'), "unknown type 'majority_vote'"),
    (dict(cls='normal'), 'expected a dict with a type'),
])
def test_bad_rules_refused_at_load(cfg, match):
    with pytest.raises(PostprocessError, match=match) as err:
        build_rules([FALLBACK, cfg], CLASSES, DET_CLASSES)
    assert str(err.value).startswith('rule #1')


def test_detector_rule_needs_detections():
    with pytest.raises(PostprocessError, match='rule #0.*needs detections'):
        build_rules([RIDE_KICK_BOXES], CLASSES, None)
