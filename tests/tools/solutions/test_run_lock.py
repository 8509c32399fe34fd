"""The solution runner holds its work folder: a second run on it refuses at once (issue 17)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from custom_modules.utils.workdir_lock import LOCK_NAME
from tests.custom_modules.utils.test_workdir_lock import sleeper, write_lock  # noqa: F401
from tools import run_solution


def test_second_run_on_a_work_dir_refuses_before_doing_anything(
        tmp_path, monkeypatch, capsys, sleeper):  # noqa: F811
    work, data = tmp_path / 'work', tmp_path / 'data'
    write_lock(work, sleeper.pid)
    monkeypatch.setenv('WORK_DIR', str(work))
    monkeypatch.setenv('DATA_ROOT', str(data))
    assert run_solution.main(['train', '--solution', 'sports_demo']) == 2
    err = capsys.readouterr().err
    assert f'another run is using {work}' in err and f'pid {sleeper.pid}' in err
    assert 'tools/run_solution.py train' in err  # the holder's command
    assert not data.exists() and not (work / 'logs').exists()  # nothing generated or logged
    assert (work / LOCK_NAME).exists()  # the holder's lock is kept


def test_dry_run_takes_no_lock_and_names_the_holder(tmp_path, capsys, sleeper):  # noqa: F811
    write_lock(tmp_path, sleeper.pid)
    with run_solution.hold_work_dir(tmp_path, dry_run=True):
        pass
    assert f'is held by pid {sleeper.pid}' in capsys.readouterr().out
    with run_solution.hold_work_dir(tmp_path / 'free', dry_run=True):
        assert not (tmp_path / 'free' / LOCK_NAME).exists()


@pytest.mark.slow
def test_train_script_refuses_a_locked_work_dir(tmp_path, sleeper):  # noqa: F811
    """tools/train.py run by hand locks its work_dir too (rank 0, no runner above it)."""
    from tests.conftest import REPO_ROOT, TOY_CONFIG, cli_env

    write_lock(tmp_path, sleeper.pid)
    env = cli_env()
    env.pop('PODIUM_LOCKED_WORK_DIR', None)
    proc = subprocess.run([sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), str(TOY_CONFIG),
                           '--work-dir', str(tmp_path)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f'pid {sleeper.pid}' in proc.stderr


def test_resume_anyway_comes_from_the_flag_or_the_environment(monkeypatch):
    assert run_solution.parse_args(['train', '--resume-anyway']).resume_anyway
    assert not run_solution.parse_args(['train']).resume_anyway
    monkeypatch.setenv('RESUME_ANYWAY', '1')
    assert run_solution.parse_args(['train']).resume_anyway
