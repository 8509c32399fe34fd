"""custom_modules.data_prep.image_lists: holdout and k-fold lists, test list, bad inputs."""
import json
from pathlib import Path

import numpy as np
import pytest

from custom_modules.data_prep.image_lists import prepare_images
from custom_modules.utils.validation import DataError


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


@pytest.fixture
def image_data(tmp_path, write_image, write_csv):
    tmp_path = tmp_path / 'images'
    img_dir = tmp_path / 'train'
    rows = []
    for i in range(12):
        label = ['cat', 'dog', 'emu'][i % 3]
        write_image(img_dir / f'im{i:02d}.jpg', seed=i)
        rows.append([f'im{i:02d}' if i % 2 else f'im{i:02d}.jpg', label])
    csv = write_csv(tmp_path / 'train.csv', ['image_id', 'label'], rows)
    for i in range(3):
        write_image(tmp_path / 'test' / f't{i}.png', seed=50 + i)
    test = write_csv(tmp_path / 'test.csv', ['image_id'], [['t2'], ['t0'], ['t1.png']])
    return {'dir': img_dir, 'csv': csv, 'test': test, 'tmp': tmp_path}


def test_images_holdout_kfold_and_test_list(image_data):
    d = image_data
    out = d['tmp'] / 'hold'
    res = prepare_images(out, train_csv=d['csv'], image_dir=d['dir'], valid_size=0.25, seed=0,
                         test_csv=d['test'], test_dir=d['tmp'] / 'test')
    assert read_lines(out / 'classes.txt') == ['cat', 'dog', 'emu'] == res.classes
    val = read_lines(out / 'val.txt')
    assert len(val) == 3 and sorted(int(v.split()[1]) for v in val) == [0, 1, 2]
    assert len(read_lines(out / 'train.txt')) == 9
    assert read_lines(out / 'train_all.txt')[:2] == ['im00.jpg 0', 'im01.jpg 1']
    ids = read_lines(out / 'train_ids.txt')  # the CSV's image_id of each train_all.txt line
    assert len(ids) == 12 and ids[:2] == ['im00.jpg', 'im01']
    assert read_lines(out / 'test.txt') == ['t2.png -1', 't0.png -1', 't1.png -1']
    assert read_lines(out / 'test_ids.txt') == ['t2', 't0', 't1.png']
    out = d['tmp'] / 'kfold'
    prepare_images(out, train_csv=d['csv'], image_dir=d['dir'], folds=4, seed=0)
    vals = [read_lines(out / f'val_fold{k}.txt') for k in range(4)]
    assert sorted(sum(vals, [])) == sorted(read_lines(out / 'train_all.txt'))
    assert all(len(v) == 3 for v in vals)


def test_images_folder_layout(tmp_path, write_image):
    for cls in ['b_cls', 'a_cls']:
        for i in range(4):
            write_image(tmp_path / 'data' / cls / 'sub' / f'{i}.png', seed=i)
    res = prepare_images(tmp_path / 'out', folder=tmp_path / 'data', folds=2)
    assert res.classes == ['a_cls', 'b_cls']
    lines = read_lines(tmp_path / 'out/train_all.txt')
    assert lines[0] == 'a_cls/sub/0.png 0' and lines[-1] == 'b_cls/sub/3.png 1'
    assert read_lines(tmp_path / 'out/train_ids.txt') == [line[:-2] for line in lines]


def test_images_bad_inputs_are_reported(image_data, write_csv):
    d = image_data
    (d['dir'] / 'broken.jpg').write_bytes(b'')
    (d['dir'] / 'text.jpg').write_text('hello')
    classes = d['tmp'] / 'classes.txt'
    classes.write_text('cat\ndog\n')
    csv = write_csv(d['tmp'] / 'bad.csv', ['image_id', 'label'], [
        ['im00', 'cat'], ['nothere', 'cat'], ['im00', 'dog'], ['broken', 'cat'],
        ['text.jpg', 'dog'], ['im01', 'emu']])
    with pytest.raises(DataError) as err:
        prepare_images(d['tmp'] / 'out', train_csv=csv, image_dir=d['dir'], classes=classes,
                       valid_size=0.5)
    text = str(err.value)
    for needle in ["bad.csv:3: image 'nothere' not found",
                   "bad.csv:4: duplicate image_id 'im00' (first on line 2)",
                   'bad.csv:5: ', 'empty file (0 bytes)',
                   'bad.csv:6: ', 'unreadable image',
                   "bad.csv:7: label 'emu' is not in the class list"]:
        assert needle in text, (needle, text)
    assert not (d['tmp'] / 'out').exists()  # nothing written


