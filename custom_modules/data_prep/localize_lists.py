"""Single-object localisation: `<id>.jpg` + `<id>.txt` -> one table with normalised boxes, k-fold.

Each `<id>.txt` holds one line `cls xmin ymin xmax ymax` (pixels of `<id>.jpg`). `cls` is a class
name (matched against the class list) or, without a class list, any token (classes are then the
sorted unique tokens, numerically if all are integers).

Outputs (all in `out_dir`, written only when every input is valid):

- `annotations.csv`: image_id,file,width,height,cls,label,xmin,ymin,xmax,ymax,
  xmin_n,ymin_n,xmax_n,ymax_n,fold; `file` relative to the data folder, `label` = index in
  `classes.txt`, `*_n` = coordinates divided by the image width/height (0..1).
- `classes.txt`, `split.json` (seed, folds, class counts per fold).
- `test.csv` (image_id,file,width,height) when a test folder is given.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from custom_modules.utils.atomic import staged_outputs
from custom_modules.utils.image_check import report_unreadable
from custom_modules.utils.images import image_size, is_image_name
from custom_modules.utils.validation import NA_TOKENS, Problems, read_class_list

from .folds import fold_summary, not_in_class_list, report_rare_classes, stratified_folds

BOX_FIELDS = ('xmin', 'ymin', 'xmax', 'ymax')


@dataclass
class LocalizeTable:
    """What `prepare_localize` wrote."""

    out_dir: Path
    classes: list[str]
    table: pd.DataFrame
    files: list[Path] = field(default_factory=list)


def _pair_files(folder: Path, problems: Problems, need_txt: bool) -> list[tuple[str, Path]]:
    """(id, image path) of every image in `folder`; reports images and boxes without a partner."""
    if not folder.is_dir():
        problems.add(folder, None, 'folder not found')
        return []
    images: dict[str, Path] = {}
    txts = set()
    for p in sorted(folder.iterdir()):
        if is_image_name(p.name):
            if p.stem in images:
                problems.add(p, None, f'two images with id {p.stem!r} ({images[p.stem].name})')
            images[p.stem] = p
        elif p.suffix.lower() == '.txt':
            txts.add(p.stem)
    if need_txt:
        for stem in sorted(set(images) - txts):
            problems.add(images[stem], None, f'no box file {stem}.txt')
        for stem in sorted(txts - set(images)):
            problems.add(folder / f'{stem}.txt', None, 'no image with this id')
    if not images:
        problems.add(folder, None, 'no images found')
    return sorted(images.items())


def _read_box(path: Path, problems: Problems) -> tuple[str, list[float]] | None:
    try:
        lines = [(i, ln.split()) for i, ln in
                 enumerate(path.read_text(encoding='utf-8').splitlines(), 1) if ln.strip()]
    except (OSError, UnicodeDecodeError) as err:
        problems.add(path, None, f'unreadable ({err})')
        return None
    if len(lines) != 1:
        problems.add(path, None, f'expected one line "cls xmin ymin xmax ymax", found {len(lines)}')
        return None
    line, tokens = lines[0]
    if len(tokens) != 5:
        problems.add(path, line, f'expected 5 values "cls xmin ymin xmax ymax", got {len(tokens)}')
        return None
    if tokens[0].lower() in NA_TOKENS:
        problems.add(path, line, f'missing class ({tokens[0]!r})')
        return None
    try:
        values = [float(t) for t in tokens[1:]]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        problems.add(path, line, f'box values are not finite numbers: {tokens[1:]}')
        return None
    return tokens[0], values


def _sorted_classes(tokens: set[str]) -> list[str]:
    if tokens and all(t.lstrip('-').isdigit() for t in tokens):
        return sorted(tokens, key=int)
    return sorted(tokens)


def prepare_localize(data_dir: str | Path, out_dir: str | Path, *,
                     classes: Sequence[str] | str | Path | None = None, folds: int = 5,
                     seed: int = 0, test_dir: str | Path | None = None,
                     clip_boxes: bool = False, decode: bool = True,
                     decode_cache: str | Path | None = None,
                     check_only: bool = False) -> LocalizeTable:
    """Builds the localisation table (see the module docstring for the files).

    Args:
        data_dir: Folder of `<id>.jpg` + `<id>.txt` pairs.
        out_dir: Where the outputs go (created).
        classes: Class list file, list of names, or None (sorted unique `cls` tokens).
        folds: Number of folds, stratified by class.
        seed: Split seed.
        test_dir: Folder of test images (no boxes) for `test.csv`.
        clip_boxes: Clip boxes to the image instead of reporting them.
        decode: Fully decode every image, in parallel (default; False reads headers only).
        decode_cache: JSON cache of decode results by path, size and mtime (None: none).
        check_only: Only check the inputs (a preflight): write nothing; the result has the
            class list and no files.

    Raises:
        DataError: Every problem found (nothing is written then).
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    problems = Problems()
    rows = []
    readable: list[tuple[Path, Path, None]] = []  # decoded all at once, below
    for image_id, img in _pair_files(data_dir, problems, need_txt=True):
        txt = data_dir / f'{image_id}.txt'
        size = image_size(img)
        if isinstance(size, str):
            problems.add(img, None, size)
        else:
            readable.append((img, img, None))
        box = _read_box(txt, problems) if txt.is_file() else None
        if box is None or isinstance(size, str):
            continue
        (w, h), (cls, (x1, y1, x2, y2)) = size, box
        if clip_boxes:
            x1, x2 = min(max(x1, 0), w), min(max(x2, 0), w)
            y1, y2 = min(max(y1, 0), h), min(max(y2, 0), h)
        if x1 < 0 or y1 < 0 or x2 > w or y2 > h:
            problems.add(txt, 1, f'box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) is outside the {w}x{h} '
                         f'image {img.name} (use --clip-boxes)')
        elif x2 <= x1 or y2 <= y1:
            problems.add(txt, 1, 'box has no area (xmax <= xmin or ymax <= ymin)')
        rows.append((image_id, img.name, w, h, cls, x1, y1, x2, y2))
    table = pd.DataFrame(rows, columns=['image_id', 'file', 'width', 'height', 'cls', *BOX_FIELDS])
    if isinstance(classes, (str, Path)):
        class_list = read_class_list(classes, problems)
    elif classes is not None:
        class_list = list(classes)
    else:
        class_list = _sorted_classes(set(table['cls']))
    for image_id, cls in zip(table['image_id'], table['cls']):
        if cls not in class_list:
            problems.add(data_dir / f'{image_id}.txt', 1, not_in_class_list(cls, class_list))
    if len(table) and len(table) < folds:
        problems.add(data_dir, None, f'{len(table)} images cannot make {folds} folds')
    else:
        report_rare_classes(table['cls'], [(data_dir / f'{i}.txt', 1) for i in table['image_id']],
                            folds, problems, skip=set(table['cls']) - set(class_list))
    test = None
    if test_dir is not None:
        test_rows = []
        for image_id, img in _pair_files(Path(test_dir), problems, need_txt=False):
            size = image_size(img)
            if isinstance(size, str):
                problems.add(img, None, size)
            else:
                test_rows.append((image_id, img.name, *size))
                readable.append((img, img, None))
        test = pd.DataFrame(test_rows, columns=['image_id', 'file', 'width', 'height'])
    report_unreadable(readable, problems, decode, decode_cache)
    problems.raise_if_any()
    if check_only:
        return LocalizeTable(out_dir, class_list, table, [])

    table['label'] = table['cls'].map({c: i for i, c in enumerate(class_list)}).astype(int)
    for name, size in zip(BOX_FIELDS, ('width', 'height', 'width', 'height')):
        table[f'{name}_n'] = (table[name] / table[size]).round(6)
    table['fold'] = stratified_folds(table['cls'], folds, seed)
    cols = ['image_id', 'file', 'width', 'height', 'cls', 'label', *BOX_FIELDS,
            *(f'{n}_n' for n in BOX_FIELDS), 'fold']
    table = table[cols]
    with staged_outputs(out_dir) as out:
        out.write_csv('annotations.csv', table)
        out.write_lines('classes.txt', class_list)
        if test is not None:
            out.write_csv('test.csv', test)
        out.write_json('split.json', {
            'seed': seed,
            'folds': folds,
            'method': 'stratified k-fold by class (custom_modules/data_prep/folds.py)',
            'data_dir': str(data_dir),
            'classes': class_list,
            'class_counts_per_fold': fold_summary(table['cls'], table['fold'].to_numpy(), folds),
        })
        files = [out_dir / n for n in out.names]
    return LocalizeTable(out_dir, class_list, table, files)

