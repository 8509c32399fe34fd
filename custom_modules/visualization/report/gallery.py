"""The figures the runs left in a work dir, embedded: curves, confusion matrices, galleries.

Looked for in ``<work_dir>/*.png`` (inference: e.g. localize's test galleries),
``<work_dir>/<run>/*.png`` and ``<work_dir>/<run>/fold<k>/*.png`` (each training's
``curves.png``; action and sports: ``confusion_matrix.png``; localize: ``top{k}_best.png`` /
``top{k}_worst.png``).
"""
from __future__ import annotations

import re
from pathlib import Path

from .html import heading, image, missing
from .source import ReportSource

FIRST = ('curves.png', 'confusion_matrix.png')  # shown first in each group, in this order
MAX_EMBED_BYTES = 8 << 20  # a larger PNG is named, not embedded (the page would not load)
SKIP_DIRS = frozenset({'logs', 'annotated'})


def _order(path: Path) -> tuple[int, str]:
    return (FIRST.index(path.name) if path.name in FIRST else len(FIRST), path.name)


def _natural(path: Path) -> tuple:
    """``fold2`` before ``fold10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r'(\d+)', path.name))


def _pngs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.glob('*.png') if p.is_file()), key=_order)


def figure_groups(work_dir: Path) -> list[tuple[str, list[Path]]]:
    """``(title, PNGs)`` per folder that holds any: the work dir, each run, each run's fold."""
    groups = []
    if pngs := _pngs(work_dir):
        groups.append(('work dir', pngs))
    runs = [d for d in sorted(work_dir.iterdir(), key=_natural)
            if d.is_dir() and d.name not in SKIP_DIRS and not d.name.startswith('.')] \
        if work_dir.is_dir() else []
    for run in runs:
        if pngs := _pngs(run):
            groups.append((f'run {run.name}', pngs))
        for fold in sorted((d for d in run.glob('fold*') if d.is_dir()), key=_natural):
            if pngs := _pngs(fold):
                groups.append((f'run {run.name}, {fold.name}', pngs))
    return groups


def figures_section(source: ReportSource) -> str:
    """Every group's figures, each with its path under the work dir as the caption."""
    groups = figure_groups(source.work_dir)
    if not groups:
        return missing('not produced: no figures in the work dir yet (each training writes '
                       f'curves.png: bash train.sh N {source.solution})')
    parts = []
    for title, pngs in groups:
        figures = []
        for png in pngs:
            caption = png.relative_to(source.work_dir).as_posix()
            size = png.stat().st_size
            if size > MAX_EMBED_BYTES:
                figures.append(missing(f'{caption}: {size / 2**20:.0f} MiB, too large to embed'))
            else:
                figures.append(image(png.read_bytes(), caption))
        parts.append(heading(title) + '<div class="figures">' + ''.join(figures) + '</div>')
    return ''.join(parts)
