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
    """The runner reads the rules that tests/custom_modules/postprocess/test_origin_rules.py pins
    value for value and checks against a hand-computed table."""
    from tests.custom_modules.postprocess.test_origin_rules import EXPECTED_RULES

    m = load_manifest('action', env={})
    assert m.get('rules_detector') == 'faster_rcnn'
    assert m.get('postprocess_rules') == EXPECTED_RULES
    demo = load_manifest('demo', env={})  # the demo replaces the list, it does not merge it
    assert demo.get('postprocess_rules') == [
        dict(type='detector_count', det_class='box', min_score=0.7, min_count=8,
             when_pred_in=['move_left', 'move_right', 'move_up'], then='move_down',
             grid=dict(min_count=[4, 8, 16], min_score=[0.5, 0.7, 0.9]))]


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


def test_seed_and_deterministic_of_each_manifest():
    """Every solution's trainings are seeded; the action ones also deterministic (the origin's)."""
    for name in ('action', 'demo'):
        m = load_manifest(name, env={})
        assert (m.seed, m.deterministic) == (0, True), name
    for name in ('crash', 'crash_demo', 'sports', 'sports_demo', 'localize', 'localize_demo'):
        m = load_manifest(name, env={})
        assert (m.seed, m.deterministic) == (0, False), name


def write_manifest(tmp_path, body: str):
    path = tmp_path / 'mine.py'
    path.write_text(f"flow = 'sports'\nruns = []\n{body}\n")
    return path


def test_seed_and_deterministic_default_to_the_configs_own(tmp_path):
    m = load_manifest(str(write_manifest(tmp_path, '')), env={})
    assert m.seed is None and m.deterministic is False
    m = load_manifest(str(write_manifest(tmp_path, 'seed = None\ndeterministic = False')), env={})
    assert m.seed is None and m.deterministic is False


@pytest.mark.parametrize('body, message', [
    ('seed = -1', 'seed must be an integer >= 0 or None, got -1'),
    ("seed = '0'", "seed must be an integer >= 0 or None, got '0'"),
    ('seed = 1.5', 'seed must be an integer >= 0 or None, got 1.5'),
    ('seed = True', 'seed must be an integer >= 0 or None, got True'),
    ('deterministic = 1', 'deterministic must be True or False, got 1'),
    ("deterministic = 'yes'", "deterministic must be True or False, got 'yes'"),
])
def test_bad_seed_or_deterministic_names_the_file(tmp_path, body, message):
    path = write_manifest(tmp_path, body)
    with pytest.raises(ManifestError) as error:
        load_manifest(str(path), env={})
    assert str(error.value) == f'{path}: {message}'


def test_amp_and_sync_bn_flags_of_the_manifest_and_its_runs(tmp_path):
    config = "'configs/toy/tinyconvnet_1xb16-step-4e_synthetic-patterns-32px.py'"
    body = (f"runs = [dict(name='a', kind='c', config={config}),\n"
            f"        dict(name='b', kind='c', config={config}, amp=False)]\n"
            'amp = True\nsync_bn = True')
    m = load_manifest(str(write_manifest(tmp_path, body)), env={})
    assert (m.amp, m.sync_bn) == (True, True)
    assert [r.amp for r in m.runs] == [None, False]
    m = load_manifest(str(write_manifest(tmp_path, '')), env={})
    assert (m.amp, m.sync_bn) == (False, False)
    path = write_manifest(tmp_path, "sync_bn = 'torch'")
    with pytest.raises(ManifestError, match="sync_bn must be True or False, got 'torch'"):
        load_manifest(str(path), env={})


def test_folds_all_means_every_fold_of_the_split(tmp_path):
    assert load_manifest('demo', env={'FOLDS': 'all'}).folds == [0, 1, 2, 3]
    assert load_manifest('sports_demo', env={'FOLDS': 'ALL'}).folds == [0, 1, 2, 3]
    m = load_manifest(str(write_manifest(tmp_path, "folds = 'all'\npreprocess = dict(folds=3)")),
                      env={})
    assert m.folds == [0, 1, 2]
    holdout = write_manifest(tmp_path, "folds = 'all'\npreprocess = dict(valid_size=0.2)")
    assert load_manifest(str(holdout), env={}).folds == [0]


def test_ensemble_weights_mode(tmp_path):
    assert load_manifest(str(write_manifest(tmp_path, '')), env={}).ensemble_weights == 'manifest'
    m = load_manifest(str(write_manifest(tmp_path, "ensemble = dict(weights='oof')")), env={})
    assert m.ensemble_weights == 'oof'
    path = write_manifest(tmp_path, "ensemble = dict(weights='best')")
    with pytest.raises(ManifestError, match=r"ensemble must be dict\(weights='oof'\)"):
        load_manifest(str(path), env={})
