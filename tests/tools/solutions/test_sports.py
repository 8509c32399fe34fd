"""The sports flow: `train.sh 1 sports_demo` + `inference.sh 1 sports_demo` on generated images."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from custom_modules.utils.errors import InputError
from tests.conftest import REPO_ROOT, run_cli, stage_status
from tools.solutions import launch
from tools.solutions.manifest import load_manifest
from tools.solutions.sports import SportsPaths, num_classes_keys, prepare_data, wiring
from tools.solutions.stages import Pipeline
from tools.solutions.steps import generate_demo_data


@pytest.mark.slow
def test_sports_demo_end_to_end(sports_demo_run):
    tmp_path, env, train, infer = sports_demo_run
    assert stage_status(train.stdout, 'train tiny fold0') == 'ran'
    row = re.search(r'^validate tiny fold0 .*accuracy=([\d.]+)\s+macro_f1=([\d.]+)\s+'
                    r'baseline_acc=([\d.]+)', train.stdout, re.MULTILINE)
    val_acc, val_f1, baseline = map(float, row.groups())
    fold = tmp_path / 'work' / 'tiny' / 'fold0'
    for name in ('curves.png', 'confusion_matrix.png'):
        assert (fold / name).is_file(), name
    assert 'weighted-random baseline' in (fold / 'val_report.txt').read_text()
    # the training shares of fold 0 (40/28/20/16 of 104, 3/4 of each in training) against
    # the validation shares: sum q_c p_c
    shares = [30 / 78, 21 / 78, 15 / 78, 12 / 78]
    val_counts = [10, 7, 5, 4]
    assert baseline == pytest.approx(sum(p * n / 26 for p, n in zip(shares, val_counts)),
                                     abs=1e-4)
    report = json.loads((fold / 'val_report.json').read_text())
    assert report['accuracy'] == pytest.approx(val_acc, abs=1e-4)
    assert report['macro_f1'] == pytest.approx(val_f1, abs=1e-4)
    assert report['baseline_accuracy'] == pytest.approx(baseline, abs=1e-4)
    # the confusion matrix counts every validation image once, its diagonal is the accuracy
    matrix = pd.read_csv(fold / 'confusion_matrix.csv', index_col=0)
    assert list(matrix.index) == list(matrix.columns) == report['classes']
    assert report['support'] == val_counts and report['samples'] == 26
    assert matrix.sum(axis=1).tolist() == report['support'] and matrix.to_numpy().sum() == 26
    assert np.trace(matrix.to_numpy()) / 26 == pytest.approx(val_acc, abs=1e-4)
    summary = (tmp_path / 'work' / 'validation_report.txt').read_text().splitlines()
    tiny_row = next(line for line in summary if line.startswith('tiny '))
    assert re.match(rf'tiny\s+0\s+{report["accuracy"]:.4f}\s+{report["baseline_accuracy"]:.4f}'
                    rf'\s+{report["macro_f1"]:.4f}\s', tiny_row), summary
    assert summary[-1].startswith('tiny_narrow ')  # the second run, for the ensemble
    # fold 0 only: a partial CV report, the manifest's weights (the fitted ones need every fold)
    cv = json.loads((tmp_path / 'work' / 'cv_report.json').read_text())
    assert cv['complete'] is False and cv['note'].startswith('partial: folds [0] of 0..3')
    assert cv['runs']['tiny']['folds']['0']['accuracy'] == pytest.approx(val_acc, abs=1e-4)
    weights = json.loads((tmp_path / 'work' / 'ensemble_weights.json').read_text())
    assert weights['method'] == 'manifest' and weights['weights'] == {'tiny': 0.5,
                                                                       'tiny_narrow': 0.5}
    assert "ensemble: the manifest's run weights (partial: folds [0]" in infer.stdout

    submission = tmp_path / 'work' / 'submission.csv'
    assert infer.stdout.strip().splitlines()[-1] == str(submission)
    sub = pd.read_csv(submission)
    test = pd.read_csv(tmp_path / 'data' / 'test.csv')
    assert list(sub.columns) == ['image_id', 'label']
    assert sub['image_id'].tolist() == test['image_id'].tolist()
    truth = pd.read_csv(tmp_path / 'data' / 'test_labels_synthetic.csv')
    test_acc = float((sub['label'] == truth['label']).mean())
    assert f'test_acc={test_acc:.4g}' in infer.stdout
    print(f'sports_demo: val accuracy {val_acc:.3f} macro F1 {val_f1:.3f} (baseline '
          f'{baseline:.3f}); test accuracy {test_acc:.3f}')
    assert val_acc >= 0.6 and test_acc >= 0.6  # 4 classes: chance 0.25

    again = run_cli(['bash', str(REPO_ROOT / 'inference.sh'), '1', 'sports_demo'], env=env)
    assert again.returncode == 0, again.stdout[-5000:]
    assert stage_status(again.stdout, 'infer tiny fold0') == 'skipped'
    assert stage_status(again.stdout, 'ensemble + submission') == 'skipped'


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('sports')
    env = {'DATA_ROOT': str(root / 'data'), 'WORK_DIR': str(root / 'work')}
    m = load_manifest('sports_demo', env=env)
    generate_demo_data(m, Pipeline())
    prepare_data(m, Pipeline(), SportsPaths(m))
    return root, env


def test_missing_pretrained_weights_name_the_file(demo):
    from tools.solutions.sports import train_all

    m = load_manifest('sports', env=demo[1])
    with pytest.raises(InputError, match=r'checkpoints/efficientnetv2-s_3rdparty_in1k_'
                                          r'20221220-f0eaff9d\.pth'):
        train_all(m, 1, Pipeline())


def test_wiring_points_every_split_at_the_data(demo):
    m = load_manifest('sports', env=demo[1])
    p = SportsPaths(m)
    options = wiring(m.runs[0], p, 0)
    lists = p.lists.resolve()
    assert options['model.head.num_classes'] == 4
    assert options['data_preprocessor.num_classes'] == 4
    assert options['train_dataloader.dataset.ann_file'] == str(lists / 'train_fold0.txt')
    assert options['val_dataloader.dataset.ann_file'] == str(lists / 'val_fold0.txt')
    assert options['test_dataloader.dataset.ann_file'] == str(lists / 'test.txt')
    assert options['test_dataloader.dataset.data_prefix'] == str(p.test_images.resolve())
    assert options['val_evaluator.train_ann_file'] == str(lists / 'train_fold0.txt')


def test_timm_classifier_keeps_num_classes_on_the_model():
    config = REPO_ROOT / 'configs/sports/timm-efficientnetv2-s_4xb16-cos-30e_sports-384px.py'
    assert num_classes_keys(config)[0] == 'model.num_classes'


def test_holdout_has_one_fold(demo, tmp_path):
    manifest = tmp_path / 'holdout.py'
    manifest.write_text(f"_base_ = '{REPO_ROOT}/configs/solutions/sports_demo.py'\n"
                        "preprocess = dict(valid_size=0.25)\nfolds = [0, 1]\n")
    m = load_manifest(str(manifest), env=demo[1])
    p = SportsPaths(m)
    assert p.split_lists(m.runs[0], 0) == ('train.txt', 'val.txt')
    with pytest.raises(InputError, match='holdout'):
        prepare_data(m, Pipeline(), p)


# Inference from checkpoints trained elsewhere (--checkpoints), on the same trained demo.
def run_flow(mode: str, solution: Path, env: dict, *extra: str):
    script = REPO_ROOT / ('train.sh' if mode == 'train' else 'inference.sh')
    return run_cli(['bash', str(script), '1', str(solution), *extra], env=env, timeout=600)


@pytest.mark.slow
def test_same_files_give_the_same_submission(sports_demo_run, tmp_path):
    """The sports demo's inference from its own work_dir, then from copies of its checkpoint
    (per fold, then stripped to a plain state dict for every fold): the same submission. Refused
    with another machine's trust ledger: test_full_pickle_is_refused_early_naming_the_runner_flag;
    accepted with --trust-checkpoints: test_crash.py (the predictor's path)."""
    run_root, env, _, _ = sports_demo_run
    solution = 'sports_demo'
    work = run_root / 'work'
    own = (work / 'submission.csv').read_bytes()
    own_probs = np.load(work / 'ensemble.npz')['probs']
    per_fold, per_run = tmp_path / 'per_fold', tmp_path / 'per_run'
    per_run.mkdir()
    for run in ('tiny', 'tiny_narrow'):
        ckpt = launch.final_checkpoint(work / run / 'fold0')
        (per_fold / run).mkdir(parents=True)
        shutil.copy2(ckpt, per_fold / run / 'fold0.pth')
        torch.save({'state_dict': torch.load(ckpt, weights_only=False)['state_dict']},
                   per_run / f'{run}.pth')
    other = {**env, 'WORK_DIR': str(tmp_path / 'other')}

    def infer(env: dict, folder: Path, *extra: str) -> None:
        out = run_flow('inference', solution, env, '--checkpoints', str(folder), *extra)
        assert out.returncode == 0, out.stdout[-5000:]
        assert stage_status(out.stdout, 'infer tiny fold0') == 'ran'  # another file each time
        assert (tmp_path / 'other' / 'submission.csv').read_bytes() == own
        assert np.array_equal(np.load(tmp_path / 'other' / 'ensemble.npz')['probs'], own_probs)

    infer(other, per_fold)
    infer(other, per_run)  # weights only, one file for every fold
    assert not list((tmp_path / 'other').rglob('done.json'))
