"""Checks of the machine before a run: devices, rendezvous port, output folder, free disk.

Each check adds what is wrong to a :class:`~custom_modules.utils.validation.Problems` (so a
preflight reports everything at once) and writes nothing: a dry run must leave no trace.
"""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from custom_modules.utils.validation import Problems

GIB = 1024 ** 3


def visible_gpus() -> int:
    """CUDA devices this process can use (``CUDA_VISIBLE_DEVICES`` applies); 0 without CUDA."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_processes(gpus: int, problems: Problems, visible: int | None = None,
                    where: str = 'N (GPUs)') -> None:
    """``gpus`` processes per node fit the devices: at most one process per visible GPU.

    Without CUDA, N means CPU processes over gloo and any N >= 0 is accepted.
    """
    visible = visible_gpus() if visible is None else visible
    if gpus < 0:
        problems.add(where, None, f'must be 0 or more, got {gpus}')
    elif visible and gpus > visible:
        problems.add(where, None, f'{gpus} processes asked for but {visible} GPU(s) are visible '
                     '(CUDA_VISIBLE_DEVICES): use N <= ' + str(visible))


def port_free(port: int, host: str = '127.0.0.1') -> bool:
    """True when nothing listens on ``host:port`` and this process may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_port(port: int, problems: Problems, host: str = '127.0.0.1') -> None:
    """The torchrun rendezvous port is free on this node (only the master binds it)."""
    if not 0 < port < 65536:
        problems.add('PORT', None, f'{port} is not a TCP port (1..65535)')
    elif not port_free(port, host):
        problems.add('PORT', None, f'port {port} is in use (another training?): set PORT to a '
                     'free one, e.g. PORT=29533 bash train.sh ...')


def existing_ancestor(path: str | Path) -> Path:
    """``path`` itself, or the nearest parent folder that exists (where it would be created)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable(folder: str | Path, problems: Problems) -> None:
    """``folder`` exists as a writable folder, or can be created (nothing is created here)."""
    folder = Path(folder)
    base = existing_ancestor(folder)
    if not base.is_dir():
        problems.add(folder, None, f'cannot be created: {base} is a file, not a folder')
    elif not os.access(base, os.W_OK | os.X_OK):
        what = 'is not writable' if base == folder.absolute() else f'cannot be created ({base} ' \
            'is not writable)'
        problems.add(folder, None, f'{what}: choose another WORK_DIR or fix the permissions')


def human_bytes(n: float) -> str:
    """``2.0 TiB``, ``1.5 GiB``, ``340.0 MiB``, ``12.0 KiB``: sizes in messages."""
    for unit, size in (('TiB', 1024 * GIB), ('GiB', GIB), ('MiB', 1024 ** 2), ('KiB', 1024)):
        if n >= size:
            return f'{n / size:.1f} {unit}'
    return f'{int(n)} B'


def free_bytes(folder: str | Path) -> int:
    """Free bytes on the file system that holds (or will hold) ``folder``."""
    return shutil.disk_usage(existing_ancestor(folder)).free


def check_free_disk(folder: str | Path, need: int, what: str, problems: Problems,
                    margin: float = 1.2) -> None:
    """At least ``need`` x ``margin`` bytes are free where ``folder`` lives."""
    free = free_bytes(folder)
    if need * margin > free:
        problems.add(folder, None, f'{what} needs about {human_bytes(need)} but only '
                     f'{human_bytes(free)} are free there: free some space or move the data')
