"""Stages that skip themselves when their outputs are complete and newer than their inputs."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from custom_modules.utils.atomic import atomic_write_text
from custom_modules.utils.errors import RunFailed


def up_to_date(inputs: Iterable[Path], outputs: Iterable[Path]) -> bool:
    """All outputs exist and none is older than the newest input."""
    outputs = [Path(p) for p in outputs]
    if not outputs or not all(p.exists() for p in outputs):
        return False
    newest_input = max((Path(p).stat().st_mtime for p in inputs if Path(p).exists()), default=0)
    return min(p.stat().st_mtime for p in outputs) >= newest_input


@dataclass
class StageRecord:
    """What happened to one stage, for the summary table."""

    name: str
    status: str  # ran | skipped | failed
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    note: str = ''


class StageFailed(RunFailed, RuntimeError):
    """A stage failed; the message says which one and where its log is (exit status 1)."""


class Pipeline:
    """Runs named stages in order and keeps their records.

    Args:
        force: redo every stage even when its outputs are up to date.
    """

    def __init__(self, force: bool = False) -> None:
        self.force = force
        self.records: list[StageRecord] = []

    def stage(self, name: str, action: Callable[[], dict | None], *,
              inputs: Iterable[Path] = (), outputs: Iterable[Path] = (),
              metrics: Callable[[], dict] | None = None) -> StageRecord:
        """Run ``action`` unless ``outputs`` are up to date; ``action`` may return metrics."""
        inputs, outputs = list(inputs), list(outputs)
        t0 = time.monotonic()
        if not self.force and outputs and up_to_date(inputs, outputs):
            print(f'[podium] {name}: up to date, skipped', flush=True)
            record = StageRecord(name, 'skipped', 0.0, metrics() if metrics else {})
        else:
            print(f'[podium] {name}: running', flush=True)
            try:
                result = action() or {}
            except Exception:
                self.records.append(StageRecord(name, 'failed', time.monotonic() - t0))
                raise
            if metrics:
                result = {**result, **metrics()}
            record = StageRecord(name, 'ran', time.monotonic() - t0, result)
            print(f'[podium] {name}: done in {record.seconds:.1f} s', flush=True)
        self.records.append(record)
        return record

    def summary(self) -> str:
        """The stage table: name, status, time, metrics."""
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


def touch_marker(path: Path, text: str = '') -> None:
    """Write a completion marker atomically (last, after the stage's real outputs)."""
    atomic_write_text(path, text)
