"""The shell launchers build the right command lines and pass extra arguments through quoted."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.conftest import REPO_ROOT, run_cli


def fake_command(bin_dir: Path, name: str) -> Path:
    """A stand-in for ``name`` that writes its arguments one per line and exits 0."""
    record = bin_dir / f'{name}.args'
    script = bin_dir / name
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return record


def test_slurm_train_builds_srun_command(tmp_path):
    record = fake_command(tmp_path, 'srun')
    env = {'PATH': f'{tmp_path}:{os.environ["PATH"]}', 'GPUS': '16', 'GPUS_PER_NODE': '8',
           'CPUS_PER_TASK': '4', 'SRUN_ARGS': '--quotatype=auto', 'PORT': '29777'}
    out = run_cli(['bash', str(REPO_ROOT / 'tools/slurm_train.sh'), 'gpu', 'my job', 'cfg.py',
                   '--cfg-options', 'a.b=has space'], env=env)
    assert out.returncode == 0, out.stdout
    args = record.read_text().splitlines()
    assert args[:7] == ['-p', 'gpu', '--job-name=my job', '--gres=gpu:8', '--ntasks=16',
                        '--ntasks-per-node=8', '--cpus-per-task=4']
    assert '--quotatype=auto' in args
    assert args[-5:] == ['cfg.py', '--launcher', 'slurm', '--cfg-options', 'a.b=has space']
    assert args[-6].endswith('tools/train.py')


def test_slurm_test_passes_checkpoint(tmp_path):
    record = fake_command(tmp_path, 'srun')
    out = run_cli(['bash', str(REPO_ROOT / 'tools/slurm_test.sh'), 'gpu', 'eval', 'cfg.py',
                   'epoch_3.pth', '--dump', 'p.pkl'],
                  env={'PATH': f'{tmp_path}:{os.environ["PATH"]}', 'GPUS': '2'})
    assert out.returncode == 0, out.stdout
    args = record.read_text().splitlines()
    assert '--gres=gpu:2' in args and '--ntasks=2' in args
    assert args[-6:] == ['cfg.py', 'epoch_3.pth', '--launcher', 'slurm', '--dump', 'p.pkl']


def test_dist_launchers_honour_multinode_variables(tmp_path):
    """dist_train.sh hands NNODES/NODE_RANK/MASTER_ADDR/PORT to torchrun, args quoted."""
    record = tmp_path / 'python.args'
    fake_python = tmp_path / 'python'
    fake_python.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    fake_python.chmod(0o755)
    env = {'PYTHON': str(fake_python), 'NNODES': '2', 'NODE_RANK': '1',
           'MASTER_ADDR': '10.1.2.3', 'PORT': '29601'}
    out = run_cli(['bash', str(REPO_ROOT / 'tools/dist_train.sh'), 'cfg.py', '4', '--seed', '1',
                   '--cfg-options', 'x=a b'], env=env)
    assert out.returncode == 0, out.stdout
    args = record.read_text().splitlines()
    assert args[:8] == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                        '--master_addr=10.1.2.3', '--master_port=29601', '--nproc_per_node=4',
                        str(REPO_ROOT / 'tools/train.py')]
    assert args[8:] == ['cfg.py', '--launcher', 'pytorch', '--seed', '1', '--cfg-options', 'x=a b']

    out = run_cli(['bash', str(REPO_ROOT / 'tools/dist_test.sh'), 'cfg.py', 'ck.pth', '2'],
                  env=env)
    assert out.returncode == 0, out.stdout
    args = record.read_text().splitlines()
    assert args[7:] == [str(REPO_ROOT / 'tools/test.py'), 'cfg.py', 'ck.pth', '--launcher',
                        'pytorch']


def test_usage_errors():
    out = run_cli(['bash', str(REPO_ROOT / 'tools/dist_train.sh'), 'only-config'])
    assert out.returncode == 2 and 'usage:' in out.stdout
