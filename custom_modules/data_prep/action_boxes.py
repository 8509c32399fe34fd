"""Frame boxes for the action solution's detector: a boxes CSV -> validated COCO detection sets.

The CSV has `filename,categoryid,width,height,xmin,ymin,xmax,ymax`, `filename` a frame path
relative to the rawframes root (`<video stem>/img_00001.jpg`). Images carry `video` (stem) and
`frame_id`; the train/val split follows the video folds (see
:func:`custom_modules.data_prep.action_lists.prepare_action`).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from custom_modules.utils.atomic import OutputSet
from custom_modules.utils.validation import Problems, read_class_list, read_table

from .frame_records import FrameRecord

BOX_COLS = ('filename', 'categoryid', 'width', 'height', 'xmin', 'ymin', 'xmax', 'ymax')
_FRAME_RE = re.compile(r'^(?P<stem>[^/\\]+)/(?P<name>img_(?P<index>\d+)\.(?P<ext>[A-Za-z]+))$')


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


def coco_frames(stems: Sequence[str], records: dict[str, FrameRecord], det: CocoSet) -> dict:
    """COCO images (no annotations) of every frame of `stems`, for detector inference."""
    images = [{'id': 0, 'file_name': records[s].frame_path(i), 'width': records[s].width,
               'height': records[s].height, 'video': s, 'frame_id': i}
              for s in stems for i in range(1, records[s].total_frames + 1)]
    for n, im in enumerate(images, 1):
        im['id'] = n
    return {'info': {'description': 'podium test frames; file_name relative to the rawframes root'},
            'images': images, 'annotations': [], 'categories': det.categories}


def write_coco(out: OutputSet, det: CocoSet, video_folds: dict[str, int], folds: int) -> None:
    """Stages `det_classes.txt`, `det_all.json` and the per-fold train/val COCO files."""
    image_fold = {im['id']: video_folds[im['video']] for im in det.images}
    out.write_lines('det_classes.txt', det.class_names)
    out.write_json('det_all.json', _coco_subset(det, set(image_fold)), indent=None)
    for k in range(folds):
        val = {i for i, f in image_fold.items() if f == k}
        train = set(image_fold) - val
        out.write_json(f'det_train_fold{k}.json', _coco_subset(det, train), indent=None)
        out.write_json(f'det_val_fold{k}.json', _coco_subset(det, val), indent=None)
