"""Inference from checkpoints trained elsewhere: ``inference.sh N SOLUTION --checkpoints DIR``.

Fast tests drive steps.checkpoint_for / infer_step with the launcher replaced by a recorder; the
slow one trains the sports demo for one epoch and compares submissions byte for byte."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
import torch

from custom_modules.compat import UntrustedCheckpointError
from custom_modules.utils.errors import InputError
from tools.run_solution import apply_checkpoint_args, parse_args, runner_trust_hint
from tools.solutions import launch, steps
from tools.solutions.manifest import Manifest, Run
from tools.solutions.stages import Pipeline


@pytest.fixture
def commands(monkeypatch) -> list[list[str]]:
    """Every command the flow launches; a test run writes its dump."""
    seen: list[list[str]] = []

    def fake_run_logged(cmd, log_file, what, gpus=1):
        seen.append(list(cmd))
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        Path(cmd[cmd.index('--dump') + 1]).write_bytes(b'dump')

    monkeypatch.setattr(launch, 'run_logged', fake_run_logged)
    return seen


def manifest(tmp_path: Path, checkpoints: Path | None, trust: bool = False) -> Manifest:
    config = tmp_path / 'model.py'
    config.write_text('# a config\n')
    return Manifest('sol', tmp_path / 'sol.py', 'sports', tmp_path / 'data', tmp_path / 'work',
                    [0, 1], [Run('m', 'classifier', config)], {}, checkpoints=checkpoints,
                    trust_checkpoints=trust)


def weights(path: Path, value: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': {'w': torch.full((2, ), value)}}, path)
    return path


def test_per_fold_file_first_then_one_file_for_every_fold(tmp_path):
    per_fold = weights(tmp_path / 'ckpts' / 'm' / 'fold0.pth')
    per_run = weights(tmp_path / 'ckpts' / 'm.pth')
    m = manifest(tmp_path, tmp_path / 'ckpts')
    assert steps.checkpoint_for(m, m.runs[0], 0) == per_fold
    assert steps.checkpoint_for(m, m.runs[0], 1) == per_run


def test_missing_file_names_the_expected_paths(tmp_path):
    m = manifest(tmp_path, tmp_path / 'ckpts')
    with pytest.raises(InputError) as err:
        steps.checkpoint_for(m, m.runs[0], 1)
    assert str(err.value) == (
        f'--checkpoints {tmp_path / "ckpts"}: no checkpoint for run m fold1: put it at '
        f'{tmp_path / "ckpts/m/fold1.pth"} (or at {tmp_path / "ckpts/m.pth"} for every fold)')


def test_supplied_file_needs_no_training_and_a_changed_file_reruns(commands, tmp_path):
    ckpt = weights(tmp_path / 'ckpts' / 'm.pth')
    m = manifest(tmp_path, tmp_path / 'ckpts')
    test_list = tmp_path / 'test.txt'
    test_list.write_text('a.jpg -1\n')
    pipe = Pipeline()
    run = m.runs[0]
    steps.infer_step(m, pipe, run, 0, 1, {}, test_list)
    assert not (steps.run_dir(m, run, 0) / 'done.json').exists()
    assert commands[0][3] == str(ckpt) and '--trust-checkpoint' not in commands[0]
    steps.infer_step(m, pipe, run, 0, 1, {}, test_list)
    # another file, copied with an old mtime (cp -p, rsync -a), still runs again
    weights(ckpt, 2.0)
    os.utime(ckpt, (1e9, 1e9))
    steps.infer_step(m, pipe, run, 0, 1, {}, test_list)
    assert [r.status for r in pipe.records] == ['ran', 'skipped', 'ran']
    assert len(list(steps.run_dir(m, run, 0).glob('test_checkpoint-*.json'))) == 1

    m.trust_checkpoints = True  # --trust-checkpoints reaches tools/test.py
    steps.infer_step(m, Pipeline(force=True), run, 0, 1, {}, test_list)
    assert commands[-1][commands[-1].index('--trust-checkpoint') + 1] == str(ckpt)


def test_full_pickle_is_refused_early_naming_the_runner_flag(commands, tmp_path):
    ckpt = tmp_path / 'ckpts' / 'm.pth'
    ckpt.parent.mkdir()
    torch.save({'state_dict': {}, 'meta': argparse.Namespace(a=1)}, ckpt)
    m = manifest(tmp_path, tmp_path / 'ckpts')
    with runner_trust_hint('inference'), pytest.raises(UntrustedCheckpointError) as err:
        steps.infer_step(m, Pipeline(), m.runs[0], 0, 1, {}, tmp_path / 'test.txt')
    assert 'argparse.Namespace' in str(err.value) and str(ckpt) in str(err.value)
    assert 'pass `--trust-checkpoints` to inference.sh' in str(err.value)
    assert 'PODIUM_TRUST_HINT' not in os.environ and not commands
    m.trust_checkpoints = True
    assert steps.checkpoint_for(m, m.runs[0], 0) == ckpt


def test_checkpoint_options_are_for_inference_only(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(['train', '--checkpoints', str(tmp_path)])
    assert exit_.value.code == 2
    assert '--checkpoints and --trust-checkpoints are for inference' in capsys.readouterr().err
    args = parse_args(['inference', '--checkpoints', str(tmp_path / 'absent')])
    with pytest.raises(InputError, match=r'--checkpoints .*absent: no such folder'):
        apply_checkpoint_args(manifest(tmp_path, None), args)
