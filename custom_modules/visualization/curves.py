"""Training curves of a work_dir as one PNG: losses and lr per iteration, val metrics per epoch.

The scalars of every run in the work_dir are merged first (:mod:`.scalars`), so a resumed run
draws one continuous curve.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from .figures import pyplot, save_png
from .scalars import Series, TrainingCurves, bare_key, is_loss_key, is_lr_key, load_curves


def _group(keys: Iterable[str]) -> dict[str, list[str]]:
    """Val metrics by prefix (``acc/top1``, ``acc/top5`` -> ``acc``): one panel per group."""
    groups: dict[str, list[str]] = {}
    for key in sorted(keys):
        name = bare_key(key)
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
            if 'acc' in bare_key(k) and not is_loss_key(k)}
    if accs:
        panels.append(('train accuracy (per batch)', 'iteration', accs))
    for group, keys in _group(curves.val).items():
        panels.append((f'val {group}', curves.val_axis, {k: curves.val[k] for k in keys}))
    return panels


def draw_curves(curves: TrainingCurves, title: str = ''):
    """A matplotlib figure: train loss, lr and accuracy per iteration; one panel per val group."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    panels = _panels(curves)
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), squeeze=False)
    for ax, (name, xlabel, series) in zip(axes.flat, panels):
        for key, points in series.items():
            xs, ys = zip(*points)
            few_points = name.startswith('val') and len(xs) <= 50
            ax.plot(xs, ys, marker='o' if few_points else None, markersize=3,
                    linewidth=1.6 if bare_key(key) == 'loss' else 1.0, label=key)
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
