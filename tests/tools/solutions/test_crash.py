"""The crash_demo solution end to end on generated data: train two folds, infer, average,
score, annotate; then a rerun that skips every finished stage."""
from __future__ import annotations

import json
import re

import pandas as pd

from tests.conftest import REPO_ROOT, run_cli
from tools.data.make_demo_data import read_video


def stage_status(output: str, stage: str) -> str:
    match = re.search(rf'^{re.escape(stage)}\s+(ran|skipped|failed)\b', output, re.MULTILINE)
    assert match, f'no {stage!r} row in the summary:\n{output[-2000:]}'
    return match.group(1)


def test_crash_demo_train_and_inference(tmp_path):
    env = {'DATA_ROOT': str(tmp_path / 'data'), 'WORK_DIR': str(tmp_path / 'work'),
           'CRASH_ANNOTATE': '1'}
    train = run_cli(['bash', str(REPO_ROOT / 'train.sh'), '1', 'crash_demo'], env=env,
                    timeout=300)
    assert train.returncode == 0, train.stdout[-5000:]
    work = tmp_path / 'work'
    for fold in (0, 1):
        wd = work / 'tiny' / f'fold{fold}'
        assert stage_status(train.stdout, f'train tiny fold{fold}') == 'ran'
        assert (wd / 'curves.png').is_file()
        best = list(wd.glob('best_auc_*_acc_*_ll_*_epoch_*.pth'))
        assert len(best) == 1, best
        record = json.loads((wd / 'best_checkpoint.json').read_text())
        assert record['path'] == str(best[0])
        assert f'{record["metrics"]["crash/auc"]:.4f}' in best[0].name
        # the scores logged for that epoch are the epoch's own (not smoothed by the logger)
        logged = [json.loads(line) for f in wd.glob('*/vis_data/scalars.json')
                  for line in f.read_text().splitlines()]
        epoch = next(r for r in logged if 'crash/auc' in r and r['step'] == record['epoch'])
        assert epoch['crash/bce'] == record['metrics']['crash/bce']
    val_auc = float(re.search(r'^train tiny fold0 .*crash/auc=([\d.]+)', train.stdout,
                              re.MULTILINE).group(1))

    inference = ['bash', str(REPO_ROOT / 'inference.sh'), '1', 'crash_demo']
    infer = run_cli(inference, env=env, timeout=300)
    assert infer.returncode == 0, infer.stdout[-5000:]
    submission = work / 'submission.csv'
    assert infer.stdout.strip().splitlines()[-1] == str(submission)
    sub = pd.read_csv(submission)
    assert list(sub.columns) == ['video', 'frame_id', 'pred']
    assert sub['pred'].between(0, 1).all()
    test_dir = tmp_path / 'data' / 'test'
    for video in sorted(test_dir.glob('*.mp4')):
        n = len(read_video(video))
        rows = sub[sub['video'] == video.stem]
        assert rows['frame_id'].tolist() == list(range(n))  # every frame, once
        assert len(read_video(work / 'annotated' / f'{video.stem}.mp4')) == n
    # the submission is the mean of the two folds' per-video predictions
    a = pd.read_csv(work / 'tiny/fold0/test_preds' / f'{video.stem}.csv')['pred']
    b = pd.read_csv(work / 'tiny/fold1/test_preds' / f'{video.stem}.csv')['pred']
    assert ((a + b) / 2 - rows['pred'].to_numpy()).abs().max() < 2e-6
    metrics = json.loads((work / 'test_metrics.json').read_text())
    print(f'crash_demo: validation AUC fold0 {val_auc:.3f}; test AUC {metrics["auc"]:.3f}, '
          f'accuracy {metrics["acc"]:.3f}, log loss {metrics["log_loss"]:.3f}')
    assert metrics['frames'] == len(sub) and metrics['auc'] >= 0.9

    again = run_cli(inference, env=env, timeout=300)
    assert again.returncode == 0, again.stdout[-5000:]
    for stage in ('infer tiny fold0', 'infer tiny fold1', 'average folds + submission'):
        assert stage_status(again.stdout, stage) == 'skipped'


def test_crash_annotate_env_overrides_the_manifest(monkeypatch):
    from types import SimpleNamespace

    from tools.solutions.crash import annotate_requested

    wants = SimpleNamespace(get=lambda key, default=None: True if key == 'annotate_videos'
                            else default)
    off = SimpleNamespace(get=lambda key, default=None: default)
    monkeypatch.delenv('CRASH_ANNOTATE', raising=False)
    assert annotate_requested(wants) and not annotate_requested(off)
    monkeypatch.setenv('CRASH_ANNOTATE', '0')
    assert not annotate_requested(wants)
    monkeypatch.setenv('CRASH_ANNOTATE', '1')
    assert annotate_requested(off)
