"""Crash-moment frames: per-video frame CSVs + frame records -> frame table and video k-folds.

Input: one CSV per video, `<labels_dir>/<video stem>.csv`, one row per frame, with a frame index
column and a type column whose values are `before crush`, `crush moment`, `after crush` (the
`crash` spelling is accepted too). Frame indices may count from 0 or from 1 (found per file from
the contiguous range); they are mapped to the extracted frame files, which count from 1. The
row count must equal the video's real frame count from its extraction record. A partial video
(fewer frames decode than its container declares) may have rows for its declared frames: the
rows of the frames that decoded are kept and the others dropped with a warning.

Outputs (all in `out_dir`, written only when every input is valid):

- `frames.csv`: frame_path,video,frame_id,type,target,fold; `frame_path` relative to the
  rawframes root, `frame_id` 1-based (the file's number), target 1 = crush moment, 0 = other.
- `train_fold{k}.txt`, `val_fold{k}.txt`, `all.txt`: `frame_path target` lines, an MMPretrain
  CustomDataset `ann_file` with `data_prefix` = the rawframes root. Folds are by video: all
  frames of a video share a fold; videos are stratified by whether they contain a crush moment.
- `split.json`: seed, folds, the fold of every video, frame and positive counts per fold.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from custom_modules.utils.atomic import staged_outputs
from custom_modules.utils.validation import Problems, read_table

from .folds import grouped_folds
from .frame_records import FrameRecord, load_frame_records

TYPE_TARGETS = {
    'before crush': 0, 'crush moment': 1, 'after crush': 0,
    'before crash': 0, 'crash moment': 1, 'after crash': 0,
}
TYPE_ORDER = {'before': 0, 'crush': 1, 'crash': 1, 'after': 2}
FRAME_COLS = ('frame', 'frame_id', 'frame_index', 'frame_idx', 'frame_no', 'frame_num', 'index')
TYPE_COLS = ('type', 'label', 'class', 'event')


@dataclass
class CrashFrames:
    """What `prepare_crash` wrote: the frame table, the video folds, the files."""

    out_dir: Path
    frames: pd.DataFrame
    video_folds: dict[str, int]
    files: list[Path] = field(default_factory=list)


def _pick_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...]) -> str | None:
    if wanted is not None:
        return wanted if wanted in columns else None
    lower = {c.lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def read_frame_labels(path: Path, problems: Problems, n_frames: int | str | None,
                      frame_col: str | None = None, type_col: str | None = None, *,
                      frames: str = 'extracted frames', sampled: bool = False,
                      declared: int = 0) -> pd.DataFrame | None:
    """Reads and checks one video's frame CSV; returns frame_id (1-based), type, target.

    Args:
        path: The CSV, one row per frame.
        problems: Collects every problem found (then None is returned).
        n_frames: The video's frame count the rows must match; ``'rows'``: as many frames as
            rows (checked later against the decoded frames); None: only the values are checked
            (the caller reports why the count is unknown) and None is returned.
        frame_col: Frame index column (default: the first of frame, frame_id, ...).
        type_col: Type column (default: the first of type, label, ...).
        frames: What the frames are, in the row-count message (`decoded frames`, ...).
        sampled: The frames were sampled at extraction (said in the row-count message).
        declared: A partial video's declared frame count: up to this many rows are accepted,
            those past ``n_frames`` dropped with a warning (0: the rows must match exactly).
    """
    head = read_table(path, [], problems)
    if head is None or len(head) == 0:  # read_table reported it
        return None
    if n_frames == 'rows':
        n_frames = len(head)
    cols = [c for c in head.columns if c != '_line']
    fcol = _pick_column(cols, frame_col, FRAME_COLS)
    tcol = _pick_column(cols, type_col, TYPE_COLS)
    if fcol is None or tcol is None:
        problems.add(path, 1, f'need a frame index column ({frame_col or "/".join(FRAME_COLS)}) '
                     f'and a type column ({type_col or "/".join(TYPE_COLS)}); found {cols}')
        return None
    df = head
    n0 = len(problems.items)
    problems.add_rows(path, df.loc[(df[fcol] == '') | (df[tcol] == ''), '_line'], 'empty value')
    idx = pd.to_numeric(df[fcol], errors='coerce')
    not_int = (idx.isna() | (idx % 1 != 0) | (idx < 0)) & (df[fcol] != '')
    problems.add_rows(path, df.loc[not_int, '_line'], f'{fcol} is not a frame index (int >= 0)')
    types = df[tcol].str.lower().str.split().str.join(' ')
    unknown = ~types.isin(TYPE_TARGETS.keys()) & (df[tcol] != '')
    for value, line in zip(df.loc[unknown, tcol], df.loc[unknown, '_line']):
        problems.add(path, int(line), f'unknown type {value!r}; expected one of '
                     "'before crush', 'crush moment', 'after crush'")
    if len(problems.items) > n0 or n_frames is None:
        return None
    idx = idx.astype(np.int64)
    dup = idx.duplicated()
    problems.add_rows(path, df.loc[dup, '_line'], 'frame index repeated')
    partial = isinstance(n_frames, int) and n_frames < len(df) <= declared
    if len(df) != n_frames and not partial:
        hint = ' (frames were sampled at extraction)' if sampled else ''
        problems.add(path, None, f'{len(df)} rows but the video has {n_frames} {frames}{hint}')
    elif not dup.any():
        base = int(idx.min())
        if base not in (0, 1) or int(idx.max()) != base + len(df) - 1:
            problems.add(path, None, f'frame indices {base}..{int(idx.max())} are not the '
                         f'contiguous range 0..{len(df) - 1} or 1..{len(df)}')
    if len(problems.items) > n0:
        return None
    out = pd.DataFrame({
        'frame_id': (idx - int(idx.min()) + 1).to_numpy(),
        'type': types.to_numpy(),
        'target': types.map(TYPE_TARGETS).to_numpy(dtype=np.int64),
    }).sort_values('frame_id', kind='stable')
    if partial:
        out = _drop_undecoded(path, out, n_frames, declared, int(idx.min()))
    stage = out['type'].str.split().str[0].map(TYPE_ORDER).to_numpy()
    if (np.diff(stage) < 0).any():
        print(f'warning: {path}: types go backwards in time (before -> crush -> after expected)')
    return out


def _drop_undecoded(path: Path, table: pd.DataFrame, n_frames: int, declared: int,
                    base: int) -> pd.DataFrame:
    """The rows of the frames that decoded, with a warning naming the rows dropped."""
    print(f'warning: {path}: the video is partial (decoded {n_frames} of {declared} declared '
          f'frames): dropped the {len(table) - n_frames} label rows of frames '
          f'{base + n_frames}..{base + len(table) - 1}, kept {n_frames}', flush=True)
    return table[table['frame_id'] <= n_frames]


def read_frame_csv(path: Path, record: FrameRecord | None, problems: Problems,
                   frame_col: str | None = None, type_col: str | None = None,
                   ) -> pd.DataFrame | None:
    """:func:`read_frame_labels` against the video's extraction record (None: not extracted)."""
    sampled = bool(record and record.source_indices)
    declared = record.declared_frames if record and record.missing_frames and not sampled else 0
    table = read_frame_labels(path, problems, record.total_frames if record else None,
                              frame_col, type_col, sampled=sampled, declared=declared)
    if record is None:
        problems.add(path, None, f'video {path.stem!r} has no extracted frames '
                     '(meta.json missing; run tools/data/extract_frames.py first)')
    return table


