"""CV after training (tools/solutions/cv.py) on made-up validation dumps: OOF tables by id,
the CV report, fitted ensemble weights and their fallback with fewer folds. No training."""
from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from custom_modules.predictions import read_oof
from tools.solutions.cv import (
    action_source,
    cv_stages,
    ensemble_run_weights,
    oof_file,
    sports_source,
)
from tools.solutions.manifest import load_manifest
from tools.solutions.sports import SportsPaths, preprocess
from tools.solutions.stages import Pipeline, StageFailed
from tools.solutions.steps import run_dir

CLASSES = ['a', 'b', 'c']
CONFIG = 'configs/sports/tinyconvnet_1xb16-cos-30e_sports-demo-64px.py'


def _manifest(tmp_path, folds: str, ensemble: str = "dict(weights='oof')"):
    path = tmp_path / 'cv_manifest.py'
    path.write_text(
        f"flow = 'sports'\ndata_root = {str(tmp_path / 'data')!r}\n"
        f"work_dir = {str(tmp_path / 'work')!r}\npreprocess = dict(folds=3, seed=0)\n"
        f"folds = {folds!r}\nensemble = {ensemble}\n"
        f"runs = [dict(name='good', kind='classifier', config={CONFIG!r}, weight=0.5),\n"
        f"        dict(name='weak', kind='classifier', config={CONFIG!r}, weight=0.5)]\n")
    return load_manifest(str(path), env={})


@pytest.fixture
def sports(tmp_path):
    """12 images of 3 classes (ids without extension), their 3-fold lists."""
    data = tmp_path / 'data'
    for split in ('train', 'test'):
        (data / split).mkdir(parents=True)
    rows = []
    for n in range(12):
        Image.new('RGB', (8, 8), (20 * n, 0, 0)).save(data / 'train' / f'im{n:02d}.png')
        rows.append(f'im{n:02d},{CLASSES[n % 3]}')
    Image.new('RGB', (8, 8)).save(data / 'test' / 't0.png')
    (data / 'train.csv').write_text('image_id,label\n' + '\n'.join(rows) + '\n')
    (data / 'test.csv').write_text('image_id\nt0\n')
    m = _manifest(tmp_path, 'all')
    preprocess(m, SportsPaths(m))
    return tmp_path


def _dump_folds(m, seed: int = 0) -> None:
    """val_preds.pkl per run and fold, rows SHUFFLED (matched by path, not position): `good`
    puts 0.8 on the true class, `weak` is right on half the images."""
    rng = np.random.default_rng(seed)
    p = SportsPaths(m)
    root = p.train_images.resolve()
    for run in m.runs:
        for fold in m.folds:
            samples = []
            for line in (p.lists / f'val_fold{fold}.txt').read_text().split('\n'):
                if not line:
                    continue
                rel, target = line.rsplit(' ', 1)
                right = run.name == 'good' or int(rel[2:4]) % 2 == 0
                score = np.full(3, 0.1)
                score[int(target) if right else (int(target) + 1) % 3] = 0.8
                samples.append({'img_path': str(root / rel), 'pred_score': score})
            samples = [samples[i] for i in rng.permutation(len(samples))]
            wd = run_dir(m, run, fold)
            wd.mkdir(parents=True, exist_ok=True)
            (wd / 'val_preds.pkl').write_bytes(pickle.dumps(samples))


def test_all_folds_oof_report_and_fitted_weights(sports, capsys):
    m = _manifest(sports, 'all')
    assert m.folds == [0, 1, 2]
    _dump_folds(m)
    cv_stages(m, Pipeline(), m.runs, sports_source(SportsPaths(m)))
    good = read_oof(oof_file(m, m.runs[0]))
    assert sorted(good.ids) == [f'im{n:02d}' for n in range(12)]  # train.csv's ids, each once
    assert good.labels == [CLASSES[int(i[2:]) % 3] for i in good.ids]
    assert good.fold_ids == [0, 1, 2] and (good.probs.argmax(1) == good.targets).all()
    weak = read_oof(oof_file(m, m.runs[1])).select(good.ids)
    assert (weak.probs.argmax(1) == weak.targets).mean() == 0.5

    report = json.loads((m.work_dir / 'cv_report.json').read_text())
    assert report['metric'] == 'accuracy' and report['complete'] is True
    assert report['runs']['good']['oof']['accuracy'] == 1.0
    assert report['runs']['weak']['oof']['accuracy'] == 0.5
    assert set(report['runs']['weak']['folds']) == {'0', '1', '2'}
    assert set(report['runs']['weak']['std']) == {'accuracy', 'macro_f1', 'log_loss'}

    w = json.loads((m.work_dir / 'ensemble_weights.json').read_text())
    assert w['method'] == 'oof' and w['reason'] is None and w['metric'] == 'log_loss'
    assert sum(w['weights'].values()) == pytest.approx(1) and min(w['weights'].values()) >= 0
    assert w['weights']['good'] > 0.95  # the weak model only adds loss
    assert w['equal'] == {'good': 0.5, 'weak': 0.5}
    assert w['oof_fitted']['log_loss'] < w['oof_equal']['log_loss']
    ens = read_oof(m.work_dir / 'oof_ensemble.csv').select(good.ids)
    mix = w['weights']['good'] * good.probs + w['weights']['weak'] * weak.probs
    np.testing.assert_allclose(ens.probs, mix, atol=1e-7)
    out = capsys.readouterr().out
    assert re.search(r'ensemble weights \(fitted on the OOF predictions, least log loss\): '
                     r'good=(0\.9\d\d|1\.000) weak=0\.0\d\d  OOF log loss', out), out
    assert 'equal weights: good=0.500 weak=0.500  OOF log loss' in out
    assert ensemble_run_weights(m, m.runs) == w['weights']
    assert 'weights fitted on the OOF predictions' in capsys.readouterr().out


