"""Training scalars of a work_dir: every run's ``scalars.json`` merged into per-key series.

MMEngine's LocalVisBackend writes ``<work_dir>/<timestamp>/vis_data/scalars.json``, one JSON
object per line. Train lines carry ``iter`` (and ``epoch`` for epoch-based loops), ``lr``,
``loss`` and the model's other ``loss*`` keys, with ``step`` = iteration; val lines carry the
metrics (``acc/top1``, ``coco/bbox_mAP``...) with ``step`` = epoch (iteration for iter-based
loops). Every run in the work_dir (a resumed run writes a new timestamp folder) is merged in
time order: a later run that trains replaces what earlier runs logged from its first logged
iteration (or epoch) on, so a resume or a restart leaves no abandoned tail on the curves.
"""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from custom_modules.utils.errors import PodiumError

logger = logging.getLogger(__name__)

SCALARS = 'vis_data/scalars.json'
TIMESTAMP_FORMAT = '%Y%m%d_%H%M%S'  # mmengine's run folder names
BOOKKEEPING = frozenset({'step', 'iter', 'epoch', 'time', 'data_time', 'memory', 'eta'})
Series = list[tuple[int, float]]


class ScalarsError(PodiumError, ValueError):
    """A work_dir has no usable scalars, or a scalars file cannot be read."""


@dataclass
class TrainingCurves:
    """Merged scalars of every run in a work_dir.

    Args:
        train: train key -> ``[(iteration, value)]``, sorted by iteration.
        val: val metric -> ``[(x, value)]``, sorted by x.
        val_axis: what x is for ``val``: ``'epoch'``, ``'iteration'`` or ``'step'``.
        sources: the scalars files merged, in time order.
    """

    train: dict[str, Series] = field(default_factory=dict)
    val: dict[str, Series] = field(default_factory=dict)
    val_axis: str = 'epoch'
    sources: list[Path] = field(default_factory=list)


def bare_key(key: str) -> str:
    """``train/loss`` -> ``loss`` (LogProcessor's ``log_with_hierarchy`` adds the mode prefix)."""
    for prefix in ('train/', 'val/'):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def is_loss_key(key: str) -> bool:
    return bare_key(key).startswith('loss')


def is_lr_key(key: str) -> bool:
    return bare_key(key).endswith('lr')  # 'lr', or 'generator.lr' with several optimizers


def _run_time(scalars: Path) -> tuple[datetime, str]:
    """When the run that wrote ``scalars`` started: its folder name, else the file's mtime."""
    run_dir = scalars.parents[1]
    try:
        return datetime.strptime(run_dir.name, TIMESTAMP_FORMAT), run_dir.name
    except ValueError:
        return datetime.fromtimestamp(scalars.stat().st_mtime), run_dir.name


def find_scalar_files(work_dir: str | Path) -> list[Path]:
    """Every ``<run>/vis_data/scalars.json`` of ``work_dir``, oldest run first."""
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        raise ScalarsError(f'{work_dir}: not a directory')
    files = [p for p in work_dir.glob(f'*/{SCALARS}') if p.is_file() and p.stat().st_size > 0]
    if not files:
        raise ScalarsError(f'{work_dir}: no training scalars (no non-empty */{SCALARS}); is it '
                           'the work_dir of a training run with a LocalVisBackend?')
    return sorted(files, key=_run_time)


def read_scalars(path: str | Path) -> list[dict]:
    """The records of one scalars file.

    A run killed while writing leaves a cut last line: it is skipped with a warning. Any other
    bad line is an error naming the file and line.
    """
    path = Path(path)
    lines = path.read_text(encoding='utf-8').splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or 'step' not in record:
                raise ValueError('not a JSON object with a "step"')
        except ValueError as err:
            if number == len(lines):
                logger.warning('%s:%d: skipping the unreadable last line (%s)', path, number, err)
                continue
            raise ScalarsError(f'{path}:{number}: unreadable scalars line ({err})') from err
        records.append(record)
    return records


def _numeric(record: Mapping) -> dict[str, float]:
    return {k: float(v) for k, v in record.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def merge_runs(runs: Iterable[Sequence[Mapping]],
               sources: Sequence[Path] = ()) -> TrainingCurves:
    """Merge the records of several runs, oldest first, into per-key series.

    A record with ``iter`` is a train record, keyed by its ``step`` (the iteration); any other
    is a val record, keyed by its ``step``. A run with train records supersedes the earlier runs'
    train records from its first iteration (and, epoch-based, its first epoch) on, and their val
    records from that epoch (or iteration) on. Within what remains, the latest value per step wins.
    """
    train: dict[int, dict[str, float]] = {}
    val: dict[int, dict[str, float]] = {}
    for records in runs:
        run_train = [r for r in records if 'iter' in r]
        run_val = [r for r in records if 'iter' not in r]
        if run_train:
            first_step = min(int(r['step']) for r in run_train)
            epochs = [int(r['epoch']) for r in run_train if 'epoch' in r]
            first_epoch = min(epochs) if epochs else None
            train = {s: r for s, r in train.items() if s < first_step and (
                first_epoch is None or r.get('epoch', -math.inf) < first_epoch)}
            val_cut = first_epoch if first_epoch is not None else first_step
            val = {s: r for s, r in val.items() if s < val_cut}
        for target, subset in ((train, run_train), (val, run_val)):
            for record in subset:
                step = int(record['step'])
                target[step] = {**target.get(step, {}), **_numeric(record)}

    def series(table: dict[int, dict[str, float]], skip: frozenset) -> dict[str, Series]:
        out: dict[str, Series] = {}
        for step in sorted(table):
            for key, value in table[step].items():
                if key not in skip:
                    out.setdefault(key, []).append((step, value))
        return out

    if any('epoch' in r for r in train.values()):
        val_axis = 'epoch'
    else:
        val_axis = 'iteration' if train else 'step'
    return TrainingCurves(train=series(train, BOOKKEEPING), val=series(val, BOOKKEEPING),
                          val_axis=val_axis, sources=list(sources))


def load_curves(work_dir: str | Path) -> TrainingCurves:
    """Find, read and merge every run's scalars in ``work_dir``."""
    files = find_scalar_files(work_dir)
    curves = merge_runs((read_scalars(f) for f in files), sources=files)
    if not curves.train and not curves.val:
        raise ScalarsError(f'{work_dir}: the scalars files hold no values: '
                           + ', '.join(map(str, files)))
    return curves
