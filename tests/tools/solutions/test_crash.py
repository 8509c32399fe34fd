"""The crash_demo solution end to end on generated data: train two folds, infer, average,
score, annotate; a rerun that skips every finished stage; CRASH_ANNOTATE=0 and FORCE=1 through
the flow; and an interrupted training that resumes where it was killed.

One training of the demo (module fixture) serves every end-to-end test here."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from custom_modules.utils.video import read_video
from tests.conftest import REPO_ROOT, cli_env, run_cli, stage_status

TRAIN = ['bash', str(REPO_ROOT / 'train.sh'), '1']
INFERENCE = ['bash', str(REPO_ROOT / 'inference.sh'), '1']
MAX_EPOCHS = 4  # configs/crash/tinyconvnet_1xb16-cos-4e_crash-demo-frames-64px.py


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> SimpleNamespace:
    """``bash train.sh 1 crash_demo`` once: its environment, folders and output.

    The environment names its own trust ledger (PODIUM_CACHE), so that the tests' inference
    trusts the checkpoints this training wrote, as one machine's runs do.
    """
    root = tmp_path_factory.mktemp('crash_demo')
    env = {'DATA_ROOT': str(root / 'data'), 'WORK_DIR': str(root / 'work'), 'CRASH_ANNOTATE': '',
           'FORCE': '', 'FOLDS': '', 'PODIUM_CACHE': str(root / 'podium_cache')}
    train = run_cli([*TRAIN, 'crash_demo'], env=env, timeout=300)
    assert train.returncode == 0, train.stdout[-5000:]
    return SimpleNamespace(env=env, data=root / 'data', work=root / 'work', stdout=train.stdout)


@pytest.mark.slow
def test_crash_demo_train_and_inference(trained):
    env = {**trained.env, 'CRASH_ANNOTATE': '1'}
    work = trained.work
    for fold in (0, 1):
        wd = work / 'tiny' / f'fold{fold}'
        assert stage_status(trained.stdout, f'train tiny fold{fold}') == 'ran'
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
    val_auc = float(re.search(r'^train tiny fold0 .*crash/auc=([\d.]+)', trained.stdout,
                              re.MULTILINE).group(1))

    infer = run_cli([*INFERENCE, 'crash_demo'], env=env, timeout=300)
    assert infer.returncode == 0, infer.stdout[-5000:]
    submission = work / 'submission.csv'
    assert infer.stdout.strip().splitlines()[-1] == str(submission)
    sub = pd.read_csv(submission)
    assert list(sub.columns) == ['video', 'frame_id', 'pred']
    assert sub['pred'].between(0, 1).all()
    test_dir = trained.data / 'test'
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

    again = run_cli([*INFERENCE, 'crash_demo'], env=env, timeout=300)
    assert again.returncode == 0, again.stdout[-5000:]
    for stage in ('infer tiny fold0', 'infer tiny fold1', 'average folds + submission'):
        assert stage_status(again.stdout, stage) == 'skipped'


@pytest.mark.slow
def test_crash_annotate_0_and_force_through_the_flow(trained, tmp_path):
    """A manifest that asks for annotated videos: CRASH_ANNOTATE=0 turns them off; then FORCE=1
    (and the manifest's own choice) reruns the up-to-date stages and writes them."""
    manifest = tmp_path / 'crash_demo_annotated.py'
    manifest.write_text(f"_base_ = '{REPO_ROOT / 'configs/solutions/crash_demo.py'}'\n"
                        'annotate_videos = True\n')
    annotated = trained.work / 'annotated'
    shutil.rmtree(annotated, ignore_errors=True)  # another test may have asked for them
    videos = sorted(p.stem for p in (trained.data / 'test').glob('*.mp4'))
    assert videos

    off = run_cli([*INFERENCE, str(manifest)], env={**trained.env, 'CRASH_ANNOTATE': '0'})
    assert off.returncode == 0, off.stdout[-5000:]
    assert (trained.work / 'submission.csv').is_file()
    assert 'annotated videos' not in off.stdout and not annotated.exists()

    # every output is up to date now: FORCE=1 redoes them all (same models, same rows)
    outputs = [trained.work / 'tiny/fold0/test_preds/done.json',
               trained.work / 'tiny/fold1/test_preds/done.json', trained.work / 'submission.csv']
    before = {p: p.stat().st_mtime_ns for p in outputs}
    submission = (trained.work / 'submission.csv').read_text()
    forced = run_cli([*INFERENCE, str(manifest)], env={**trained.env, 'FORCE': '1'})
    assert forced.returncode == 0, forced.stdout[-5000:]
    for stage in ('infer tiny fold0', 'infer tiny fold1', 'average folds + submission',
                  'annotated videos'):  # the last one: the manifest's own choice
        assert stage_status(forced.stdout, stage) == 'ran'
    assert [p for p in outputs if p.stat().st_mtime_ns <= before[p]] == []
    assert (trained.work / 'submission.csv').read_text() == submission
    assert sorted(p.stem for p in annotated.glob('*.mp4')) == videos


def validated_epochs(wd: Path) -> list[int]:
    """The epochs validated by the run's last training (its ``podium_train.log``)."""
    text = (wd / 'podium_train.log').read_text()
    return sorted({int(e) for e in re.findall(r'Epoch\(val\) +\[ *(\d+)\]', text)})


@pytest.mark.slow
def test_killed_training_resumes_from_its_checkpoint_and_force_retrains(trained, tmp_path):
    env = {**trained.env, 'WORK_DIR': str(tmp_path / 'work'), 'FOLDS': '0'}
    wd = tmp_path / 'work' / 'tiny' / 'fold0'
    proc = subprocess.Popen([*TRAIN, 'crash_demo'], cwd=REPO_ROOT, env=cli_env(env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not (wd / 'last_checkpoint').is_file():  # written after the checkpoint itself
            assert proc.poll() is None, 'train.sh ended before its first checkpoint'
            assert time.monotonic() < deadline, 'no checkpoint in time'
            time.sleep(0.05)
    finally:  # the whole group: train.sh, the runner and tools/train.py, with no clean-up
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    saved = int(re.fullmatch(r'epoch_(\d+)\.pth', os.path.basename(
        (wd / 'last_checkpoint').read_text().strip())).group(1))
    assert 1 <= saved < MAX_EPOCHS, f'killed after epoch {saved}: nothing left to resume'
    assert not (wd / 'done.json').exists()
    print(f'crash_demo: training killed after epoch {saved} of {MAX_EPOCHS}')

    again = run_cli([*TRAIN, 'crash_demo'], env=env, timeout=300)
    assert again.returncode == 0, again.stdout[-5000:]
    assert stage_status(again.stdout, 'train tiny fold0') == 'ran'
    log = (wd / 'podium_train.log').read_text()
    assert f'resumed epoch: {saved}' in log and 'Auto resumed from the latest checkpoint' in log
    # The resumed run validates its resume epoch again (the best checkpoint depends on it),
    # then every later epoch.
    assert validated_epochs(wd) == list(range(saved, MAX_EPOCHS + 1))
    assert (wd / f'epoch_{MAX_EPOCHS}.pth').is_file() and (wd / 'done.json').is_file()

    # FORCE=1 redoes up-to-date stages: the training starts over from epoch 1 (no resume)
    done = (wd / 'done.json').stat().st_mtime_ns
    forced = run_cli([*TRAIN, 'crash_demo'], env={**env, 'FORCE': '1'}, timeout=300)
    assert forced.returncode == 0, forced.stdout[-5000:]
    for stage in ('preprocess lists', 'train tiny fold0'):
        assert stage_status(forced.stdout, stage) == 'ran'
    assert 'resumed epoch' not in (wd / 'podium_train.log').read_text()
    assert validated_epochs(wd) == list(range(1, MAX_EPOCHS + 1))
    assert (wd / 'done.json').stat().st_mtime_ns > done


def test_crash_annotate_env_overrides_the_manifest(monkeypatch):
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


@pytest.mark.slow
def test_inference_from_supplied_checkpoints_gives_the_same_submission(trained, tmp_path):
    """The folds' checkpoints copied to DIR/tiny/fold<k>.pth and read with another machine's
    trust ledger: --trust-checkpoints reaches the in-process predictor; the same rows, byte for
    byte, as the inference from the training's own work_dir."""
    from tools.solutions.launch import final_checkpoint

    own = run_cli([*INFERENCE, 'crash_demo'], env=trained.env, timeout=300)
    assert own.returncode == 0, own.stdout[-5000:]
    folder = tmp_path / 'checkpoints'
    (folder / 'tiny').mkdir(parents=True)
    for fold in (0, 1):
        shutil.copy2(final_checkpoint(trained.work / 'tiny' / f'fold{fold}'),
                     folder / 'tiny' / f'fold{fold}.pth')
    env = {**trained.env, 'WORK_DIR': str(tmp_path / 'work'),
           'PODIUM_CACHE': str(tmp_path / 'another_machine')}
    out = run_cli([*INFERENCE, 'crash_demo', '--checkpoints', str(folder),
                   '--trust-checkpoints'], env=env, timeout=300)
    assert out.returncode == 0, out.stdout[-5000:]
    assert ((tmp_path / 'work' / 'submission.csv').read_bytes()
            == (trained.work / 'submission.csv').read_bytes())


@pytest.mark.slow
def test_inference_in_two_processes_equals_one(trained, tmp_path):
    """``inference.sh 2``: the test videos shared between 2 CPU processes give the rows of
    ``inference.sh 1`` (the same per-video CSVs, the same submission)."""
    one = run_cli([*INFERENCE, 'crash_demo'], env=trained.env, timeout=300)
    assert one.returncode == 0, one.stdout[-5000:]
    folds = [trained.work / 'tiny' / f'fold{k}' / 'test_preds' for k in (0, 1)]
    expected = {p: p.read_bytes() for folder in folds for p in folder.glob('*.csv')}
    submission = (trained.work / 'submission.csv').read_bytes()
    assert len(expected) >= 4

    two = run_cli(['bash', str(REPO_ROOT / 'inference.sh'), '2', 'crash_demo'],
                  env={**trained.env, 'FORCE': '1'}, timeout=300)
    assert two.returncode == 0, two.stdout[-5000:]
    assert stage_status(two.stdout, 'infer tiny fold0') == 'ran'
    assert 'in 2 processes (cpu, cpu)' in two.stdout
    assert {p: p.read_bytes() for folder in folds for p in folder.glob('*.csv')} == expected
    assert (trained.work / 'submission.csv').read_bytes() == submission


def test_videos_are_shared_round_robin_among_the_processes(monkeypatch):
    import torch

    from tools.solutions.crash import inference_devices, shards

    videos = [Path(f'v{i}.mp4') for i in range(5)]
    assert shards(videos, 2) == [videos[0::2], videos[1::2]]
    assert shards(videos[:1], 4) == [videos[:1]] and shards([], 3) == []
    assert shards(videos, 0) == [videos]
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert inference_devices(2, 2) == ['cpu', 'cpu']
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    assert inference_devices(4, 3) == ['cuda:0', 'cuda:1', 'cuda:0']
    assert inference_devices(0, 1) == ['cpu']


def test_an_interrupted_inference_resumes_with_the_videos_left(tmp_path):
    from tools.solutions.crash import pending_videos

    videos = []
    for i, size in enumerate((10, 30, 20)):
        videos.append(tmp_path / f'v{i}.mp4')
        videos[-1].write_bytes(b'x' * size)
    out = tmp_path / 'test_preds'
    assert pending_videos(out, videos, 'key1', force=False) == [videos[1], videos[2], videos[0]]
    (out / 'v1.csv').write_text('frame_id,pred\n0,0.5\n')  # one video finished, then a kill
    assert pending_videos(out, videos, 'key1', force=False) == [videos[2], videos[0]]
    assert pending_videos(out, videos, 'key1', force=True) == [videos[1], videos[2], videos[0]]
    assert not (out / 'v1.csv').exists()
    (out / 'v1.csv').write_text('frame_id,pred\n0,0.5\n')
    (out / 'done.json').write_text('{}')
    # another checkpoint (or other videos, options): the old rows are not reused
    assert len(pending_videos(out, videos, 'key2', force=False)) == 3
    assert not (out / 'v1.csv').exists() and not (out / 'done.json').exists()