def test_image_lists_load_in_mmpretrain_custom_dataset(image_data, tmp_path):
    """MMPretrain's CustomDataset reads the lists (needs the full stack)."""
    datasets = pytest.importorskip('mmpretrain.datasets')

    prepare_images(tmp_path / 'img', train_csv=image_data['csv'], image_dir=image_data['dir'],
                   valid_size=0.25)
    cls = datasets.CustomDataset(ann_file=str(tmp_path / 'img/val.txt'),
                                 data_prefix=str(image_data['dir']),
                                 classes=str(tmp_path / 'img/classes.txt'), pipeline=[])
    assert len(cls) == 3 and sorted(cls.get_gt_labels().tolist()) == [0, 1, 2]
    assert np.all([Path(cls.get_data_info(i)['img_path']).is_file() for i in range(3)])


def test_check_only_writes_nothing_and_gives_the_classes(image_data, write_csv):
    d = image_data
    out = d['tmp'] / 'lists'
    res = prepare_images(out, train_csv=d['csv'], image_dir=d['dir'], folds=3,
                         test_csv=d['test'], test_dir=d['tmp'] / 'test', check_only=True)
    assert res.classes == ['cat', 'dog', 'emu'] and res.files == []
    assert not out.exists()  # a preflight: not even the folder
    bad = write_csv(d['tmp'] / 'bad.csv', ['image_id', 'label'], [['im00', 'cat'], ['im01', 'nan']])
    with pytest.raises(DataError, match=r"bad\.csv:3: missing value \(NaN\) in column 'label'"):
        prepare_images(out, train_csv=bad, image_dir=d['dir'], valid_size=0.5, check_only=True)
    assert not out.exists()


def truncate(path: Path) -> Path:
    """Cuts an image file to 60 %: its header still reads, its pixels do not all decode."""
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 6 // 10])
    return path


def test_truncated_images_are_all_found_by_default_and_cached(image_data):
    d = image_data
    truncate(d['dir'] / 'im04.jpg')  # train.csv line 6
    truncate(d['dir'] / 'im07.jpg')  # line 9
    truncate(d['tmp'] / 'test' / 't0.png')  # test.csv line 3
    cache = d['tmp'] / 'lists' / 'decode_check.json'
    args = dict(train_csv=d['csv'], image_dir=d['dir'], folds=3, test_csv=d['test'],
                test_dir=d['tmp'] / 'test')
    with pytest.raises(DataError) as err:
        prepare_images(d['tmp'] / 'lists', decode_cache=cache, check_only=True, **args)
    found = [(Path(p.file).name, p.line) for p in err.value.problems]
    assert found == [('train.csv', 6), ('train.csv', 9), ('test.csv', 3)]  # every one at once
    assert all('truncated' in p.message for p in err.value.problems)
    assert len(json.loads(cache.read_text())['images']) == 15  # a rerun decodes nothing
    prepare_images(d['tmp'] / 'fast', decode=False, check_only=True, **args)  # headers only


def test_a_class_too_rare_for_the_folds_is_named_with_its_rows(image_data, write_csv, tmp_path,
                                                               write_image):
    d = image_data
    rows = [line.split(',') for line in read_lines(d['csv'])[1:]]
    rows[11][1] = 'emuu'  # line 13; emu keeps 3 rows, as many as the folds
    csv = write_csv(d['tmp'] / 'typo.csv', ['image_id', 'label'], rows)
    with pytest.raises(DataError, match=r"typo\.csv:13: class 'emuu' has 1 sample\(s\), fewer "
                       r"than the 3 folds .* did you mean 'emu'\?"):
        prepare_images(d['tmp'] / 'out', train_csv=csv, image_dir=d['dir'], folds=3)
    for cls in ('a', 'b'):
        for i in range(2):
            write_image(tmp_path / 'folder' / cls / f'{i}.png', seed=i)
    write_image(tmp_path / 'folder' / 'c' / '0.png')
    with pytest.raises(DataError, match=r"c/0\.png: class 'c' has 1 sample"):
        prepare_images(tmp_path / 'out', folder=tmp_path / 'folder', folds=2)
    prepare_images(tmp_path / 'out', folder=tmp_path / 'folder', valid_size=0.5)  # no folds


def test_a_label_missing_from_the_classes_file_names_the_likely_typo(image_data, write_csv):
    d = image_data
    classes = d['tmp'] / 'classes.txt'
    classes.write_text('cat\ndog\nemu\n')
    csv = write_csv(d['tmp'] / 'typo.csv', ['image_id', 'label'], [
        ['im00', 'cat'], ['im01', 'Dog'], ['im02', 'emu']])
    with pytest.raises(DataError, match=r"typo\.csv:3: label 'Dog' is not in the class list; "
                       r"did you mean 'dog'\?"):
        prepare_images(d['tmp'] / 'out', train_csv=csv, image_dir=d['dir'], classes=classes,
                       valid_size=0.5, decode=False, check_only=True)
