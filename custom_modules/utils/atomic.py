"""Atomic outputs: a file or a folder is either the old one or the complete new one.

Every writer here writes beside the target (same folder, so the final rename is atomic), flushes
and fsyncs, gives the result a normal file mode (``0o666`` / ``0o777`` less the umask; ``mkstemp``
would leave it private) and removes its temporary on failure. This module is the only place in
podium that renames into place.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode of a normally created file (``0o666`` less the umask)."""
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """The mode of a normally created folder (``0o777`` less the umask)."""
    return 0o777 & ~_umask()


def temp_path_beside(path: str | Path, suffix: str = '.tmp') -> Path:
    """A new, empty, uniquely named file next to ``path`` (the caller owns and removes it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, file_mode())
    return Path(tmp)


def move_into_place(src: str | Path, dst: str | Path) -> Path:
    """Renames a finished file (or folder) onto ``dst`` in one step; both in one filesystem."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    return dst


class AtomicFile:
    """A file written under a temporary name beside ``path``; ``commit`` moves it into place.

    For streaming writers that keep the file open across calls; :func:`atomic_write` is the
    context-manager form. ``discard`` (or an exception inside ``with``) leaves no file behind.
    """

    def __init__(self, path: str | Path, mode: str = 'w', **open_kwargs: Any) -> None:
        if 'w' not in mode:
            raise ValueError(f'AtomicFile writes a new file; mode {mode!r} has no "w"')
        self.path = Path(path)
        self.tmp = temp_path_beside(self.path, suffix=f'.tmp{self.path.suffix}')
        if 'b' not in mode:
            open_kwargs.setdefault('encoding', 'utf-8')
        try:
            self.file: IO[Any] = open(self.tmp, mode, **open_kwargs)
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise

    def commit(self) -> Path:
        """Flushes, fsyncs and renames the file onto its target."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            return move_into_place(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Closes and deletes the temporary; the target is left as it was."""
        with contextlib.suppress(OSError):
            self.file.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> IO[Any]:
        return self.file

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = 'w', **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Opens a temporary file beside ``path``; it replaces ``path`` only if the block succeeds."""
    target = AtomicFile(path, mode, **open_kwargs)
    try:
        yield target.file
    except BaseException:
        target.discard()
        raise
    target.commit()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_write(path, 'wb') as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_write(path, 'w', newline='') as f:
        f.write(text)
    return Path(path)


def atomic_write_json(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + '\n')


def atomic_write_csv(path: str | Path, rows: Iterable[Sequence[Any]] | Any,
                     header: Sequence[str] | None = None) -> Path:
    """Writes a CSV from rows (with an optional header) or from a pandas DataFrame."""
    if hasattr(rows, 'to_csv'):  # a DataFrame, without importing pandas here
        with atomic_write(path, 'w', newline='') as f:
            rows.to_csv(f, index=False)
        return Path(path)
    with atomic_write(path, 'w', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)
    return Path(path)


def atomic_save_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    """``numpy.savez`` into a temporary file, then renamed onto ``path``."""
    with atomic_write(path, 'wb') as f:
        np.savez(f, **arrays)
    return Path(path)


def lines_text(lines: Iterable[str]) -> str:
    """Joins lines with a trailing newline (an empty list gives an empty file)."""
    lines = list(lines)
    return '\n'.join(lines) + '\n' if lines else ''


def make_staging_dir(beside: str | Path, tag: str = 'staging') -> Path:
    """A new hidden folder next to ``beside`` (same filesystem), with a normal folder mode."""
    beside = Path(beside)
    beside.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f'.{beside.name}.{tag}-', dir=beside.parent))
    os.chmod(stage, folder_mode())
    return stage


def swap_folder(stage: str | Path, out: str | Path) -> Path:
    """Replaces the folder ``out`` by the finished folder ``stage``.

    The old ``out`` is moved aside first and deleted only after the new one is in place; if the
    swap fails the old folder is put back.
    """
    stage, out = Path(stage), Path(out)
    old = None
    try:
        if out.exists():
            old = make_staging_dir(out, 'old') / out.name
            os.replace(out, old)
        os.replace(stage, out)
    except BaseException:
        if old is not None and not out.exists():
            os.replace(old, out)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old.parent, ignore_errors=True)
    return out


@contextlib.contextmanager
def atomic_folder(out: str | Path) -> Iterator[Path]:
    """Yields an empty staging folder; on success it replaces ``out`` whole, else it is deleted."""
    stage = make_staging_dir(out)
    try:
        yield stage
        swap_folder(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


class OutputSet:
    """Files staged in a hidden folder; ``commit`` moves each one into the output folder."""

    def __init__(self, out_dir: Path, stage_dir: Path):
        self.out_dir = out_dir
        self.stage_dir = stage_dir
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        """A path to write ``name`` to; it reaches the output folder only on commit."""
        if name not in self.names:
            self.names.append(name)
        target = self.stage_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text, encoding='utf-8')

    def write_lines(self, name: str, lines: Iterable[str]) -> None:
        self.write_text(name, lines_text(lines))

    def write_json(self, name: str, obj: object, indent: int | None = 2) -> None:
        self.write_text(name, json.dumps(obj, indent=indent, ensure_ascii=False) + '\n')

    def write_csv(self, name: str, df: Any) -> None:
        df.to_csv(self.path(name), index=False)

    def commit(self) -> list[Path]:
        """Moves every staged file into the output folder (each move is an atomic rename)."""
        done = []
        for name in self.names:
            staged = self.stage_dir / name
            with open(staged, 'rb') as f:
                os.fsync(f.fileno())
            os.chmod(staged, file_mode())
            done.append(move_into_place(staged, self.out_dir / name))
        return done


@contextlib.contextmanager
def staged_outputs(out_dir: str | Path) -> Iterator[OutputSet]:
    """Stages outputs in a hidden folder inside ``out_dir`` and moves them in on success.

    On any exception the staged files are deleted and the output folder is left as it was.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stage_dir = Path(tempfile.mkdtemp(prefix='.staging-', dir=out_dir))
    outputs = OutputSet(out_dir, stage_dir)
    try:
        yield outputs
        outputs.commit()
    finally:
        shutil.rmtree(stage_dir, ignore_errors=True)
