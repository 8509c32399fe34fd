"""Real labelled images stored as IDX files (the MNIST format) -> the sports solution's layout.

IDX is the format of MNIST and Fashion-MNIST (Debian's ``dataset-fashion-mnist`` package puts
Zalando's 70,000 real product photos, 28x28 grey, 10 classes, in ``/usr/share/datasets/
fashion-mnist``). :func:`read_idx` reads one file (``.gz`` or raw) with every header checked;
:func:`export_classification` writes a stratified subset as ``train.csv``/``test.csv``, PNG
folders, the hidden test labels and the class list, built aside and swapped in whole.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from custom_modules.utils.atomic import atomic_folder
from custom_modules.utils.errors import InputError
from custom_modules.utils.validation import DataError, Problem

FASHION_MNIST_DIR = Path('/usr/share/datasets/fashion-mnist')
# The labels' meaning, from the dataset's README (0..9), as CSV-safe names.
FASHION_MNIST_CLASSES = ('tshirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal',
                         'shirt', 'sneaker', 'bag', 'ankle_boot')
IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype('>i2'), 0x0C: np.dtype('>i4'),
              0x0D: np.dtype('>f4'), 0x0E: np.dtype('>f8')}
MARKER = '.podium-idx-import.json'


def read_idx(path: str | Path) -> np.ndarray:
    """The array in an IDX file: magic ``00 00 <dtype> <ndim>``, ``ndim`` big-endian sizes, data.

    Raises:
        DataError: the file is missing, not IDX, or its data is shorter or longer than declared.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError([Problem(str(path), None, 'file not found')])
    opener = gzip.open if path.suffix == '.gz' else open
    try:
        with opener(path, 'rb') as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise DataError([Problem(str(path), None, f'cannot be read: {e}')]) from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES or raw[3] == 0:
        raise DataError([Problem(str(path), None, 'not an IDX file (bad magic number)')])
    ndim, dtype = raw[3], np.dtype(IDX_DTYPES[raw[2]])
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError([Problem(str(path), None, 'header cut short')])
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError([Problem(str(path), None, f'holds {len(raw) - header} data bytes, its '
                                 f'header declares {shape} = {expected}')])
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def read_labelled_images(images: str | Path, labels: str | Path,
                         classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``[N, H, W]`` uint8 images and their ``[N]`` labels, checked against each other."""
    x, y = read_idx(images), read_idx(labels)
    problems = []
    if x.ndim != 3 or x.dtype != np.uint8:
        problems.append(Problem(str(images), None,
                                f'expected [N, H, W] uint8 images, found {x.shape} {x.dtype}'))
    if y.ndim != 1:
        problems.append(Problem(str(labels), None, f'expected [N] labels, found {y.shape}'))
    elif len(y) != len(x):
        problems.append(Problem(str(labels), None, f'{len(y)} labels for {len(x)} images in '
                                f'{images}'))
    elif len(y) and (y.min() < 0 or y.max() >= len(classes)):
        bad = int(np.flatnonzero((y < 0) | (y >= len(classes)))[0])
        problems.append(Problem(str(labels), bad + 1, f'label {int(y[bad])} is outside the '
                                f'{len(classes)} classes'))
    if problems:
        raise DataError(problems)
    return x, y.astype(np.int64)


def stratified_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices of ``size`` samples drawn per class in proportion, in a seeded random order."""
    if size > len(labels):
        raise InputError(f'asked for {size} samples, only {len(labels)} exist')
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * size / len(labels)).astype(int)
    for i in np.argsort(-(counts * size / len(labels) - quota))[:size - quota.sum()]:
        quota[i] += 1  # largest remainders first: the quotas add up to ``size``
    picked = [rng.choice(np.flatnonzero(labels == c), q, replace=False)
              for c, q in zip(classes, quota)]
    return rng.permutation(np.concatenate(picked))


@dataclass(frozen=True)
class Split:
    """Images and labels of one split, and the id prefix of its files."""

    name: str
    images: np.ndarray
    labels: np.ndarray


def check_output(out: Path) -> None:
    """Refuse an output folder that holds anything this exporter did not write."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(f'{out} is not empty and was not written by this importer; '
                         'choose another --out or empty it yourself')


def export_classification(out: str | Path, train: Split, test: Split, classes: Sequence[str],
                          source: dict | None = None) -> dict[str, int]:
    """Writes the sports layout: ``train/ test/`` PNGs, ``train.csv`` (image_id,label),
    ``test.csv`` (image_id), ``test_labels.csv`` (image_id,label: hidden from training),
    ``classes.txt``; built aside and swapped in whole. Returns the counts per split."""
    import cv2

    out = Path(out)
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_folder(out) as stage:
        for split in (train, test):
            folder = stage / split.name
            folder.mkdir()
            rows = []
            for n, (image, label) in enumerate(zip(split.images, split.labels)):
                image_id = f'{split.name}_{n:05d}.png'
                if not cv2.imwrite(str(folder / image_id), image):
                    raise OSError(f'could not write {folder / image_id}')
                rows.append(f'{image_id},{classes[int(label)]}')
            labelled = 'image_id,label\n' + ''.join(r + '\n' for r in rows)
            if split is train:
                (stage / 'train.csv').write_text(labelled, encoding='utf-8')
            else:
                (stage / 'test_labels.csv').write_text(labelled, encoding='utf-8')
                (stage / 'test.csv').write_text(
                    'image_id\n' + ''.join(r.split(',')[0] + '\n' for r in rows),
                    encoding='utf-8')
        (stage / 'classes.txt').write_text(''.join(c + '\n' for c in classes), encoding='utf-8')
        counts = {train.name: len(train.labels), test.name: len(test.labels)}
        (stage / MARKER).write_text(json.dumps({'source': source or {}, 'counts': counts},
                                               indent=2), encoding='utf-8')
    return counts
