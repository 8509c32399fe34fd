from __future__ import annotations

import pytest

from tools.solutions.manifest import ManifestError, load_manifest


def test_action_manifest_runs_and_rules():
    m = load_manifest('action', env={})
    assert m.flow == 'action' and m.folds == [0]
    assert [r.name for r in m.runs] == ['tsm1', 'tsm2', 'faster_rcnn']
    assert [r.kind for r in m.runs] == ['recognizer', 'recognizer', 'detector']
    assert all(r.config.is_file() for r in m.runs)
    assert m.runs[1].train_list == 'train_fold{fold}_oversampled.txt'
    assert str(m.data_root) == 'data/action' and str(m.work_dir) == 'work_dirs/action'


def test_action_manifest_pins_the_origin_rules():
    """The origin's rules, value for value and in order: a changed threshold is a new recipe."""
    m = load_manifest('action', env={})
    assert m.get('rules_detector') == 'faster_rcnn'
    # (type, class it acts on, its thresholds, the predictions it applies to, the result)
    rules = [(r['type'], r.get('cls') or r.get('src') or r['det_class'],
              {k: r[k] for k in ('min_prob', 'k', 'min_score', 'min_count') if k in r},
              r.get('when_pred_in'), r.get('dst') or r.get('then')) for r in m.get(
                  'postprocess_rules')]
    assert rules == [
        ('threshold_fallback', 'putup_umbrella', {'min_prob': 0.95}, None, None),
        ('topk_substitute', 'jay_walk', {'k': 3}, None, 'driveway_walk'),
        ('detector_count', 'ride_kick', {'min_score': 0.9, 'min_count': 20},
         ['driveway_walk', 'jay_walk'], 'ride_kick'),
        ('detector_count', 'fall_down', {'min_score': 0.5, 'min_count': 10},
         ['driveway_walk', 'jay_walk', 'normal'], 'fall_down'),
    ]
    assert [sorted(r) for r in m.get('postprocess_rules')] == [  # and no other settings
        ['cls', 'min_prob', 'type'], ['dst', 'k', 'src', 'type'],
        ['det_class', 'min_count', 'min_score', 'then', 'type', 'when_pred_in'],
        ['det_class', 'min_count', 'min_score', 'then', 'type', 'when_pred_in']]
    demo = load_manifest('demo', env={})  # the demo replaces the list, it does not merge it
    assert demo.get('postprocess_rules') == [
        dict(type='detector_count', det_class='box', min_score=0.7, min_count=8,
             when_pred_in=['move_left', 'move_right', 'move_up'], then='move_down')]


def test_demo_inherits_action_and_overrides():
    m = load_manifest('demo', env={})
    assert m.get('demo_data') is True
    assert m.get('preprocess') == {'folds': 4, 'seed': 0, 'oversample': {'move_down': 2}}
    assert m.get('inputs')['train_csv'] == 'train.csv'  # inherited
    assert m.get('inputs')['classes'] == 'classes.txt'  # overridden
    assert m.get('rules_detector') == 'detector'


def test_environment_overrides(tmp_path):
    m = load_manifest('demo', env={'DATA_ROOT': str(tmp_path / 'd'),
                                   'WORK_DIR': str(tmp_path / 'w'), 'FOLDS': '1,3'})
    assert m.data_root == tmp_path / 'd' and m.work_dir == tmp_path / 'w'
    assert m.folds == [1, 3]


@pytest.mark.parametrize('folds, message', [('7', 'outside 0..3'), ('a', 'integers')])
def test_bad_folds(folds, message):
    with pytest.raises(ManifestError, match=message):
        load_manifest('demo', env={'FOLDS': folds})


def test_unknown_solution_lists_known_ones():
    with pytest.raises(ManifestError, match=r'known: action, .*\bdemo\b'):
        load_manifest('nope', env={})