def test_fewer_folds_give_a_partial_oof_and_the_manifest_weights(sports, capsys):
    m = _manifest(sports, [0, 2])
    _dump_folds(m)
    cv_stages(m, Pipeline(), m.runs, sports_source(SportsPaths(m)))
    oof = read_oof(oof_file(m, m.runs[0]))
    val = [line.split()[0] for k in (0, 2) for line in
           (SportsPaths(m).lists / f'val_fold{k}.txt').read_text().splitlines()]
    assert len(oof) == len(val) < 12 and oof.fold_ids == [0, 2]
    report = json.loads((m.work_dir / 'cv_report.json').read_text())
    assert report['complete'] is False
    assert report['note'].startswith('partial: folds [0, 2] of 0..2')
    assert 'partial: folds [0, 2]' in (m.work_dir / 'cv_report.txt').read_text()
    w = json.loads((m.work_dir / 'ensemble_weights.json').read_text())
    assert w['method'] == 'manifest' and w['weights'] == {'good': 0.5, 'weak': 0.5}
    assert 'fitted weights need every fold' in w['reason']
    capsys.readouterr()
    assert ensemble_run_weights(m, m.runs) == {'good': 0.5, 'weak': 0.5}
    assert "ensemble: the manifest's run weights (partial: folds [0, 2]" in capsys.readouterr().out

    # all folds later: the partial table is made again, from every fold
    m = _manifest(sports, 'all')
    _dump_folds(m)
    cv_stages(m, Pipeline(), m.runs, sports_source(SportsPaths(m)))
    assert len(read_oof(oof_file(m, m.runs[0]))) == 12


def test_a_dump_that_misses_a_sample_is_named(sports):
    m = _manifest(sports, 'all')
    _dump_folds(m)
    dump = run_dir(m, m.runs[0], 1) / 'val_preds.pkl'
    samples = pickle.loads(dump.read_bytes())
    dropped = samples.pop()['img_path']
    dump.write_bytes(pickle.dumps(samples + [samples[0]]))
    with pytest.raises(StageFailed) as err:
        cv_stages(m, Pipeline(), m.runs, sports_source(SportsPaths(m)))
    text = str(err.value)
    assert str(dump) in text and 'good fold1' in text and 'predicted twice' in text
    assert 'not predicted' in text and dropped.rsplit('/', 1)[1] in text
    assert not oof_file(m, m.runs[0]).exists()


def test_action_ids_are_video_filenames_matched_by_stem(tmp_path):
    """The action source: a dump names a video by its frame folder; the OOF row by train.csv's
    video_filename."""
    lists = tmp_path / 'lists'
    lists.mkdir()
    videos = [('v1.mp4', 0), ('v2.avi', 1), ('clip.3.mp4', 1), ('v4.mp4', 0)]
    stem = {'v1.mp4': 'v1', 'v2.avi': 'v2', 'clip.3.mp4': 'clip.3', 'v4.mp4': 'v4'}
    (lists / 'classes.txt').write_text('left\nright\n')
    (lists / 'train_all.txt').write_text(''.join(f'{stem[v]} 9 {t}\n' for v, t in videos))
    (lists / 'train_ids.txt').write_text(''.join(f'{v}\n' for v, _ in videos))
    for k, part in enumerate((videos[:2], videos[2:])):
        (lists / f'val_fold{k}.txt').write_text(''.join(f'{stem[v]} 9 {t}\n' for v, t in part))

    class Paths:
        def classes(self):
            return ['left', 'right']
    paths = Paths()
    paths.lists = lists
    src = action_source(paths)
    _, rows = src.val_rows(None, 1)
    assert rows == {'clip.3': ('clip.3.mp4', 'right'), 'v4': ('v4.mp4', 'left')}
    dump = tmp_path / 'val.pkl'
    dump.write_bytes(pickle.dumps([{'frame_dir': f'/frames/{s}', 'pred_score': np.array(p)}
                                   for s, p in (('v4', [0.9, 0.1]), ('clip.3', [0.3, 0.7]))]))
    keys, probs = src.dump_rows(dump)
    assert keys == ['v4', 'clip.3'] and probs.shape == (2, 2)
    assert sorted(src.train_ids()) == sorted(v for v, _ in videos)


