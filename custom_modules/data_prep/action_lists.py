"""Action recognition lists: train.csv + frame records -> k-fold rawframe lists, test list, COCO.

Outputs (all in `out_dir`, written only when every input is valid):

- `classes.txt`: one class per line; the label of a class is its 0-based line number.
- `train_fold{k}.txt`, `val_fold{k}.txt` (k = 0..folds-1), `train_all.txt`: MMAction2
  RawframeDataset lists, one `frame_dir total_frames label` line per video, `frame_dir` = video
  stem (relative to the rawframes root), `total_frames` = the real count from the extraction
  record. `train_fold{k}_oversampled.txt`, `train_all_oversampled.txt`: each line repeated by
  its class multiplier.
- `train_ids.txt`: the train.csv `video_filename` of each `train_all.txt` line, same order (the
  ids of the out-of-fold predictions).
- `test.txt` (sample_submission order, label -1 = unknown: score it with a dump, not a metric)
  and `test_ids.txt` (the sample_submission ids, same order: line i of one is line i of the other).
- `split.json`: seed, folds, class counts per fold, and the fold of every video.
- `det_classes.txt`, `det_all.json`, `det_train_fold{k}.json`, `det_val_fold{k}.json` from a boxes
  CSV: COCO detection files whose `file_name` is a frame path relative to the rawframes root;
  their train/val split follows the video folds. Images carry `video` (stem) and `frame_id`.
- `det_test.json` (boxes CSV and sample_submission given): every test frame as a COCO image
  with no annotations, in test-list order, for the detector's inference.
- `det_oof_fold{k}.json` (boxes CSV given): every frame of the fold-k validation videos, made as
  `det_test.json` is, for the fold-k detector's out-of-fold predictions (the rules judged on OOF).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from custom_modules.utils.atomic import staged_outputs
from custom_modules.utils.validation import Problems, read_class_list, read_table, report_duplicates

from .action_boxes import build_coco, coco_frames, write_coco
from .folds import fold_summary, not_in_class_list, report_rare_classes, stratified_folds
from .frame_records import FrameRecord, load_frame_records

VIDEO_COL, CLASS_COL = 'video_filename', 'class'
TEST_LABEL = -1


@dataclass
class ActionLists:
    """What `prepare_action` wrote.

    Args:
        out_dir: Where the files are.
        classes: Class names; index = label.
        folds: Number of folds.
        files: Every file written.
        video_folds: Video stem -> fold.
    """

    out_dir: Path
    classes: list[str]
    folds: int
    files: list[Path] = field(default_factory=list)
    video_folds: dict[str, int] = field(default_factory=dict)


def _stems(names: pd.Series) -> pd.Series:
    """Video stems of `video_filename` values (basename without extension)."""
    base = names.str.replace('\\', '/', regex=False).str.rsplit('/', n=1).str[-1]
    return base.str.replace(r'\.[^.]*$', '', regex=True)


def _check_videos(df: pd.DataFrame, file: Path, records: dict[str, FrameRecord], root: Path,
                  problems: Problems) -> None:
    """Reports stems that are unusable in a list line or were not extracted."""
    bad = df['stem'].str.contains(r'\s', regex=True) | (df['stem'] == '')
    problems.add_rows(file, df.loc[bad, '_line'], 'video stem is empty or has whitespace '
                      '(RawframeDataset splits list lines on whitespace)')
    report_duplicates(df.loc[~bad], 'stem', file, problems)
    missing = ~df['stem'].isin(records.keys()) & ~bad
    for stem, line in zip(df.loc[missing, 'stem'], df.loc[missing, '_line']):
        problems.add(file, int(line), f'video {stem!r} has no frames: {root / stem}/meta.json '
                     'missing (run tools/data/extract_frames.py first)')
    frames = df['stem'].map(lambda s: records[s].total_frames if s in records else 1)
    problems.add_rows(file, df.loc[frames < 1, '_line'], 'extraction record has 0 frames')


def read_train_csv(train_csv: Path, classes: Sequence[str] | str | Path | None,
                problems: Problems) -> tuple[pd.DataFrame | None, list[str]]:
    df = read_table(train_csv, [VIDEO_COL, CLASS_COL], problems)
    if isinstance(classes, (str, Path)):
        class_list = read_class_list(classes, problems)
    elif classes is not None:
        class_list = list(classes)
    elif df is not None:
        class_list = sorted(set(df[CLASS_COL]) - {''})
    else:
        class_list = []
    if df is None:
        return None, class_list
    report_duplicates(df, VIDEO_COL, train_csv, problems)
    known = set(class_list)
    unknown = ~df[CLASS_COL].isin(known) & (df[CLASS_COL] != '')
    for name, line in zip(df.loc[unknown, CLASS_COL], df.loc[unknown, '_line']):
        problems.add(train_csv, int(line), not_in_class_list(name, class_list))
    df['stem'] = _stems(df[VIDEO_COL])
    return df, class_list


def read_test_csv(sample_submission: Path, problems: Problems) -> pd.DataFrame | None:
    """sample_submission's ``video_filename`` column (checked, no duplicates) with stems."""
    df = read_table(sample_submission, [VIDEO_COL], problems)
    if df is not None:
        report_duplicates(df, VIDEO_COL, sample_submission, problems)
        df['stem'] = _stems(df[VIDEO_COL])
    return df


def _rawframe_lines(stems: Sequence[str], records: dict[str, FrameRecord],
                    labels: Sequence[int]) -> list[str]:
    return [f'{s} {records[s].total_frames} {lab}' for s, lab in zip(stems, labels)]


