"""bench/localize_real.py: the constant baseline, scoring by id, the arms' manifests and options.

No training here (the bench's full run is minutes of CPU): the constant arm runs end to end on a
tiny set built from IDX fixtures, the model arms are checked up to the manifest and config they
would launch.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from custom_modules.data_prep.real_localize import RealLocalizeParams, build_real_localize
from tests.bench.conftest import load_bench
from tests.conftest import REPO_ROOT
from tests.custom_modules.data_prep.test_real_localize import make_source


@pytest.fixture(scope='module')
def bench():
    return load_bench('localize_real')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('lr')
    build_real_localize(root / 'data', source=make_source(root / 'src'),
                        params=RealLocalizeParams(n_train=8, n_test=4, long_side=64))
    return root / 'data'


def test_score_matches_by_id(bench):
    truth = pd.DataFrame({'image_id': ['a', 'b'], 'label': [0, 1], 'xmin': [0, 0],
                          'ymin': [0, 0], 'xmax': [10, 10], 'ymax': [10, 10]})
    preds = pd.DataFrame({'image_id': ['b', 'a'], 'label': [1, 1], 'xmin': [0, 0],
                          'ymin': [0, 0], 'xmax': [10, 5], 'ymax': [10, 10]})
    got = bench.score(preds, truth)
    assert got == pytest.approx({'mIoU': 0.75, 'accuracy': 0.5, 'IoU@0.5': 1.0})
    with pytest.raises(SystemExit, match='miss 1'):
        bench.score(preds.iloc[:1], truth)


def test_constant_arm_end_to_end(tmp_path, bench, data, capsys):
    assert bench.main(['--data', str(data), '--arms', 'constant',
                       '--work-dir', str(tmp_path)]) == 0
    out = json.loads((tmp_path / 'localize_real.json').read_text())
    const = out['arms']['constant']
    assert out['train_images'] == 8 and out['test_images'] == 4
    assert const['accuracy'] == 0.5  # balanced classes: the majority class is right half the time
    assert 0 < const['mIoU'] < 1
    assert 'constant box (mean train box, majority class)' in capsys.readouterr().out


def test_constant_box_is_the_mean_normalised_training_box(bench, data):
    classes = (data / 'classes.txt').read_text().split()
    preds = bench.constant_predictions(data, classes)
    assert len(preds) == 4 and preds.label.nunique() == 1
    assert (preds.xmax > preds.xmin).all() and (preds.ymax > preds.ymin).all()


@pytest.mark.parametrize('arm', ['tiny', 'lite0'])
def test_arm_manifest_loads_with_its_options(tmp_path, bench, arm):
    from tools.solutions.manifest import load_manifest

    options = bench.schedule_options(arm, 5, 128 if arm == 'lite0' else None, 2e-3)
    path = tmp_path / 'manifest.py'
    path.write_text(bench.manifest_text(arm, options))
    m = load_manifest(str(path), env={})
    (run,) = m.runs
    assert run.name == arm and run.config == (REPO_ROOT / bench.CONFIGS[arm]).resolve()
    assert run.cfg_options == options
    assert (run.pretrained is not None) == (arm == 'lite0')
    assert m.raw['inputs']['hidden_test_boxes'] == 'test_boxes.csv'


def test_schedule_options_reach_the_letterbox_and_the_cosine(bench):
    from mmengine.config import Config

    cfg = Config.fromfile(str(REPO_ROOT / bench.CONFIGS['lite0']))
    cfg.merge_from_dict(bench.schedule_options('lite0', 7, 128, 3e-3))
    for split, index in (('train', 3), ('val', 1), ('test', 1)):
        step = cfg[f'{split}_dataloader'].dataset.pipeline[index]
        assert step.type == 'Letterbox' and step.size == 128
    assert cfg.train_cfg.max_epochs == 7 and cfg.optim_wrapper.optimizer.lr == 3e-3
    (cosine,) = [s for s in cfg.param_scheduler if s.type == 'CosineAnnealingLR']
    assert cosine.end == 7 and cosine.T_max == 7 - cosine.begin
    assert bench.schedule_options('tiny', None, None, None) == {}


def test_help(bench, capsys):
    with pytest.raises(SystemExit) as done:  # in process: a fresh interpreter imports the stack
        bench.parse_args(['--help'])
    out = capsys.readouterr().out
    assert done.value.code == 0 and '--lite-epochs' in out and '--arms' in out


def test_localize_real_manifest_is_localize_lite_on_the_real_set():
    from tools.solutions.manifest import load_manifest

    m = load_manifest('localize_real', env={})
    lite = load_manifest('localize_lite', env={})
    assert m.name == 'localize_real' and str(m.data_root) == 'data/localize_real'
    assert m.flow == 'localize' and m.runs == lite.runs  # the same Lite0 run and weights
    assert m.raw['inputs'] == {**lite.raw['inputs'], 'classes': 'classes.txt',
                               'hidden_test_boxes': 'test_boxes.csv'}
