"""IDX reading (headers checked) and the export of a stratified subset in the sports layout."""
from __future__ import annotations

import gzip
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from custom_modules.data_prep.idx_images import (
    MARKER,
    Split,
    export_classification,
    read_idx,
    read_labelled_images,
    stratified_subset,
)
from custom_modules.utils.errors import InputError
from custom_modules.utils.validation import DataError


def write_idx(path: Path, array: np.ndarray, code: int = 0x08, gz: bool = True) -> Path:
    """An IDX file of ``array`` (uint8 data unless ``code`` says otherwise)."""
    header = bytes([0, 0, code, array.ndim]) + b''.join(
        int(n).to_bytes(4, 'big') for n in array.shape)
    data = header + array.tobytes()
    if gz:
        path = path.with_name(path.name + '.gz')
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def images_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 6, 5), dtype=np.uint8)
    y = np.repeat(np.arange(3, dtype=np.uint8), 10)
    return (write_idx(tmp_path / 'img-idx3-ubyte', x), write_idx(tmp_path / 'lab-idx1-ubyte', y),
            x, y)


def test_read_idx_gz_and_raw(tmp_path, images_and_labels):
    gz_images, _, x, _ = images_and_labels
    assert np.array_equal(read_idx(gz_images), x)
    raw = write_idx(tmp_path / 'raw-idx3-ubyte', x, gz=False)
    assert np.array_equal(read_idx(raw), x)
    ints = np.arange(6, dtype='>i4').reshape(2, 3)
    assert read_idx(write_idx(tmp_path / 'ints', ints, code=0x0C)).tolist() == ints.tolist()


def test_read_idx_rejects_bad_files(tmp_path):
    not_idx = tmp_path / 'photo.jpg'
    not_idx.write_bytes(b'\xff\xd8\xff\xe0 jpeg')
    with pytest.raises(DataError, match=r'photo\.jpg.*not an IDX file'):
        read_idx(not_idx)
    short = tmp_path / 'short-idx1-ubyte'
    short.write_bytes(bytes([0, 0, 8, 1]) + (10).to_bytes(4, 'big') + bytes(7))
    with pytest.raises(DataError, match=r'short-idx1-ubyte.*7 data bytes.*\(10,\) = 10'):
        read_idx(short)
    with pytest.raises(DataError, match='file not found'):
        read_idx(tmp_path / 'missing')


def test_labels_must_match_images_and_classes(tmp_path, images_and_labels):
    images, labels, x, y = images_and_labels
    with pytest.raises(DataError, match=r'lab-idx1-ubyte.gz:11: label 1 is outside the 1'):
        read_labelled_images(images, labels, ['only'])
    few = write_idx(tmp_path / 'few-idx1-ubyte', y[:5])
    with pytest.raises(DataError, match='5 labels for 30 images'):
        read_labelled_images(images, few, ['a', 'b', 'c'])
    got_x, got_y = read_labelled_images(images, labels, ['a', 'b', 'c'])
    assert got_x.shape == (30, 6, 5) and got_y.tolist() == y.tolist()


def test_stratified_subset_keeps_class_shares():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    keep = stratified_subset(labels, 20, seed=1)
    assert len(set(keep.tolist())) == 20
    assert np.bincount(labels[keep]).tolist() == [12, 6, 2]
    assert keep.tolist() == stratified_subset(labels, 20, seed=1).tolist()  # seeded
    odd = stratified_subset(np.array([0, 0, 1, 1, 2]), 4, seed=0)
    assert len(odd) == 4 and len(set(odd.tolist())) == 4  # remainders fill the quota exactly
    with pytest.raises(InputError, match='only 5 exist'):
        stratified_subset(np.arange(5), 6, seed=0)


def test_export_writes_the_sports_layout(tmp_path, images_and_labels):
    _, _, x, y = images_and_labels
    out = tmp_path / 'data' / 'fm'
    counts = export_classification(out, Split('train', x[:20], y[:20]),
                                   Split('test', x[20:], y[20:]), ['a', 'b', 'c'])
    assert counts == {'train': 20, 'test': 10}
    train = pd.read_csv(out / 'train.csv')
    assert list(train.columns) == ['image_id', 'label'] and len(train) == 20
    assert train.label.tolist() == [['a', 'b', 'c'][v] for v in y[:20]]
    assert np.array_equal(cv2.imread(str(out / 'train' / train.image_id[3]), cv2.IMREAD_UNCHANGED),
                          x[3])
    test = pd.read_csv(out / 'test.csv')
    assert list(test.columns) == ['image_id'] and len(test) == 10
    hidden = pd.read_csv(out / 'test_labels.csv')
    assert hidden.image_id.tolist() == test.image_id.tolist()
    assert (out / 'classes.txt').read_text().split() == ['a', 'b', 'c']
    assert (out / MARKER).is_file()
    # ours: exported again in place; someone else's folder: refused, untouched
    export_classification(out, Split('train', x[:4], y[:4]), Split('test', x[4:6], y[4:6]),
                          ['a', 'b', 'c'])
    assert len(pd.read_csv(out / 'train.csv')) == 4
    foreign = tmp_path / 'mine'
    foreign.mkdir()
    (foreign / 'notes.txt').write_text('keep me')
    with pytest.raises(InputError, match='not written by this importer'):
        export_classification(foreign, Split('train', x[:4], y[:4]),
                              Split('test', x[4:6], y[4:6]), ['a', 'b', 'c'])
    assert [p.name for p in foreign.iterdir()] == ['notes.txt']