def _repeat(lines: Sequence[str], times: Sequence[int]) -> list[str]:
    return [line for line, n in zip(lines, times) for _ in range(n)]


def prepare_action(train_csv: str | Path, rawframes_root: str | Path, out_dir: str | Path, *,
                   classes: Sequence[str] | str | Path | None = None, folds: int = 5,
                   seed: int = 0, oversample: dict[str, int] | None = None,
                   sample_submission: str | Path | None = None,
                   test_rawframes_root: str | Path | None = None,
                   boxes_csv: str | Path | None = None,
                   det_classes: Sequence[str] | str | Path | None = None,
                   det_id_start: int = 1, clip_boxes: bool = False) -> ActionLists:
    """Builds the action solution's lists (see the module docstring for the files).

    Args:
        train_csv: CSV with `video_filename,class`.
        rawframes_root: Root given to extract_frames; frame counts come from its records.
        out_dir: Where the lists go (created).
        classes: Class list file (one per line), a list of names, or None for the CSV's sorted
            unique classes.
        folds: Number of stratified folds.
        seed: Split seed (recorded in split.json).
        oversample: Class -> multiplier for the oversampled train lists (others x1).
        sample_submission: CSV with `video_filename`; gives the test list and its order.
        test_rawframes_root: Rawframes root of the test videos (default: `rawframes_root`).
        boxes_csv: `filename,categoryid,width,height,xmin,ymin,xmax,ymax`, filename =
            `<stem>/img_00001.jpg`; gives the COCO files.
        det_classes: Detector class names (file or list); category id = det_id_start + index.
            None: the CSV's sorted ids, named by their id.
        det_id_start: Category id of the first detector class.
        clip_boxes: Clip boxes to the image instead of reporting them.

    Raises:
        DataError: Every problem found in the inputs (nothing is written then).
    """
    train_csv, root, out_dir = Path(train_csv), Path(rawframes_root), Path(out_dir)
    problems = Problems()
    df, class_list = read_train_csv(train_csv, classes, problems)
    for name in sorted(set(oversample or {}) - set(class_list)):
        problems.add(train_csv, None, not_in_class_list(name, class_list, 'oversample class'))
    records: dict[str, FrameRecord] = {}
    if df is not None:
        records = load_frame_records(root, df['stem'])
        _check_videos(df, train_csv, records, root, problems)
        if not problems and len(df) < folds:
            problems.add(train_csv, None, f'{len(df)} videos cannot make {folds} folds')
        elif len(df) >= folds:
            report_rare_classes(df[CLASS_COL], [(train_csv, int(n)) for n in df['_line']], folds,
                                problems, skip=set(df[CLASS_COL]) - set(class_list))
    test = None
    test_records: dict[str, FrameRecord] = {}
    if sample_submission is not None:
        test = read_test_csv(Path(sample_submission), problems)
        if test is not None:
            test_root = Path(test_rawframes_root) if test_rawframes_root else root
            test_records = load_frame_records(test_root, test['stem'])
            _check_videos(test, Path(sample_submission), test_records, test_root, problems)
    det = None
    if boxes_csv is not None and df is not None:
        det = build_coco(boxes_csv, records, det_classes=det_classes, det_id_start=det_id_start,
                         clip_boxes=clip_boxes, problems=problems)
    problems.raise_if_any()

    labels = df[CLASS_COL].map({c: i for i, c in enumerate(class_list)}).to_numpy()
    fold_of = stratified_folds(labels, folds, seed)
    stems = df['stem'].tolist()
    video_folds = dict(zip(stems, fold_of.tolist()))

    lines = np.array(_rawframe_lines(stems, records, labels.tolist()), dtype=object)
    mult = np.array([(oversample or {}).get(c, 1) for c in df[CLASS_COL]], dtype=np.int64)
    with staged_outputs(out_dir) as out:
        out.write_lines('classes.txt', class_list)
        out.write_lines('train_all.txt', lines)
        out.write_lines('train_ids.txt', df[VIDEO_COL])
        if oversample:
            out.write_lines('train_all_oversampled.txt', _repeat(lines, mult))
        for k in range(folds):
            train = fold_of != k
            out.write_lines(f'train_fold{k}.txt', lines[train])
            out.write_lines(f'val_fold{k}.txt', lines[~train])
            if oversample:
                out.write_lines(f'train_fold{k}_oversampled.txt',
                                _repeat(lines[train], mult[train]))
        if test is not None:
            test_labels = [TEST_LABEL] * len(test)
            out.write_lines('test.txt', _rawframe_lines(test['stem'], test_records, test_labels))
            out.write_lines('test_ids.txt', test[VIDEO_COL])
        if det is not None:
            write_coco(out, det, video_folds, folds)
            if test is not None:
                out.write_json('det_test.json', coco_frames(test['stem'], test_records, det),
                               indent=None)
            for k in range(folds):  # the fold-k detector never trained on these videos
                val_stems = [s for s, f in zip(stems, fold_of.tolist()) if f == k]
                out.write_json(f'det_oof_fold{k}.json', coco_frames(val_stems, records, det),
                               indent=None)
        out.write_json('split.json', {
            'seed': seed,
            'folds': folds,
            'method': ('stratified k-fold by class (custom_modules/data_prep/folds.py, '
                       'numpy default_rng)'),
            'train_csv': str(train_csv),
            'rawframes_root': str(root),
            'classes': class_list,
            'oversample': oversample or {},
            'class_counts_per_fold': fold_summary(df[CLASS_COL], fold_of, folds),
            'video_folds': dict(zip(df[VIDEO_COL], fold_of.tolist())),
        })
        files = [out_dir / n for n in out.names]
    return ActionLists(out_dir, class_list, folds, files, video_folds)
