"""The submission's class distribution against the training one: counts and a bar chart.

Training labels come from the flow's lists under ``<data_root>/lists``:
- action, sports: ``train_all.txt`` (label index last on each line) with ``classes.txt``;
- localize: ``annotations.csv`` (``cls``, the class name);
- crash: ``frames.csv`` (``target``: 1 = crash-moment frame); its submission holds per-frame
  probabilities, counted as the crash moment from the manifest's threshold on.
"""
from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..figures import png_bytes, pyplot
from .html import image, missing, para, table
from .source import SUBMISSION_FILE, ReportSource

CRASH_CLASSES = ('crash moment', 'other frames')
LABEL_COLUMNS = ('label', 'class', 'cls')
FLOW_KINDS = {'action': 'classes', 'sports': 'classes', 'localize': 'localize', 'crash': 'crash'}
# Without a known flow, the lists found decide.
LIST_KINDS = (('frames.csv', 'crash'), ('annotations.csv', 'localize'),
              ('train_all.txt', 'classes'))


class NotAvailable(Exception):
    """The distribution cannot be drawn; the message says why (shown in the report)."""


@dataclass
class Distribution:
    """Counts per class of the training labels and of the submission, in class order."""

    classes: list[str]
    train: list[int]
    submission: list[int]
    unit: str  # what is counted: samples, images, frames
    note: str = ''


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.reader(f)
        header = next(reader, [])
        return header, [row for row in reader if row]


def _column(path: Path, names: tuple[str, ...], fallback: int | None = None) -> list[str]:
    """The values of the first column of ``path`` named in ``names`` (else column ``fallback``)."""
    header, rows = _rows(path)
    found = [i for name in names for i, h in enumerate(header) if h.strip() == name]
    index = found[0] if found else fallback
    if index is None or index >= len(header):
        raise NotAvailable(f'{path}: no {" / ".join(names)} column (header: {", ".join(header)})')
    return [row[index].strip() for row in rows if len(row) > index]


def _read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding='utf-8').splitlines()
            if line.strip()]


def _classification(lists: Path, submission: Path) -> Distribution:
    classes = _read_lines(lists / 'classes.txt')
    train = Counter(int(line.split()[-1]) for line in _read_lines(lists / 'train_all.txt'))
    predicted = Counter(_column(submission, LABEL_COLUMNS, fallback=1))
    return _counts(classes, [train.get(i, 0) for i in range(len(classes))], predicted, 'samples')


def _localize(lists: Path, submission: Path) -> Distribution:
    classes = _read_lines(lists / 'classes.txt')
    train = Counter(_column(lists / 'annotations.csv', ('cls', )))
    predicted = Counter(_column(submission, ('label', 'cls')))
    return _counts(classes, [train.get(c, 0) for c in classes], predicted, 'images')


def _crash(lists: Path, submission: Path, threshold: float) -> Distribution:
    targets = Counter(int(float(t)) for t in _column(lists / 'frames.csv', ('target', )))
    preds = [float(p) for p in _column(submission, ('pred', ))]
    crash = sum(p >= threshold for p in preds)
    return Distribution(list(CRASH_CLASSES), [targets.get(1, 0), targets.get(0, 0)],
                        [crash, len(preds) - crash], 'frames',
                        f'submission frames with pred >= {threshold:g} count as the crash moment')


def _counts(classes: list[str], train: list[int], predicted: Counter, unit: str) -> Distribution:
    """Class-list order; predicted names outside the class list are added (and noted)."""
    extra = sorted(set(predicted) - set(classes))
    note = f'not in the class list: {", ".join(extra)}' if extra else ''
    return Distribution([*classes, *extra], [*train, *([0] * len(extra))],
                        [predicted.get(c, 0) for c in [*classes, *extra]], unit, note)


def class_distribution(source: ReportSource) -> Distribution:
    """The counts for this work dir, or :class:`NotAvailable` saying why not."""
    submission = source.work_dir / SUBMISSION_FILE
    if not submission.is_file():
        raise NotAvailable(f'not produced: no {SUBMISSION_FILE} yet '
                           f'(bash inference.sh N {source.solution})')
    if source.data_root is None:
        raise NotAvailable('not produced: the data root is unknown (give --data-root)')
    lists = source.data_root / 'lists'
    kind = FLOW_KINDS.get(source.flow or '') or next(
        (k for name, k in LIST_KINDS if (lists / name).is_file()), None)
    if kind is None:
        raise NotAvailable(f'not produced: no training lists in {lists} (train first)')
    try:
        if kind == 'crash':
            return _crash(lists, submission, source.threshold)
        return _localize(lists, submission) if kind == 'localize' else \
            _classification(lists, submission)
    except (OSError, ValueError, IndexError) as err:
        raise NotAvailable(f'not produced: the labels could not be read: {err}') from err


def _share(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def draw_distribution(dist: Distribution) -> bytes:
    """Grouped bars of each class's share in training and in the submission, as PNG bytes."""
    import numpy as np

    plt = pyplot()
    n = len(dist.classes)
    fig, ax = plt.subplots(figsize=(min(24.0, max(6.0, 0.35 * n + 3)), 4.5))
    x = np.arange(n)
    train, sub = _share(dist.train), _share(dist.submission)
    ax.bar(x - 0.2, train, 0.4, label=f'training ({sum(dist.train)})')
    ax.bar(x + 0.2, sub, 0.4, label=f'submission ({sum(dist.submission)})')
    ax.set_ylim(0, 1.3 * max([*train, *sub, 0.01]))  # room for the legend above the bars
    ax.set_xticks(x, dist.classes, rotation=45 if n > 6 else 0, ha='right' if n > 6 else 'center',
                  fontsize=max(5.0, min(10.0, 240 / max(n, 1))))
    ax.set_ylabel(f'share of {dist.unit}')
    ax.legend(loc='upper right', ncols=2)
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    return png_bytes(fig, dpi=90)


def distribution_section(source: ReportSource) -> str:
    """The chart and the table, or why there are none."""
    try:
        dist = class_distribution(source)
    except NotAvailable as err:
        return missing(str(err))
    train, sub = _share(dist.train), _share(dist.submission)
    rows = [[c, t, f'{ts:.1%}', s, f'{ss:.1%}', f'{ss - ts:+.1%}']
            for c, t, ts, s, ss in zip(dist.classes, dist.train, train, dist.submission, sub)]
    rows.append(['total', sum(dist.train), '100%', sum(dist.submission), '100%', ''])
    parts = [image(draw_distribution(dist), f'class shares: training vs submission '
                                            f'({dist.unit})'),
             table(['class', f'training {dist.unit}', 'training %', 'submission',
                    'submission %', 'difference'], rows,
                   row_classes=[''] * len(dist.classes) + ['total'], name='distribution')]
    if dist.note:
        parts.insert(0, para(dist.note))
    return ''.join(parts)