@pytest.mark.slow
def test_sports_all_folds_end_to_end(tmp_path):
    """`FOLDS=all train.sh` + `inference.sh` on the sports demo cut short (2 folds, two runs of a
    few epochs): every training id once in each oof.csv, a complete CV report, weights fitted on
    the OOF predictions and used for the test ensemble."""
    import pandas as pd

    from tests.conftest import REPO_ROOT, run_cli

    short = "{'train_cfg.max_epochs': %d, 'param_scheduler.T_max': %d, 'param_scheduler.end': %d}"
    manifest = tmp_path / 'sports_cv.py'
    manifest.write_text(
        f"_base_ = {str(REPO_ROOT / 'configs/solutions/sports_demo.py')!r}\n"
        "preprocess = dict(folds=2)\n"
        f"runs = [dict(name='tiny', kind='classifier', config={CONFIG!r},\n"
        f"             cfg_options={short % (6, 6, 6)}),\n"
        f"        dict(name='narrow', kind='classifier', config={CONFIG!r},\n"
        f"             cfg_options={{**{short % (2, 2, 2)}, 'model.backbone.base_channels': 4,\n"
        "                          'model.head.in_channels': 16})]\n")
    env = {'DATA_ROOT': str(tmp_path / 'data'), 'WORK_DIR': str(tmp_path / 'work'),
           'FOLDS': 'all', 'PODIUM_CACHE': str(tmp_path / 'cache')}
    for script in ('train.sh', 'inference.sh'):
        out = run_cli(['bash', str(REPO_ROOT / script), '1', str(manifest)], env=env, timeout=900)
        assert out.returncode == 0, out.stdout[-5000:]
        if script == 'train.sh':
            assert 'ensemble weights (fitted on the OOF predictions, least log loss)' in out.stdout
    work = tmp_path / 'work'
    train_ids = pd.read_csv(tmp_path / 'data' / 'train.csv', dtype=str)['image_id'].tolist()
    for run in ('tiny', 'narrow'):
        oof = read_oof(work / run / 'oof.csv')
        assert sorted(oof.ids) == sorted(train_ids) and oof.fold_ids == [0, 1]
    cv = json.loads((work / 'cv_report.json').read_text())
    assert cv['complete'] is True and set(cv['runs']) == {'tiny', 'narrow'}
    assert set(cv['runs']['tiny']['folds']) == {'0', '1'} and 'oof' in cv['ensemble']
    w = json.loads((work / 'ensemble_weights.json').read_text())
    assert w['method'] == 'oof' and sum(w['weights'].values()) == pytest.approx(1)
    assert w['oof_fitted']['log_loss'] <= w['oof_equal']['log_loss'] + 1e-9
    assert 'weights fitted on the OOF predictions' in out.stdout
    npz = np.load(work / 'ensemble.npz')  # each run's weight split over its two fold models
    used: dict[str, list[float]] = {}
    for source, weight in zip(npz['sources'], npz['weights']):
        used.setdefault(Path(str(source)).parent.parent.name, []).append(float(weight))
    assert used == {run: pytest.approx([w['weights'][run] / 2] * 2) for run in ('tiny', 'narrow')}


def test_fold_table_of_a_flow_without_oof(tmp_path):
    """crash/localize: each fold's validation scores, mean and std; the note says no OOF."""
    from tools.solutions.cv import fold_cv_stage

    m = _manifest(tmp_path, 'all')
    scores = {('good', 0): 0.9, ('good', 1): 0.7, ('good', 2): 0.8}
    fold_cv_stage(m, Pipeline(), m.runs[:1],
                  lambda run, fold: {'mIoU': scores[run.name, fold], 'accuracy': 1.0}, [], 'mIoU')
    report = json.loads((m.work_dir / 'cv_report.json').read_text())
    block = report['runs']['good']
    assert block['mean']['mIoU'] == pytest.approx(0.8)
    assert block['std']['mIoU'] == pytest.approx(np.std([0.9, 0.7, 0.8]))
    assert 'oof' not in block and report['note'].startswith('per-fold validation scores only')
    text = (m.work_dir / 'cv_report.txt').read_text()
    assert re.search(r'^good\s+mean\s+0\.8000\s+1\.0000$', text, re.MULTILINE), text
