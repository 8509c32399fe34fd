"""custom_modules.apis.image_items: ids, order and labels of the inputs; bad rows named."""
from __future__ import annotations

import pytest

from custom_modules.apis import (
    items_from_csv,
    items_from_folder,
    items_from_list,
    labelled_from_folders,
    labelled_from_list,
)
from custom_modules.utils.validation import DataError


def test_csv_keeps_ids_and_order_and_resolves_extensions(image_data):
    items = items_from_csv(image_data / 'test.csv', image_data / 'img')
    assert [i.image_id for i in items] == ['e', 'sub/c.jpg', 'a', 'd', 'b.jpg']
    assert [i.path.relative_to(image_data / 'img').as_posix() for i in items] == \
        ['e.jpg', 'sub/c.jpg', 'a.jpg', 'd.png', 'b.jpg']
    assert all(i.label is None for i in items)


def test_csv_with_labels_and_bad_rows(image_data, tmp_path):
    (tmp_path / 'train.csv').write_text('image_id,label\na,ant\nnope,bee\na,cow\n')
    with pytest.raises(DataError) as err:
        items_from_csv(tmp_path / 'train.csv', image_data / 'img', label_column='label')
    text = str(err.value)
    assert 'train.csv:3: image \'nope\' not found' in text
    assert "train.csv:4: duplicate image_id 'a' (first on line 2)" in text
    (tmp_path / 'ok.csv').write_text('image_id,label\nd,cow\nb.jpg,ant\n')
    items = items_from_csv(tmp_path / 'ok.csv', image_dir=image_data / 'img', label_column='label')
    assert [(i.image_id, i.label) for i in items] == [('d', 'cow'), ('b.jpg', 'ant')]


def test_lists_with_and_without_labels(image_data, tmp_path):
    (tmp_path / 'test.txt').write_text('sub/c.jpg -1\n\nd.png\n')
    items = items_from_list(tmp_path / 'test.txt', image_data / 'img')
    assert [i.image_id for i in items] == ['sub/c.jpg', 'd.png']
    (tmp_path / 'ids.txt').write_text('only_one\n')
    with pytest.raises(DataError, match=r'ids.txt: 1 ids for the 2 images'):
        items_from_list(tmp_path / 'test.txt', image_data / 'img', tmp_path / 'ids.txt')
    (tmp_path / 'train.txt').write_text('a.jpg 2\nmissing.jpg 0\nb.jpg 7\n')
    with pytest.raises(DataError) as err:
        labelled_from_list(tmp_path / 'train.txt', image_data / 'img', ['x', 'y', 'z'])
    assert 'train.txt:2: image' in str(err.value) and "train.txt:3: label '7'" in str(err.value)
    (tmp_path / 'good.txt').write_text('a.jpg 2\n')
    assert [(i.image_id, i.label) for i in labelled_from_list(
        tmp_path / 'good.txt', image_data / 'img', ['x', 'y', 'z'])] == [('a.jpg', 'z')]


def test_folders(image_data, tmp_path):
    items = items_from_folder(image_data / 'img')
    assert [i.image_id for i in items] == ['a.jpg', 'b.jpg', 'd.png', 'e.jpg', 'sub/c.jpg']
    with pytest.raises(DataError, match='no images found'):
        items_from_folder(tmp_path)
    (tmp_path / 'cat').mkdir()
    (tmp_path / 'cat' / 'x.jpg').write_bytes((image_data / 'img' / 'a.jpg').read_bytes())
    assert [(i.image_id, i.label) for i in labelled_from_folders(tmp_path)] == [('cat/x.jpg',
                                                                                 'cat')]
    with pytest.raises(DataError, match='folder not found'):
        labelled_from_folders(tmp_path / 'nope')
