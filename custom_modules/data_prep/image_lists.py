"""Image classification lists: `image_id,label` CSV (or class folders) -> holdout or k-fold lists.

Inputs: a CSV with `image_id,label` plus the image folder (`image_id` is a file name, with or
without its extension), or a folder with one sub-folder per class.

Outputs (all in `out_dir`, written only when every input is valid):

- `classes.txt`: one class per line; label = 0-based line number (pass it as `classes=` or
  `metainfo=dict(classes=...)`).
- `train.txt`/`val.txt` (holdout) or `train_fold{k}.txt`/`val_fold{k}.txt` (k-fold), and
  `train_all.txt`: `relative/path.jpg label` lines, MMPretrain CustomDataset's `ann_file` format
  with `data_prefix` = the image folder.
- `train_ids.txt`: the id of each `train_all.txt` line (the CSV's `image_id`; a class folder's
  `class/file` path), same order: out-of-fold predictions are keyed by it.
- `test.txt` (`path -1`, -1 = unknown) and `test_ids.txt` (the test CSV's ids, same order).
- `split.json`: seed, method, class counts per split, the split of every image.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from custom_modules.utils.atomic import staged_outputs
from custom_modules.utils.image_check import report_unreadable
from custom_modules.utils.images import index_images, list_images
from custom_modules.utils.validation import Problems, read_class_list, read_table, report_duplicates

from .folds import fold_summary, holdout, not_in_class_list, report_rare_classes, stratified_folds

ID_COL, LABEL_COL = 'image_id', 'label'
TEST_LABEL = -1


@dataclass
class ImageLists:
    """What `prepare_images` wrote."""

    out_dir: Path
    classes: list[str]
    samples: pd.DataFrame  # path, label (name), target (index), split
    files: list[Path] = field(default_factory=list)


def _resolve(ids: pd.Series, lines: pd.Series, folder: Path, index: dict[str, str], file: Path,
             problems: Problems, to_check: list) -> pd.Series:
    """Relative image paths for `ids`; reports missing and ambiguous images, and adds the found
    ones to `to_check` (image, file, line) for one check of them all."""
    paths = ids.map(lambda i: index.get(i, None))
    missing = paths.isna() & (ids != '')
    for image_id, line in zip(ids[missing], lines[missing]):
        problems.add(file, int(line), f'image {image_id!r} not found in {folder}')
    ambiguous = paths == ''
    for image_id, line in zip(ids[ambiguous], lines[ambiguous]):
        problems.add(file, int(line), f'image id {image_id!r} matches several files; '
                     'give the extension')
    ok = paths.notna() & ~ambiguous
    to_check.extend((folder / rel, file, int(line)) for rel, line in zip(paths[ok], lines[ok]))
    return paths


def _from_folder(folder: Path, problems: Problems, to_check: list) -> pd.DataFrame:
    """Samples of a class-per-sub-folder layout: path `class/file`, label `class`."""
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir()) if folder.is_dir() else []
    if not classes:
        problems.add(folder, None, 'no class sub-folders found')
    rows = [(f'{cls}/{rel}', cls) for cls in classes for rel in list_images(folder / cls)]
    to_check.extend((folder / path, folder / path, None) for path, _ in rows)
    return pd.DataFrame(rows, columns=['path', LABEL_COL])


def prepare_images(out_dir: str | Path, *, train_csv: str | Path | None = None,
                   image_dir: str | Path | None = None, folder: str | Path | None = None,
                   classes: Sequence[str] | str | Path | None = None,
                   valid_size: float | None = None, folds: int | None = None, seed: int = 0,
                   test_csv: str | Path | None = None, test_dir: str | Path | None = None,
                   decode: bool = True, decode_cache: str | Path | None = None,
                   check_only: bool = False) -> ImageLists:
    """Builds classification lists (see the module docstring for the files).

    Args:
        out_dir: Where the outputs go (created).
        train_csv: `image_id,label` CSV (with `image_dir`), or None when `folder` is given.
        image_dir: Folder of the CSV's images.
        folder: Folder with one sub-folder per class (instead of a CSV).
        classes: Class list file, list of names, or None (sorted unique labels).
        valid_size: Holdout fraction per class; exclusive with `folds`.
        folds: Number of stratified folds; exclusive with `valid_size`.
        seed: Split seed.
        test_csv: CSV with `image_id` for the test list (images in `test_dir`).
        test_dir: Folder of the test images.
        decode: Fully decode every image, in parallel (default; False reads headers only,
            which misses truncated data). :mod:`custom_modules.utils.image_check`.
        decode_cache: JSON cache of decode results by path, size and mtime (None: none).
        check_only: Only check the inputs (a preflight): write nothing; the result has the
            class list and no files.

    Raises:
        DataError: Every problem found (nothing is written then).
    """
    if (valid_size is None) == (folds is None):
        raise ValueError('give exactly one of valid_size and folds')
    if (train_csv is None) == (folder is None):
        raise ValueError('give exactly one of train_csv (with image_dir) and folder')
    out_dir = Path(out_dir)
    problems = Problems()
    to_check: list[tuple[Path, Path, int | None]] = []
    if train_csv is not None:
        train_csv, image_dir = Path(train_csv), Path(image_dir or '.')
        src = train_csv
        df = read_table(train_csv, [ID_COL, LABEL_COL], problems)
        if df is not None:
            report_duplicates(df, ID_COL, train_csv, problems)
            index = index_images(image_dir) if image_dir.is_dir() else {}
            if not image_dir.is_dir():
                problems.add(image_dir, None, 'image folder not found')
            df['path'] = _resolve(df[ID_COL], df['_line'], image_dir, index, train_csv,
                                  problems, to_check)
    else:
        src = Path(folder)
        df = _from_folder(src, problems, to_check)
        df['_line'] = None
    if isinstance(classes, (str, Path)):
        class_list = read_class_list(classes, problems)
    elif classes is not None:
        class_list = list(classes)
    else:
        class_list = sorted(set(df[LABEL_COL]) - {''}) if df is not None else []
    if df is not None:
        unknown = ~df[LABEL_COL].isin(set(class_list)) & (df[LABEL_COL] != '')
        for name, line in zip(df.loc[unknown, LABEL_COL], df.loc[unknown, '_line']):
            problems.add(src, None if line is None else int(line),
                         not_in_class_list(name, class_list, 'label'))
        if folds is not None and len(df) < folds:
            problems.add(src, None, f'{len(df)} images cannot make {folds} folds')
        elif folds is not None:
            where = ([(src, int(line)) for line in df['_line']] if train_csv is not None
                     else [(src / path, None) for path in df['path']])
            report_rare_classes(df[LABEL_COL], where, folds, problems,
                                skip=set(df[LABEL_COL]) - set(class_list))
    test = None
    if test_csv is not None:
        test_csv, test_dir = Path(test_csv), Path(test_dir or '.')
        test = read_table(test_csv, [ID_COL], problems)
        if test is not None:
            report_duplicates(test, ID_COL, test_csv, problems)
            test_index = index_images(test_dir) if test_dir.is_dir() else {}
            test['path'] = _resolve(test[ID_COL], test['_line'], test_dir, test_index, test_csv,
                                    problems, to_check)
    report_unreadable(to_check, problems, decode, decode_cache)
    problems.raise_if_any()
    if check_only:
        return ImageLists(out_dir, class_list, pd.DataFrame(), [])

    df['target'] = df[LABEL_COL].map({c: i for i, c in enumerate(class_list)})
    lines = (df['path'] + ' ' + df['target'].astype(str)).to_numpy()
    with staged_outputs(out_dir) as out:
        out.write_lines('classes.txt', class_list)
        out.write_lines('train_all.txt', lines)
        out.write_lines('train_ids.txt', df[ID_COL] if ID_COL in df else df['path'])
        if valid_size is not None:
            is_val = holdout(df[LABEL_COL], valid_size, seed)
            df['split'] = np.where(is_val, 'val', 'train')
            out.write_lines('train.txt', lines[~is_val])
            out.write_lines('val.txt', lines[is_val])
            counts = fold_summary(df[LABEL_COL], is_val.astype(np.int64), 2)
            method = f'stratified holdout, valid_size={valid_size}'
        else:
            fold_of = stratified_folds(df[LABEL_COL], folds, seed)
            df['split'] = fold_of
            for k in range(folds):
                out.write_lines(f'train_fold{k}.txt', lines[fold_of != k])
                out.write_lines(f'val_fold{k}.txt', lines[fold_of == k])
            counts = fold_summary(df[LABEL_COL], fold_of, folds)
            method = f'stratified {folds}-fold'
        if test is not None:
            out.write_lines('test.txt', test['path'] + f' {TEST_LABEL}')
            out.write_lines('test_ids.txt', test[ID_COL])
        out.write_json('split.json', {
            'seed': seed,
            'method': method + ' (custom_modules/data_prep/folds.py); counts are [train, val] '
                      'or per fold',
            'source': str(src),
            'classes': class_list,
            'class_counts': counts,
            'splits': dict(zip(df['path'], df['split'].tolist())),
        })
        files = [out_dir / n for n in out.names]
    samples = df[['path', LABEL_COL, 'target', 'split']].reset_index(drop=True)
    return ImageLists(out_dir, class_list, samples, files)
