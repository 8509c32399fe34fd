"""Stages that skip themselves when their outputs are complete and newer than their inputs."""
from __future__ import annotations

import contextlib
import io
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from custom_modules.utils.atomic import atomic_write_json, atomic_write_text
from custom_modules.utils.errors import RunFailed


def up_to_date(inputs: Iterable[Path], outputs: Iterable[Path]) -> bool:
    """All outputs exist and none is older than the newest input."""
    return staleness(inputs, outputs) is None


def staleness(inputs: Iterable[Path], outputs: Iterable[Path]) -> str | None:
    """Why a stage with these files must run (None: its outputs are up to date)."""
    outputs = [Path(p) for p in outputs]
    if not outputs:
        return 'it has no outputs to compare, so it always runs'
    missing = [p for p in outputs if not p.exists()]
    if missing:
        return f'{missing[0]} does not exist yet'
    oldest = min(p.stat().st_mtime for p in outputs)
    newer = [p for p in map(Path, inputs) if p.exists() and p.stat().st_mtime > oldest]
    if newer:
        return f'{newer[0]} changed after its outputs were made'
    return None


@dataclass
class StageRecord:
    """What happened to one stage, for the summary table."""

    name: str
    status: str  # ran | skipped | failed | interrupted; in a dry run: will run | will skip
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    note: str = ''


def _plain(value: object) -> object:
    """A metric as a JSON value: numbers (numpy's too) as numbers, NaN/inf as None, else text."""
    if hasattr(value, 'item') and callable(value.item):
        try:
            value = value.item()  # numpy scalar -> python number
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, (bool, int, float, str)) or value is None else str(value)


class StageFailed(RunFailed, RuntimeError):
    """A stage failed; the message says which one and where its log is (exit status 1)."""


class Pipeline:
    """Runs named stages in order and keeps their records.

    Args:
        force: redo every stage even when its outputs are up to date.
        dry_run: run nothing: each stage says whether it would run and why, and what it would
            launch (its ``plan``).
    """

    def __init__(self, force: bool = False, dry_run: bool = False) -> None:
        self.force = force
        self.dry_run = dry_run
        self.records: list[StageRecord] = []

    def stage(self, name: str, action: Callable[[], dict | None], *,
              inputs: Iterable[Path] = (), outputs: Iterable[Path] = (),
              metrics: Callable[[], dict] | None = None,
              plan: Callable[[], list[str]] | None = None) -> StageRecord:
        """Run ``action`` unless ``outputs`` are up to date; ``action`` may return metrics.

        ``plan`` gives the lines a dry run prints for the stage (the commands it launches).
        """
        inputs, outputs = list(inputs), list(outputs)
        if self.dry_run:
            return self._plan(name, inputs, outputs, plan)
        t0 = time.monotonic()
        if not self.force and outputs and up_to_date(inputs, outputs):
            print(f'[podium] {name}: up to date, skipped', flush=True)
            record = StageRecord(name, 'skipped', 0.0, metrics() if metrics else {})
        else:
            print(f'[podium] {name}: running', flush=True)
            try:
                result = action() or {}
            except BaseException as err:  # Ctrl-C or a kill too: the table shows where it stopped
                status = 'failed' if isinstance(err, Exception) else 'interrupted'
                self.records.append(StageRecord(name, status, time.monotonic() - t0))
                raise
            if metrics:
                result = {**result, **metrics()}
            record = StageRecord(name, 'ran', time.monotonic() - t0, result)
            print(f'[podium] {name}: done in {record.seconds:.1f} s', flush=True)
        self.records.append(record)
        return record

    def _plan(self, name: str, inputs: list[Path], outputs: list[Path],
              plan: Callable[[], list[str]] | None) -> StageRecord:
        reason = 'FORCE: every stage runs again' if self.force else staleness(inputs, outputs)
        status = 'will skip' if reason is None else 'will run'
        record = StageRecord(name, status, 0.0, note=reason or 'outputs are up to date')
        print(f'[podium] {name}: {status}, {record.note}', flush=True)
        if status == 'will run' and plan is not None:
            for line in plan():
                print(f'    {line}', flush=True)
        self.records.append(record)
        return record

    def save(self, path: Path) -> Path:
        """The records as JSON, a list of ``{name, status, seconds, metrics, note}`` (atomic):
        ``<work_dir>/stages_<mode>.json``, which the run report shows."""
        return atomic_write_json(path, [
            {'name': r.name, 'status': r.status, 'seconds': round(r.seconds, 3),
             'metrics': {str(k): _plain(v) for k, v in r.metrics.items()}, 'note': r.note}
            for r in self.records])

    def summary(self) -> str:
        """The stage table: name, status, time, metrics."""
        if self.dry_run:
            rows = [(r.name, r.status, r.note) for r in self.records]
            widths = [max((len(row[i]) for row in rows), default=0) for i in range(2)]
            return '\n'.join(f'{a:<{widths[0]}}  {b:<{widths[1]}}  {c}' for a, b, c in rows)
        rows = [('stage', 'status', 'time', 'metrics')]
        for r in self.records:
            metrics = '  '.join(f'{k}={v:.4g}' if isinstance(v, float) else f'{k}={v}'
                                for k, v in r.metrics.items())
            rows.append((r.name, r.status, f'{r.seconds:.1f} s', metrics or r.note))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f'{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}'.rstrip()
                 for a, b, c, d in rows]
        lines.insert(1, '-' * max(len(line) for line in lines))
        return '\n'.join(lines)


class _Tee(io.TextIOBase):
    """Writes to the console and a log file alike; to the console only once the log is closed
    (a logger made during the run, mmengine's, keeps this stream after the run)."""

    def __init__(self, console: TextIO, log: TextIO) -> None:
        self.console, self.log = console, log

    def write(self, text: str) -> int:
        self.console.write(text)
        if not self.log.closed:
            self.log.write(text)
        return len(text)

    def flush(self) -> None:
        self.console.flush()
        if not self.log.closed:
            self.log.flush()


@contextlib.contextmanager
def console_log(work_dir: Path, mode: str, dry_run: bool = False) -> Iterator[Path | None]:
    """Keep what the runner prints in ``<work_dir>/logs/<mode>[-dry-run]-<time>.log``.

    The run's own record (the trainings keep their full logs beside their checkpoints); an
    error that ends the run is written there too. A work_dir that cannot be written gets no
    log (the preflight reports why).
    """
    stamp = time.strftime('%Y%m%d-%H%M%S')
    path = Path(work_dir) / 'logs' / f'{mode}{"-dry-run" if dry_run else ""}-{stamp}.log'
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = open(path, 'a', encoding='utf-8')
    except OSError:
        yield None
        return
    console = sys.stdout
    sys.stdout = _Tee(console, log)
    try:
        yield path
    except BaseException as err:
        log.write(f'\n{type(err).__name__}: {err}\n')
        raise
    finally:
        sys.stdout = console
        log.close()


def touch_marker(path: Path, text: str = '') -> None:
    """Write a completion marker atomically (last, after the stage's real outputs)."""
    atomic_write_text(path, text)
