"""Checkpoint loading under torch >= 2.6 with a deliberate trust policy.

torch >= 2.6 loads with ``weights_only=True`` by default, while mmengine 0.10.7 calls
``torch.load`` without the argument, so its own Runner checkpoints (which pickle
``HistoryBuffer`` objects and bound methods through ``builtins.getattr``) fail to resume.
Allowing every file a full unpickle would let any downloaded ``.pth`` run code, so:

* a checkpoint written by a podium run on this machine is recorded (by content digest) in a
  ledger when it is saved, and loads with a full unpickle: resume, ``--resume auto`` and
  ``load_from`` of a work_dir checkpoint all work;
* any other local file (pretrained weights, ``load_from`` elsewhere) loads with
  ``weights_only=True`` and numpy's types allow-listed;
* a file that needs arbitrary unpickling is refused with :class:`UntrustedCheckpointError`,
  naming the file, the globals it asks for and the opt-in (``--trust-checkpoint FILE`` on
  ``tools/train.py``/``tools/test.py``, or ``trusted_checkpoints = [FILE]`` in the config).

A program that launches the tools (the solution runner) sets ``PODIUM_TRUST_HINT`` to its own
opt-in, which the refusal names instead. ``builtins.getattr`` is never allow-listed and
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is never set.
The ledger lives in ``$PODIUM_CACHE/trusted_checkpoints`` (default ``~/.cache/podium``); on a
multi-node cluster point ``PODIUM_CACHE`` at a shared folder so every node sees it.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import os.path as osp
import pickle
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import torch

from ..utils.atomic import atomic_write_text
from ..utils.errors import PodiumError

TRUST_HINT_ENV = 'PODIUM_TRUST_HINT'  # the opt-in a refusal names, set by a launching program
_explicitly_trusted: set[str] = set()
_digest_cache: dict[tuple[str, int, int], str] = {}


class UntrustedCheckpointError(PodiumError, pickle.UnpicklingError):
    """Raised for a checkpoint that needs a full unpickle but is not trusted."""


def cache_root() -> Path:
    """Podium's per-user cache (wheels, trust ledger): ``$PODIUM_CACHE`` or ``~/.cache/podium``."""
    default = Path(os.environ.get('XDG_CACHE_HOME', Path.home() / '.cache')) / 'podium'
    return Path(os.environ.get('PODIUM_CACHE', default))


def ledger_dir() -> Path:
    return cache_root() / 'trusted_checkpoints'


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's content, cached per (path, size, mtime) within the process."""
    path = osp.realpath(path)
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _digest_cache:
        sha = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 22), b''):
                sha.update(block)
        _digest_cache[key] = sha.hexdigest()
    return _digest_cache[key]


def record_trusted(path: str | os.PathLike) -> None:
    """Record a checkpoint this process just wrote as trusted (atomic, safe across runs)."""
    ledger = ledger_dir()
    ledger.mkdir(parents=True, exist_ok=True)
    entry = ledger / file_digest(path)
    atomic_write_text(entry, osp.realpath(path) + '\n')


def trust_file(path: str | os.PathLike) -> None:
    """Explicit opt-in: allow a full unpickle of this one file in this process."""
    _explicitly_trusted.add(osp.realpath(osp.expanduser(str(path))))


def is_trusted(path: str | os.PathLike) -> bool:
    """True for files opted in explicitly or written by a podium run (ledger)."""
    real = osp.realpath(path)
    if real in _explicitly_trusted:
        return True
    ledger = ledger_dir()
    return ledger.is_dir() and (ledger / file_digest(real)).is_file()  # hash only if needed


def numpy_safe_globals() -> list[Any]:
    """numpy types found in checkpoints, allow-listed for ``weights_only`` loading.

    Includes the numpy 1.x module names (``numpy.core``) that older files were pickled with.
    """
    import numpy as np
    from numpy import _core

    reconstruct = _core.multiarray._reconstruct
    scalar = _core.multiarray.scalar
    dtype_classes = [getattr(np.dtypes, name) for name in dir(np.dtypes)
                     if name.endswith('DType') and isinstance(getattr(np.dtypes, name), type)]
    return [
        reconstruct, (reconstruct, 'numpy.core.multiarray._reconstruct'),
        scalar, (scalar, 'numpy.core.multiarray.scalar'),
        np.ndarray, np.dtype, *dtype_classes,
        (codecs.encode, '_codecs.encode'),  # numpy scalars pickle their bytes through it
    ]


def _unsafe_globals(filename: str) -> list[str]:
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # legacy (non-zip) files cannot be inspected without unpickling
        return []


def refusal(filename: str, unsafe: list[str], detail: str = '') -> UntrustedCheckpointError:
    """The error for a file that needs a full unpickle: what it asks for and how to opt in
    (``$PODIUM_TRUST_HINT`` when a launching program set one, else the tools' flag)."""
    asks = f' It asks for: {", ".join(unsafe)}.' if unsafe else ''
    hint = os.environ.get(TRUST_HINT_ENV) or (
        f'pass `--trust-checkpoint {filename}` to tools/train.py or tools/test.py, or add it to '
        '`trusted_checkpoints = [...]` in the config')
    return UntrustedCheckpointError(
        f'Refusing to unpickle checkpoint {filename}: it was not written by a podium run on '
        f'this machine and it needs more than weights-only loading (arbitrary unpickling can '
        f'run code).{asks} If you trust this file, {hint}.'
        + (f' Details: {detail}' if detail else ''))


def check_loadable(filename: str | os.PathLike) -> None:
    """Refuse, without loading it, a file the policy would refuse (the globals its pickle asks
    for, beyond weights and numpy types). Cheap (reads the pickle, not the tensors): for checks
    before a run. Files that cannot be inspected (legacy, non-zip) pass; loading still decides."""
    filename = osp.expanduser(str(filename))
    if is_trusted(filename):
        return
    with torch.serialization.safe_globals(numpy_safe_globals()):
        unsafe = _unsafe_globals(filename)
    if unsafe:
        raise refusal(filename, unsafe)


def load_checkpoint_file(filename: str, map_location: Any = None) -> Any:
    """mmengine loader for local paths that applies the trust policy (see module docstring)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if is_trusted(filename):
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(numpy_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise refusal(filename, _unsafe_globals(filename), str(err).splitlines()[0]) from None


def _recording_save(save: Callable) -> Callable:
    """Wrap mmengine's ``save_checkpoint`` so every local file it writes is recorded as trusted."""
    if getattr(save, '_podium_records_trust', False):
        return save

    @wraps(save)
    def save_checkpoint(checkpoint, filename, *args, **kwargs):
        result = save(checkpoint, filename, *args, **kwargs)
        if isinstance(filename, (str, os.PathLike)) and osp.isfile(filename):
            record_trusted(filename)
        return result

    save_checkpoint._podium_records_trust = True
    return save_checkpoint


def install_checkpoint_policy() -> None:
    """Route mmengine's local checkpoint loading and saving through the trust policy."""
    import mmengine.runner.checkpoint as mm_checkpoint
    import mmengine.runner.runner as mm_runner

    mm_checkpoint.CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file,
                                                   force=True)
    mm_checkpoint.save_checkpoint = _recording_save(mm_checkpoint.save_checkpoint)
    mm_runner.save_checkpoint = _recording_save(mm_runner.save_checkpoint)
