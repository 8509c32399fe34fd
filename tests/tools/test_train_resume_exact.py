"""Resume = the uninterrupted run (issue 17): a real training killed with SIGKILL mid-epoch and
resumed ends with the same weights and the same per-epoch metrics as one never interrupted, bit
for bit (CPU, deterministic, seed set, random augmentations drawn from the global generators)."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import REPO_ROOT, TOY_CONFIG, cli_env

TRAIN = str(REPO_ROOT / 'tools/train.py')
EPOCHS = 5


def write_config(tmp_path: Path, seeding: bool = True) -> Path:
    """The toy with random flips and crops (numpy's global generator, main process) and a
    per-iteration pause (so the kill lands mid-epoch)."""
    config = tmp_path / 'toy_augmented.py'
    config.write_text(f"""_base_ = '{TOY_CONFIG}'
custom_imports = dict(imports=['custom_modules', 'tests.tools.slow_iter_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='SlowIterHook', seconds=0.03)]
pipeline = [dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0)),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs', meta_keys=('sample_id', 'sample_idx'))]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
train_cfg = dict(max_epochs={EPOCHS})
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(max_keep_ckpts=-1))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])  # no TensorBoard import
epoch_seeding = {seeding}
""")
    return config


def train_cmd(config: Path, work_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, TRAIN, str(config), '--work-dir', str(work_dir), '--seed', '3',
            '--deterministic', *extra]


def val_accuracies(work_dir: Path) -> dict[int, float]:
    """Epoch -> validation accuracy, from every log of the work_dir (a resumed run has two)."""
    found = {}
    for log in sorted(work_dir.glob('*/*.log')):
        for epoch, acc in re.findall(r'Epoch\(val\) \[(\d+)\]\[\d+/\d+\]\s+accuracy/top1: '
                                     r'([\d.]+)', log.read_text()):
            found[int(epoch)] = float(acc)
    return found


def final_state(work_dir: Path) -> dict[str, torch.Tensor]:
    ckpt = torch.load(work_dir / f'epoch_{EPOCHS}.pth', map_location='cpu', weights_only=False)
    return ckpt['state_dict']


@pytest.mark.slow
def test_killed_mid_epoch_and_resumed_equals_the_uninterrupted_run(tmp_path):
    config = write_config(tmp_path)
    env = cli_env({'PODIUM_LOCKED_WORK_DIR': ''})
    whole, cut = tmp_path / 'whole', tmp_path / 'cut'
    uninterrupted = subprocess.Popen(train_cmd(config, whole), cwd=REPO_ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    killed = subprocess.Popen(train_cmd(config, cut), cwd=REPO_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        for line in killed.stdout:  # the first logged iteration of epoch 3
            assert time.monotonic() < deadline, 'no epoch 3 in time'
            if re.search(r'Epoch\(train\)\s+\[3\]\[\s*\d+/', line):
                killed.send_signal(signal.SIGKILL)  # mid-epoch, no chance to clean up
                break
    finally:
        killed.kill()
        killed.wait()
    assert uninterrupted.wait(timeout=180) == 0
    saved = sorted(int(p.stem.split('_')[1]) for p in cut.glob('epoch_*.pth'))
    assert saved and saved[-1] == 2, f'the kill landed elsewhere than epoch 3: {saved}'

    resumed = subprocess.run(train_cmd(config, cut, '--resume'), cwd=REPO_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=180)
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    assert 'resumed epoch: 2' in resumed.stdout
    assert 'took over the stale lock' in resumed.stdout  # the killed run's lock

    expected, got = final_state(whole), final_state(cut)
    assert expected.keys() == got.keys()
    for key in expected:
        assert torch.equal(expected[key], got[key]), f'{key} differs after the resume'
    assert val_accuracies(cut) == val_accuracies(whole)
    assert sorted(val_accuracies(whole)) == list(range(1, EPOCHS + 1))
