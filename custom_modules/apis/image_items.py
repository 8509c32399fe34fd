"""The images a prediction runs over, each with its output id (and label, when known).

Ids and order follow the input: a CSV's ``image_id`` column (with or without extension, resolved
as :func:`custom_modules.utils.images.index_images` does), a list file's lines, or a folder's
images sorted by relative path. Every missing file is reported at once, with its file and line.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..utils.images import index_images, list_images
from ..utils.validation import Problems, read_table, report_duplicates


@dataclass
class ImageItem:
    """One image: its output id, its file and (for training data) its class name."""

    image_id: str
    path: Path
    label: str | None = None


def items_from_csv(csv_file: str | Path, image_dir: str | Path,
                   label_column: str | None = None) -> list[ImageItem]:
    """The CSV's rows in order (test.csv: ``image_id``; train.csv: ``image_id,label``).

    Args:
        csv_file: CSV with an ``image_id`` column (and ``label_column`` if given).
        image_dir: Folder the ids are found in (extension optional).
        label_column: Column giving each image's class name.
    """
    problems = Problems()
    df = read_table(csv_file, ['image_id'] + ([label_column] if label_column else []), problems)
    image_dir = Path(image_dir)
    if not image_dir.is_dir():
        problems.add(image_dir, None, 'image folder not found')
    problems.raise_if_any()
    report_duplicates(df, 'image_id', csv_file, problems)
    index = index_images(image_dir)
    labels = df[label_column] if label_column else [None] * len(df)
    items = []
    for image_id, label, line in zip(df['image_id'], labels, df['_line']):
        rel = index.get(image_id)
        if rel is None:
            problems.add(csv_file, int(line), f'image {image_id!r} not found in {image_dir}')
        elif rel == '':
            problems.add(csv_file, int(line), f'image id {image_id!r} matches several files; '
                         'give the extension')
        else:
            items.append(ImageItem(image_id, image_dir / rel, label))
    problems.raise_if_any()
    return items


def _list_lines(list_file: str | Path, problems: Problems) -> list[tuple[int, str, str]]:
    """``(line number, path, last field)`` of every non-blank line of an MMPretrain list."""
    list_file = Path(list_file)
    if not list_file.is_file():
        problems.add(list_file, None, 'file not found')
        problems.raise_if_any()
    out = []
    for number, line in enumerate(list_file.read_text(encoding='utf-8').splitlines(), 1):
        if line.strip():
            rel, _, last = line.strip().rpartition(' ')
            out.append((number, rel, last))
    return out


def _check_files(list_file: str | Path, root: Path, entries: Sequence[tuple[int, str]],
                 problems: Problems) -> None:
    for number, rel in entries:
        if not (root / rel).is_file():
            problems.add(list_file, number, f'image {root / rel} not found')


def items_from_list(list_file: str | Path, image_dir: str | Path | None,
                    ids_file: str | Path | None = None) -> list[ImageItem]:
    """An MMPretrain list (``path label`` or ``path``) in its order; ids from ``ids_file``
    (one per line, e.g. prep_images' ``test_ids.txt``), else the paths."""
    problems = Problems()
    root = Path(image_dir) if image_dir else Path('.')
    entries = []
    for number, rel, last in _list_lines(list_file, problems):
        has_label = rel and last.lstrip('-').isdigit()
        entries.append((number, rel if has_label else f'{rel} {last}'.strip()))
    ids = [rel for _, rel in entries]
    if ids_file is not None:
        ids = [line.strip() for line in Path(ids_file).read_text(encoding='utf-8').splitlines()
               if line.strip()]
        if len(ids) != len(entries):
            problems.add(ids_file, None, f'{len(ids)} ids for the {len(entries)} images of '
                         f'{list_file}')
    _check_files(list_file, root, entries, problems)
    problems.raise_if_any()
    return [ImageItem(i, root / rel) for i, (_, rel) in zip(ids, entries)]


def labelled_from_list(list_file: str | Path, image_dir: str | Path,
                       classes: Sequence[str]) -> list[ImageItem]:
    """An MMPretrain ``path label`` list (label = index into ``classes``); id = the path."""
    problems = Problems()
    entries, items = [], []
    for number, rel, label in _list_lines(list_file, problems):
        if not label.isdigit() or int(label) >= len(classes):
            problems.add(list_file, number, f'label {label!r} is not a class index '
                         f'0..{len(classes) - 1}')
            continue
        entries.append((number, rel))
        items.append(ImageItem(rel, Path(image_dir) / rel, classes[int(label)]))
    _check_files(list_file, Path(image_dir), entries, problems)
    problems.raise_if_any()
    return items


def _no_images(folder: Path, what: str) -> None:
    problems = Problems()
    problems.add(folder, None, f'no {what} found' if folder.is_dir() else 'folder not found')
    problems.raise_if_any()


def items_from_folder(folder: str | Path) -> list[ImageItem]:
    """Every image under ``folder``, sorted by relative path (the id)."""
    folder = Path(folder)
    rels = list_images(folder) if folder.is_dir() else []
    if not rels:
        _no_images(folder, 'images')
    return [ImageItem(rel, folder / rel) for rel in rels]


def labelled_from_folders(folder: str | Path) -> list[ImageItem]:
    """One sub-folder per class; id = ``class/file``, label = the sub-folder."""
    folder = Path(folder)
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir()) if folder.is_dir() else []
    if not classes:
        _no_images(folder, 'class sub-folders')
    return [ImageItem(f'{c}/{rel}', folder / c / rel, c) for c in classes
            for rel in list_images(folder / c)]


def read_image_items(csv: str | Path | None = None, list_file: str | Path | None = None,
                     folder: str | Path | None = None, image_dir: str | Path | None = None,
                     ids_file: str | Path | None = None,
                     classes: Sequence[str] | None = None) -> list[ImageItem]:
    """The images of whichever of ``csv``, ``list_file`` or ``folder`` is given.

    With ``classes`` the images are training data and carry their label: the CSV's ``label``
    column, the list's class index, or the class sub-folder.
    """
    if csv:
        return items_from_csv(csv, image_dir, label_column='label' if classes else None)
    if list_file:
        return labelled_from_list(list_file, image_dir, classes) if classes else \
            items_from_list(list_file, image_dir, ids_file)
    return labelled_from_folders(folder) if classes else items_from_folder(folder)
