"""Training curves of a work_dir as one PNG: losses and lr per iteration, val metrics per epoch.

MMEngine's LocalVisBackend writes ``<work_dir>/<timestamp>/vis_data/scalars.json``, one JSON
object per line. Train lines carry ``iter`` (and ``epoch`` for epoch-based loops), ``lr``,
``loss`` and the model's other ``loss*`` keys, with ``step`` = iteration; val lines carry the
metrics (``acc/top1``, ``coco/bbox_mAP``...) with ``step`` = epoch (iteration for iter-based
loops). Every run in the work_dir (a resumed run writes a new timestamp folder) is merged in
time order: a later run that trains replaces what earlier runs logged from its first logged
iteration (or epoch) on, so a resume or a restart leaves no abandoned tail on the curves.

Example::

    python tools/analysis/plot_curves.py work_dirs/tsm_r50 [more work_dirs] [--out curves.png]
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.analysis.figures import save_png  # noqa: E402

logger = logging.getLogger(__name__)

SCALARS = 'vis_data/scalars.json'
TIMESTAMP_FORMAT = '%Y%m%d_%H%M%S'  # mmengine's run folder names
BOOKKEEPING = frozenset({'step', 'iter', 'epoch', 'time', 'data_time', 'memory', 'eta'})
Series = list[tuple[int, float]]


class ScalarsError(ValueError):
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


def _bare_key(key: str) -> str:
    """``train/loss`` -> ``loss`` (LogProcessor's ``log_with_hierarchy`` adds the mode prefix)."""
    for prefix in ('train/', 'val/'):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def is_loss_key(key: str) -> bool:
    return _bare_key(key).startswith('loss')


def is_lr_key(key: str) -> bool:
    return _bare_key(key).endswith('lr')  # 'lr', or 'generator.lr' with several optimizers


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


def _group(keys: Iterable[str]) -> dict[str, list[str]]:
    """Val metrics by prefix (``acc/top1``, ``acc/top5`` -> ``acc``): one panel per group."""
    groups: dict[str, list[str]] = {}
    for key in sorted(keys):
        name = _bare_key(key)
        groups.setdefault(name.split('/')[0] if '/' in name else name, []).append(key)
    return groups


def _panels(curves: TrainingCurves) -> list[tuple[str, str, dict[str, Series]]]:
    """(title, x label, series) for each subplot."""
    panels = []
    losses = {k: v for k, v in curves.train.items() if is_loss_key(k)}
    if losses:
        panels.append(('train loss', 'iteration', losses))
    lrs = {k: v for k, v in curves.train.items() if is_lr_key(k)}
    if lrs:
        panels.append(('learning rate', 'iteration', lrs))
    accs = {k: v for k, v in curves.train.items()
            if 'acc' in _bare_key(k) and not is_loss_key(k)}
    if accs:
        panels.append(('train accuracy (per batch)', 'iteration', accs))
    for group, keys in _group(curves.val).items():
        panels.append((f'val {group}', curves.val_axis, {k: curves.val[k] for k in keys}))
    return panels


def draw_curves(curves: TrainingCurves, title: str = ''):
    """A matplotlib figure with one subplot per panel (see the module docstring)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    panels = _panels(curves)
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), squeeze=False)
    for ax, (name, xlabel, series) in zip(axes.flat, panels):
        for key, points in series.items():
            xs, ys = zip(*points)
            few_points = name.startswith('val') and len(xs) <= 50
            ax.plot(xs, ys, marker='o' if few_points else None, markersize=3,
                    linewidth=1.6 if _bare_key(key) == 'loss' else 1.0, label=key)
        values = [y for points in series.values() for _, y in points]
        if name == 'learning rate' and min(values) > 0 and max(values) / min(values) > 100:
            ax.set_yscale('log')
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if len(series) > 1 or name.startswith('val'):
            ax.legend(fontsize='small')
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_training_curves(work_dir: str | Path, out: str | Path | None = None) -> Path:
    """Plot every run of ``work_dir`` into one PNG (default ``<work_dir>/curves.png``).

    Raises:
        ScalarsError: ``work_dir`` has no scalars, or one of its scalars files is corrupt.
    """
    work_dir = Path(work_dir)
    out = Path(out) if out is not None else work_dir / 'curves.png'
    curves = load_curves(work_dir)
    runs = len(curves.sources)
    fig = draw_curves(curves, title=f'{work_dir.resolve().name} ({runs} run'
                      f'{"s" if runs > 1 else ""}{"" if curves.val else ", no validation"})')
    return save_png(fig, out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot the training curves of work_dirs')
    parser.add_argument('work_dirs', nargs='+', help='work_dir(s) of training runs')
    parser.add_argument('--out', help='PNG path (only with one work_dir; default: '
                        '<work_dir>/curves.png)')
    args = parser.parse_args(argv)
    if args.out and len(args.work_dirs) > 1:
        parser.error('--out takes one work_dir; each work_dir gets its own curves.png')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    failed = 0
    for work_dir in args.work_dirs:
        try:
            print(plot_training_curves(work_dir, args.out))
        except ScalarsError as err:
            print(f'error: {err}', file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
