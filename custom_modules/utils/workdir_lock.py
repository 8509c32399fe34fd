"""One run per work folder: ``<work_dir>/.podium.lock`` holds the running process's identity.

Two runs writing one work folder interleave their logs, count every scalar twice and resume from
checkpoints still being written, so the second run refuses at once (exit 2) and names the first.
The lock is a file created with ``O_CREAT | O_EXCL`` in the work folder itself (not /tmp): that
is atomic on a local disk and on NFS (v3 and later), so it holds for Slurm jobs on several nodes.

A lock whose process is gone (same host, and its pid is not alive or now belongs to a process
started later: a reused pid) is taken over with a line saying so. A lock from another host is
never taken over: this host cannot tell whether that run is alive; the message says how to
remove it. A lock is only ever removed by the run that made it (its token), or as stale.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import PodiumError

LOCK_NAME = '.podium.lock'
# Set for the processes a lock holder starts (tools/train.py under the runner, torchrun ranks):
# they work inside the held folder and do not lock again.
HELD_ENV = 'PODIUM_LOCKED_WORK_DIR'
# A lock file still empty or unreadable this long after it was made is stale (its writer died
# between creating and filling it); younger, it is being written.
PARTIAL_GRACE_S = 30.0


class WorkDirBusy(PodiumError):
    """Another run holds the work folder (exit status 2)."""


@dataclass
class LockInfo:
    """Who holds a lock: what the file says."""

    pid: int
    host: str
    started: str  # local time, for people
    command: str
    token: str
    proc_start: str | None = None  # /proc/<pid>/stat start time: tells a reused pid apart

    def describe(self) -> str:
        return (f'pid {self.pid} on host {self.host}, started {self.started}, '
                f'command: {self.command}')


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), or None."""
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(')') + 2:].split()  # after "pid (comm) ": state is field 3
    return fields[19] if len(fields) > 19 else None  # field 22: starttime


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def read_lock(path: Path) -> LockInfo | None:
    """The lock's holder, or None when the file is missing, empty or not a lock's JSON."""
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
        return LockInfo(**{k: data.get(k) for k in LockInfo.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def stale_reason(info: LockInfo, host: str | None = None) -> str | None:
    """Why a lock's holder is gone (None: it may still run, or it is on another host)."""
    if info.host != (host or socket.gethostname()):
        return None
    if not pid_alive(int(info.pid)):
        return f'its process {info.pid} is no longer running'
    now = process_start(int(info.pid))
    if info.proc_start and now and now != info.proc_start:
        return f'pid {info.pid} now belongs to another process (the holder ended)'
    return None


def current_command() -> str:
    return ' '.join([Path(sys.executable).name, *sys.argv])[:500]


class WorkDirLock:
    """The lock of one work folder; ``acquire`` takes it or raises :class:`WorkDirBusy`.

    Args:
        work_dir: the folder to lock (made if missing).
        command: what to show a second run (default: this process's command line).
    """

    def __init__(self, work_dir: str | Path, command: str | None = None) -> None:
        self.work_dir = Path(work_dir)
        self.path = self.work_dir / LOCK_NAME
        self.info = LockInfo(pid=os.getpid(), host=socket.gethostname(),
                             started=time.strftime('%Y-%m-%d %H:%M:%S %Z'),
                             command=command or current_command(), token=uuid.uuid4().hex,
                             proc_start=process_start(os.getpid()))
        self.held = False

    def _create(self) -> bool:
        """Creates the lock file atomically with our identity; False when it exists."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(self.info.__dict__, f)
            f.flush()
            os.fsync(f.fileno())
        return True

    def acquire(self) -> str | None:
        """Takes the lock; returns a line to print when a stale lock was taken over."""
        try:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            created = self._create()
        except OSError as err:
            raise PodiumError(f'cannot take the lock of {self.work_dir} ({err}): the work '
                              'folder must be a folder this user can write') from err
        if created:
            self.held = True
            return None
        holder = read_lock(self.path)
        reason = self._stale(holder)
        if reason is None:
            raise WorkDirBusy(self._busy_message(holder))
        # Remove the stale file only if it is still the one judged stale, then race for it.
        if read_lock(self.path) == holder:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        if not self._create():
            raise WorkDirBusy(self._busy_message(read_lock(self.path)))
        self.held = True
        who = holder.describe() if holder else 'an empty or damaged lock file'
        return f'[podium] took over the stale lock {self.path} ({reason}; it was held by {who})'

    def _stale(self, holder: LockInfo | None) -> str | None:
        if holder is not None:
            return stale_reason(holder, self.info.host)
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return 'it was removed meanwhile'
        return f'it is empty or damaged and {age:.0f} s old' if age > PARTIAL_GRACE_S else None

    def _busy_message(self, holder: LockInfo | None) -> str:
        if holder is None:
            return (f'{self.work_dir} is locked by another run that is starting ({self.path} is '
                    'being written); wait for it to finish or use another WORK_DIR')
        text = (f'another run is using {self.work_dir}: {holder.describe()}. One run per work '
                'folder: wait for it to finish, or use another WORK_DIR.')
        if holder.host != self.info.host:
            text += (f' The lock was taken on host {holder.host}, so this host cannot tell '
                     f'whether that run is alive: if it is not, remove the lock '
                     f'(rm {self.path}) and start again.')
        return text

    def release(self) -> None:
        """Removes the lock if it is still ours (never another holder's)."""
        if not self.held:
            return
        self.held = False
        holder = read_lock(self.path)
        if holder is not None and holder.token == self.info.token:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def is_first_rank() -> bool:
    """Rank 0 of a distributed run (torchrun's ``RANK``, Slurm's ``SLURM_PROCID``), or a plain
    process: the one that locks; the other ranks work under its lock."""
    rank = os.environ.get('RANK') or os.environ.get('SLURM_PROCID') or '0'
    return int(rank) == 0


def held_by_parent(work_dir: str | Path) -> bool:
    """Whether a parent process (the runner) holds the lock of ``work_dir`` or a folder above."""
    held = os.environ.get(HELD_ENV)
    if not held:
        return False
    target, held_path = Path(work_dir).resolve(), Path(held).resolve()
    return target == held_path or held_path in target.parents


@contextlib.contextmanager
def work_dir_lock(work_dir: str | Path, command: str | None = None) -> Iterator[WorkDirLock | None]:
    """Holds the lock of ``work_dir`` for the ``with`` block; released on any exit (errors,
    Ctrl-C, SIGTERM: turned into ``SystemExit`` here so the release runs).

    Yields None, taking nothing, when a parent process already holds it (:data:`HELD_ENV`) or
    in a distributed rank other than 0.
    The processes started inside the block inherit :data:`HELD_ENV` and do not lock again.
    """
    if held_by_parent(work_dir) or not is_first_rank():
        yield None
        return
    lock = WorkDirLock(work_dir, command)
    note = lock.acquire()
    if note:
        print(note, flush=True)
    saved_env = os.environ.get(HELD_ENV)
    os.environ[HELD_ENV] = str(lock.work_dir.resolve())
    with _sigterm_exits():
        try:
            yield lock
        finally:
            lock.release()
            if saved_env is None:
                os.environ.pop(HELD_ENV, None)
            else:
                os.environ[HELD_ENV] = saved_env


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM (Slurm's scancel, ``kill``) raises ``SystemExit(143)`` so ``finally`` blocks run;
    only in the main thread, where Python lets a handler be set."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def holder_note(work_dir: str | Path) -> str | None:
    """A line naming the run that holds ``work_dir`` (for a dry run, which takes no lock)."""
    path = Path(work_dir) / LOCK_NAME
    if not path.exists():
        return None
    holder = read_lock(path)
    if holder is None:
        return f'[podium] note: {path} exists but is empty or damaged'
    reason = stale_reason(holder)
    state = f'stale ({reason}): a run would take it over' if reason else 'a run would refuse'
    return f'[podium] note: {path} is held by {holder.describe()}; {state}'
