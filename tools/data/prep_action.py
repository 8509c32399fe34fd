"""Action recognition lists: train.csv + frame records -> k-fold rawframe lists, test list, COCO.

Outputs (all in `out_dir`, written only when every input is valid):

- `classes.txt`: one class per line; the label of a class is its 0-based line number.
- `train_fold{k}.txt`, `val_fold{k}.txt` (k = 0..folds-1), `train_all.txt`: MMAction2
  RawframeDataset lists, one `frame_dir total_frames label` line per video, `frame_dir` = video
  stem (relative to the rawframes root), `total_frames` = the real count from the extraction
  record. `train_fold{k}_oversampled.txt`, `train_all_oversampled.txt`: each line repeated by
  its class multiplier.
- `test.txt` (sample_submission order, label -1 = unknown: score it with a dump, not a metric)
  and `test_ids.txt` (the sample_submission ids, same order: line i of one is line i of the other).
- `split.json`: seed, folds, class counts per fold, and the fold of every video.
- `det_classes.txt`, `det_all.json`, `det_train_fold{k}.json`, `det_val_fold{k}.json` from a boxes
  CSV: COCO detection files whose `file_name` is a frame path relative to the rawframes root;
  their train/val split follows the video folds. Images carry `video` (stem) and `frame_id`.
- `det_test.json` (boxes CSV and sample_submission given): every test frame as a COCO image
  with no annotations, in test-list order, for the detector's inference.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tools.data.common import (
    OutputSet,
    Problems,
    read_class_list,
    read_table,
    report_duplicates,
    staged_outputs,
)
from tools.data.extract_frames import FrameRecord, load_frame_records
from tools.data.folds import fold_summary, stratified_folds

VIDEO_COL, CLASS_COL = 'video_filename', 'class'
BOX_COLS = ('filename', 'categoryid', 'width', 'height', 'xmin', 'ymin', 'xmax', 'ymax')
TEST_LABEL = -1
_FRAME_RE = re.compile(r'^(?P<stem>[^/\\]+)/(?P<name>img_(?P<index>\d+)\.(?P<ext>[A-Za-z]+))$')


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


def _read_train(train_csv: Path, classes: Sequence[str] | str | Path | None,
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
        problems.add(train_csv, int(line), f'class {name!r} is not in the class list')
    df['stem'] = _stems(df[VIDEO_COL])
    return df, class_list


def _read_test(sample_submission: Path, problems: Problems) -> pd.DataFrame | None:
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
    df, class_list = _read_train(train_csv, classes, problems)
    for name in sorted(set(oversample or {}) - set(class_list)):
        problems.add(train_csv, None, f'oversample class {name!r} is not in the class list')
    records: dict[str, FrameRecord] = {}
    if df is not None:
        records = load_frame_records(root, df['stem'])
        _check_videos(df, train_csv, records, root, problems)
        if not problems and len(df) < folds:
            problems.add(train_csv, None, f'{len(df)} videos cannot make {folds} folds')
    test = None
    test_records: dict[str, FrameRecord] = {}
    if sample_submission is not None:
        test = _read_test(Path(sample_submission), problems)
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
            _write_coco(out, det, video_folds, folds)
            if test is not None:
                out.write_json('det_test.json', _coco_frames(test['stem'], test_records, det),
                               indent=None)
        out.write_json('split.json', {
            'seed': seed,
            'folds': folds,
            'method': 'stratified k-fold by class (tools/data/folds.py, numpy default_rng)',
            'train_csv': str(train_csv),
            'rawframes_root': str(root),
            'classes': class_list,
            'oversample': oversample or {},
            'class_counts_per_fold': fold_summary(df[CLASS_COL], fold_of, folds),
            'video_folds': dict(zip(df[VIDEO_COL], fold_of.tolist())),
        })
        files = [out_dir / n for n in out.names]
    return ActionLists(out_dir, class_list, folds, files, video_folds)


@dataclass
class CocoSet:
    """A validated COCO detection set; each image has its `video` stem and `frame_id`."""

    images: list[dict]
    annotations: list[dict]
    categories: list[dict]
    class_names: list[str]


def build_coco(boxes_csv: str | Path, records: dict[str, FrameRecord], *,
               det_classes: Sequence[str] | str | Path | None = None, det_id_start: int = 1,
               clip_boxes: bool = False, problems: Problems | None = None) -> CocoSet | None:
    """Validates a boxes CSV against the frame records and builds COCO images/annotations.

    Box coordinates may be given in the extracted frames' size or in the source video's size
    (the CSV's width/height say which); the latter are scaled to the frames.

    Args:
        boxes_csv: The boxes CSV.
        records: Frame records of the videos boxes may refer to (the train videos).
        det_classes: Class names (file or list), or None for the CSV's ids.
        det_id_start: Category id of the first class.
        clip_boxes: Clip boxes to the image instead of reporting them.
        problems: Collects the problems (then None is returned when there are any); None
            raises them instead.

    Raises:
        DataError: Every bad row (unknown frame, category, size, box outside the image), when
            `problems` is None.
    """
    own = problems is None
    problems = Problems() if own else problems
    n_before = len(problems.items)
    result = _build_coco(Path(boxes_csv), records, det_classes, det_id_start, clip_boxes,
                         problems)
    if own:
        problems.raise_if_any()
    return result if len(problems.items) == n_before else None


def _build_coco(file: Path, records: dict[str, FrameRecord],
                det_classes: Sequence[str] | str | Path | None, det_id_start: int,
                clip_boxes: bool, problems: Problems) -> CocoSet | None:
    n_before = len(problems.items)
    df = read_table(file, BOX_COLS, problems)
    if isinstance(det_classes, (str, Path)):
        names = read_class_list(det_classes, problems)
    else:
        names = list(det_classes) if det_classes is not None else None
    if df is None:
        return None
    num = {c: pd.to_numeric(df[c], errors='coerce') for c in BOX_COLS[1:]}
    bad_num = np.zeros(len(df), dtype=bool)
    for c, values in num.items():
        bad = values.isna() & (df[c] != '')
        problems.add_rows(file, df.loc[bad, '_line'], f'{c} is not a number')
        bad_num |= values.isna().to_numpy()
    cat = num['categoryid']
    if names is None:
        ids = sorted({int(v) for v in cat.dropna() if float(v).is_integer()})
        names = [str(i) for i in ids]
    else:
        ids = list(range(det_id_start, det_id_start + len(names)))
    unknown = ~cat.isin(ids) & ~cat.isna()
    problems.add_rows(file, df.loc[unknown, '_line'],
                      f'categoryid not among the detector class ids {ids[:20]}')

    parts = df['filename'].str.replace('\\', '/', regex=False).str.extract(_FRAME_RE)
    bad_name = parts['stem'].isna() & (df['filename'] != '')
    problems.add_rows(file, df.loc[bad_name, '_line'],
                      "filename is not '<video stem>/img_<n>.<ext>' "
                      '(a frame path relative to the rawframes root)')
    lines = df['_line'].to_numpy()
    stems, names_ = parts['stem'].tolist(), parts['name'].tolist()
    index = pd.to_numeric(parts['index']).fillna(0).astype(np.int64).to_numpy()
    # Per-row record fields, through plain lists (no per-row pandas access: 100k rows in ms).
    size_of = {s: (r.width, r.height, r.source_width, r.source_height, r.total_frames)
               for s, r in records.items()}
    sizes = np.array([size_of.get(s, (0, 0, 0, 0, 0)) for s in stems], dtype=float)
    frame_w, frame_h, src_w, src_h, count = sizes.T if len(sizes) else np.zeros((5, 0))
    for i in np.flatnonzero(~bad_name.to_numpy()):
        stem, name, line = stems[i], names_[i], int(lines[i])
        if stem not in records:
            problems.add(file, line, f'video {stem!r} is not in train.csv (or has no frames)')
        elif not 1 <= index[i] <= count[i]:
            problems.add(file, line, f'frame {index[i]} is outside 1..{count[i]:g} of {stem!r}')
        elif name != records[stem].filename_tmpl.format(index[i]):
            problems.add(file, line, f'frame file is named '
                         f'{records[stem].filename_tmpl.format(index[i])!r} in the rawframes, '
                         f'not {name!r}')

    w, h = num['width'].to_numpy(), num['height'].to_numpy()
    known = frame_w > 0
    as_frame = known & (w == frame_w) & (h == frame_h)
    as_source = known & ~as_frame & (w == src_w) & (h == src_h)
    mismatch = known & ~as_frame & ~as_source & ~bad_num
    for i in np.flatnonzero(mismatch):
        problems.add(file, int(lines[i]), f'width x height {w[i]:g}x{h[i]:g} matches '
                     f'neither the frames ({frame_w[i]:g}x{frame_h[i]:g}) nor the source video '
                     f'({src_w[i]:g}x{src_h[i]:g})')
    x1, y1, x2, y2 = (num[c].to_numpy(dtype=float) for c in ('xmin', 'ymin', 'xmax', 'ymax'))
    if clip_boxes:
        x1, x2 = np.clip(x1, 0, w), np.clip(x2, 0, w)
        y1, y2 = np.clip(y1, 0, h), np.clip(y2, 0, h)
    checked = ~bad_num
    outside = checked & ((x1 < 0) | (y1 < 0) | (x2 > w) | (y2 > h))
    empty = checked & ~outside & ((x2 <= x1) | (y2 <= y1))
    for i in np.flatnonzero(outside):
        problems.add(file, int(lines[i]), f'box ({x1[i]:g}, {y1[i]:g}, {x2[i]:g}, '
                     f'{y2[i]:g}) is outside the {w[i]:g}x{h[i]:g} image (use --clip-boxes)')
    problems.add_rows(file, df.loc[empty, '_line'],
                      'box has no area (xmax <= xmin or ymax <= ymin)')
    if len(problems.items) > n_before:
        return None

    scale_x = np.where(as_source, frame_w / np.where(src_w > 0, src_w, 1), 1.0)
    scale_y = np.where(as_source, frame_h / np.where(src_h > 0, src_h, 1), 1.0)
    x1, x2, y1, y2 = x1 * scale_x, x2 * scale_x, y1 * scale_y, y2 * scale_y
    paths = [f'{s}/{n}' for s, n in zip(stems, names_)]
    first_row: dict[str, int] = {}
    for i, p in enumerate(paths):
        first_row.setdefault(p, i)
    order = sorted(first_row, key=lambda p: (stems[first_row[p]], index[first_row[p]]))
    image_id = {p: i + 1 for i, p in enumerate(order)}
    images = [{'id': image_id[p], 'file_name': p, 'width': int(frame_w[r]),
               'height': int(frame_h[r]), 'video': stems[r], 'frame_id': int(index[r])}
              for p, r in ((p, first_row[p]) for p in order)]
    bw, bh = x2 - x1, y2 - y1
    boxes = np.round(np.stack([x1, y1, bw, bh, bw * bh], 1), 3).tolist()
    cats = cat.astype(int).tolist()
    annotations = [{'id': i + 1, 'image_id': image_id[p], 'category_id': c, 'bbox': b[:4],
                    'area': b[4], 'iscrowd': 0}
                   for i, (p, c, b) in enumerate(zip(paths, cats, boxes))]
    categories = [{'id': i, 'name': n} for i, n in zip(ids, names)]
    return CocoSet(images, annotations, categories, names)


def _coco_subset(det: CocoSet, keep_images: set[int]) -> dict:
    return {
        'info': {'description': 'podium action boxes; file_name relative to the rawframes root'},
        'images': [im for im in det.images if im['id'] in keep_images],
        'annotations': [a for a in det.annotations if a['image_id'] in keep_images],
        'categories': det.categories,
    }


def _coco_frames(stems: Sequence[str], records: dict[str, FrameRecord], det: CocoSet) -> dict:
    """COCO images (no annotations) of every frame of `stems`, for detector inference."""
    images = [{'id': 0, 'file_name': records[s].frame_path(i), 'width': records[s].width,
               'height': records[s].height, 'video': s, 'frame_id': i}
              for s in stems for i in range(1, records[s].total_frames + 1)]
    for n, im in enumerate(images, 1):
        im['id'] = n
    return {'info': {'description': 'podium test frames; file_name relative to the rawframes root'},
            'images': images, 'annotations': [], 'categories': det.categories}


def _write_coco(out: OutputSet, det: CocoSet, video_folds: dict[str, int], folds: int) -> None:
    image_fold = {im['id']: video_folds[im['video']] for im in det.images}
    out.write_lines('det_classes.txt', det.class_names)
    out.write_json('det_all.json', _coco_subset(det, set(image_fold)), indent=None)
    for k in range(folds):
        val = {i for i, f in image_fold.items() if f == k}
        train = set(image_fold) - val
        out.write_json(f'det_train_fold{k}.json', _coco_subset(det, train), indent=None)
        out.write_json(f'det_val_fold{k}.json', _coco_subset(det, val), indent=None)
