"""One run per work folder: the lock refuses a second run, takes over stale ones, releases."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from custom_modules.utils.workdir_lock import (
    HELD_ENV,
    LOCK_NAME,
    LockInfo,
    WorkDirBusy,
    WorkDirLock,
    holder_note,
    process_start,
    work_dir_lock,
)


@pytest.fixture
def sleeper():
    """A live process of this host (another run's stand-in); killed at the end."""
    proc = subprocess.Popen(['sleep', '60'])
    yield proc
    proc.kill()
    proc.wait()


def write_lock(work_dir: Path, pid: int, host: str | None = None,
               proc_start: str | None = 'same') -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    info = LockInfo(pid=pid, host=host or socket.gethostname(), started='2026-11-30 10:00:00',
                    command='python tools/run_solution.py train --solution demo', token='t0',
                    proc_start=process_start(pid) if proc_start == 'same' else proc_start)
    path = work_dir / LOCK_NAME
    path.write_text(json.dumps(info.__dict__))
    return path


def test_lock_file_names_this_process_and_goes_on_release(tmp_path):
    with work_dir_lock(tmp_path / 'work') as lock:
        data = json.loads((tmp_path / 'work' / LOCK_NAME).read_text())
        assert data['pid'] == os.getpid() and data['host'] == socket.gethostname()
        assert data['started'] and data['command'] and lock is not None
        assert os.environ[HELD_ENV] == str((tmp_path / 'work').resolve())
    assert not (tmp_path / 'work' / LOCK_NAME).exists()
    assert HELD_ENV not in os.environ


def test_second_lock_refuses_naming_the_holder(tmp_path):
    first = WorkDirLock(tmp_path, command='train.sh 1 demo')
    assert first.acquire() is None
    with pytest.raises(WorkDirBusy) as err:
        WorkDirLock(tmp_path).acquire()
    text = str(err.value)
    assert f'pid {os.getpid()}' in text and socket.gethostname() in text
    assert 'train.sh 1 demo' in text and first.info.started in text
    assert err.value.exit_code == 2
    first.release()
    assert WorkDirLock(tmp_path).acquire() is None


def test_live_process_of_this_host_keeps_its_lock(tmp_path, sleeper):
    path = write_lock(tmp_path, sleeper.pid)
    with pytest.raises(WorkDirBusy, match=f'pid {sleeper.pid}'):
        with work_dir_lock(tmp_path):
            pass
    assert json.loads(path.read_text())['pid'] == sleeper.pid  # untouched


def test_lock_of_a_killed_process_is_taken_over_with_a_line(tmp_path, sleeper, capsys):
    write_lock(tmp_path, sleeper.pid)
    sleeper.kill()
    sleeper.wait()
    with work_dir_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_NAME).read_text())['pid'] == os.getpid()
    out = capsys.readouterr().out
    assert 'took over the stale lock' in out and f'{sleeper.pid} is no longer running' in out


def test_reused_pid_is_a_stale_lock(tmp_path):
    """The pid is alive (this process) but started at another time: another process."""
    write_lock(tmp_path, os.getpid(), proc_start='1')
    note = WorkDirLock(tmp_path).acquire()
    assert note is not None and 'belongs to another process' in note


def test_lock_from_another_host_is_never_taken_over(tmp_path):
    path = write_lock(tmp_path, 12345, host='node-07')
    with pytest.raises(WorkDirBusy) as err:
        WorkDirLock(tmp_path).acquire()
    assert 'node-07' in str(err.value) and f'rm {path}' in str(err.value)
    assert path.exists()
    assert 'a run would refuse' in holder_note(tmp_path)


def test_empty_lock_is_busy_while_young_and_stale_when_old(tmp_path):
    path = tmp_path / LOCK_NAME
    path.write_text('')
    with pytest.raises(WorkDirBusy, match='starting'):
        WorkDirLock(tmp_path).acquire()
    old = time.time() - 120
    os.utime(path, (old, old))
    assert 'empty or damaged' in WorkDirLock(tmp_path).acquire()


def test_release_never_removes_another_holders_lock(tmp_path, sleeper):
    lock = WorkDirLock(tmp_path)
    lock.acquire()
    path = write_lock(tmp_path, sleeper.pid)  # someone replaced it (e.g. removed it by hand)
    lock.release()
    assert path.exists()


def test_lock_is_released_on_an_exception_and_on_ctrl_c(tmp_path):
    for exc in (RuntimeError('boom'), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with work_dir_lock(tmp_path):
                raise exc
        assert not (tmp_path / LOCK_NAME).exists()


def test_children_and_other_ranks_do_not_lock(tmp_path, monkeypatch):
    monkeypatch.setenv(HELD_ENV, str(tmp_path))
    with work_dir_lock(tmp_path / 'run' / 'fold0') as lock:
        assert lock is None and not (tmp_path / 'run' / 'fold0' / LOCK_NAME).exists()
    monkeypatch.delenv(HELD_ENV)
    monkeypatch.setenv('RANK', '1')
    with work_dir_lock(tmp_path) as lock:
        assert lock is None and not (tmp_path / LOCK_NAME).exists()


def test_sigterm_releases_the_lock(tmp_path):
    """A process holding the lock and stopped by SIGTERM (scancel) leaves no lock behind."""
    from tests.conftest import REPO_ROOT

    # the module alone, without the package's heavy imports
    code = ('import importlib.util, sys, time, types\n'
            f'sys.path.insert(0, {str(REPO_ROOT)!r})\n'
            'pkg = types.ModuleType("custom_modules"); pkg.__path__ = []\n'
            'sys.modules["custom_modules"] = pkg\n'
            'import custom_modules.utils.workdir_lock as w\n'
            'with w.work_dir_lock(sys.argv[1]):\n'
            '    print("locked", flush=True); time.sleep(60)\n')
    pkg_utils = REPO_ROOT / 'custom_modules'
    code = code.replace('pkg.__path__ = []', f'pkg.__path__ = [{str(pkg_utils)!r}]')
    proc = subprocess.Popen([sys.executable, '-c', code, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == 'locked'
    assert (tmp_path / LOCK_NAME).exists()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    assert not (tmp_path / LOCK_NAME).exists()
