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
    assert m.get('postprocess_rules') == [
        dict(type='threshold_fallback', cls='putup_umbrella', min_prob=0.95),
        dict(type='topk_substitute', src='jay_walk', dst='driveway_walk', k=3),
        dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=20,
             when_pred_in=['driveway_walk', 'jay_walk'], then='ride_kick'),
        dict(type='detector_count', det_class='fall_down', min_score=0.5, min_count=10,
             when_pred_in=['driveway_walk', 'jay_walk', 'normal'], then='fall_down'),
    ]
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