def prepare_crash(labels_dir: str | Path, rawframes_root: str | Path, out_dir: str | Path, *,
                  folds: int = 5, seed: int = 0, frame_col: str | None = None,
                  type_col: str | None = None) -> CrashFrames:
    """Builds the crash solution's frame table and by-video folds (see the module docstring).

    Args:
        labels_dir: Folder of `<video stem>.csv` files.
        rawframes_root: Root given to extract_frames (frame counts and files come from it).
        out_dir: Where the outputs go (created).
        folds: Number of folds (by video).
        seed: Split seed.
        frame_col: Frame index column (default: the first of frame, frame_id, ...).
        type_col: Type column (default: the first of type, label, ...).

    Raises:
        DataError: Every problem found (nothing is written then).
    """
    labels_dir, root, out_dir = Path(labels_dir), Path(rawframes_root), Path(out_dir)
    problems = Problems()
    csvs = sorted(labels_dir.glob('*.csv')) if labels_dir.is_dir() else []
    if not csvs:
        problems.add(labels_dir, None, 'no per-video CSV files (<video stem>.csv) found')
    elif len(csvs) < folds:
        problems.add(labels_dir, None, f'{len(csvs)} videos cannot make {folds} folds')
    records = load_frame_records(root, [p.stem for p in csvs])
    tables = []
    for path in csvs:
        table = read_frame_csv(path, records.get(path.stem), problems, frame_col, type_col)
        if table is not None:
            rec = records[path.stem]
            table.insert(0, 'video', path.stem)
            table.insert(0, 'frame_path', [rec.frame_path(i) for i in table['frame_id']])
            tables.append(table)
    problems.raise_if_any()

    frames = pd.concat(tables, ignore_index=True)
    has_crash = frames.groupby('video')['target'].transform('max')
    frames['fold'] = grouped_folds(frames['video'], has_crash, folds, seed)
    video_folds = frames.groupby('video')['fold'].first().astype(int).to_dict()
    lines = (frames['frame_path'] + ' ' + frames['target'].astype(str)).to_numpy()
    with staged_outputs(out_dir) as out:
        out.write_csv('frames.csv', frames)
        out.write_lines('all.txt', lines)
        for k in range(folds):
            val = (frames['fold'] == k).to_numpy()
            out.write_lines(f'train_fold{k}.txt', lines[~val])
            out.write_lines(f'val_fold{k}.txt', lines[val])
        per_fold = frames.groupby('fold').agg(frames=('target', 'size'),
                                              positives=('target', 'sum'),
                                              videos=('video', 'nunique'))
        out.write_json('split.json', {
            'seed': seed,
            'folds': folds,
            'method': ('k-fold by video, stratified by has-crush-moment '
                       '(custom_modules/data_prep/folds.py)'),
            'labels_dir': str(labels_dir),
            'rawframes_root': str(root),
            'per_fold': {str(k): {c: int(v) for c, v in row.items()}
                         for k, row in per_fold.to_dict('index').items()},
            'video_folds': video_folds,
        })
        files = [out_dir / n for n in out.names]
    return CrashFrames(out_dir, frames, video_folds, files)
