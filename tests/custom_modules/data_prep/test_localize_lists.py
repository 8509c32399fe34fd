"""custom_modules.data_prep.localize_lists: the box table, folds, test images, bad boxes."""
from pathlib import Path

import pytest

from custom_modules.data_prep.localize_lists import prepare_localize
from custom_modules.utils.validation import DataError


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_localize_table_and_bad_boxes(tmp_path, write_image):
    data = tmp_path / 'data'
    for i in range(6):
        write_image(data / f'{i}.jpg', size=(100, 50), seed=i)
        (data / f'{i}.txt').write_text(f'{"ab"[i % 2]} 10 5 60 45\n')
    write_image(tmp_path / 'test' / 'q.jpg', size=(20, 10))
    res = prepare_localize(data, tmp_path / 'out', folds=3, seed=0, test_dir=tmp_path / 'test')
    table = res.table
    assert res.classes == ['a', 'b'] and len(table) == 6
    row = table.iloc[0]
    assert (row.width, row.height, row.label) == (100, 50, 0)
    assert (row.xmin_n, row.ymin_n, row.xmax_n, row.ymax_n) == (0.1, 0.1, 0.6, 0.9)
    assert sorted(table.fold.tolist()) == [0, 0, 1, 1, 2, 2]
    assert (tmp_path / 'out/annotations.csv').read_text().startswith('image_id,file,width')
    assert read_lines(tmp_path / 'out/test.csv') == ['image_id,file,width,height', 'q,q.jpg,20,10']

    (data / '0.txt').write_text('a 10 5 160 45\n')   # outside
    (data / '1.txt').write_text('b 1 2 3 4\nb 1 2 3 4\n')  # two boxes
    (data / '2.txt').unlink()                        # no box file
    (data / 'orphan.txt').write_text('a 1 1 2 2\n')  # no image
    (data / '3.jpg').write_bytes(b'junk')            # unreadable image
    with pytest.raises(DataError) as err:
        prepare_localize(data, tmp_path / 'out2', folds=2)
    text = str(err.value)
    for needle in ['0.txt:1: box (10, 5, 160, 45) is outside the 100x50 image',
                   '1.txt: expected one line', '2.jpg: no box file 2.txt',
                   'orphan.txt: no image with this id', '3.jpg: unreadable image']:
        assert needle in text, (needle, text)
    assert not (tmp_path / 'out2').exists()  # nothing written


def test_check_only_writes_nothing_and_gives_the_classes(tmp_path, write_image):
    data = tmp_path / 'data'
    for i in range(4):
        write_image(data / f'{i}.jpg', size=(40, 30), seed=i)
        (data / f'{i}.txt').write_text(f'{"yx"[i % 2]} 1 1 20 20\n')
    write_image(tmp_path / 'test' / 'q.jpg')
    out = tmp_path / 'out'
    res = prepare_localize(data, out, folds=2, test_dir=tmp_path / 'test', check_only=True)
    assert res.classes == ['x', 'y'] and res.files == [] and len(res.table) == 4
    assert not out.exists()  # a preflight: not even the folder
    (data / '3.txt').write_text('z 1 1 20 20\n')
    with pytest.raises(DataError, match=r"3\.txt:1: class 'z' is not in the class list"):
        prepare_localize(data, out, classes=['x', 'y'], folds=2, check_only=True)
    (data / '3.txt').write_text('X 1 1 20 20\n')
    with pytest.raises(DataError, match=r"3\.txt:1: class 'X' is not in the class list; did "
                       r"you mean 'x'\? \(a likely typo\)"):
        prepare_localize(data, out, classes=['x', 'y'], folds=2, check_only=True)
    assert not out.exists()


def test_truncated_images_and_rare_classes_are_all_reported(tmp_path, write_image):
    data = tmp_path / 'data'
    for i in range(7):
        write_image(data / f'{i}.png', size=(40, 30), seed=i)
        (data / f'{i}.txt').write_text(f'{"xy"[i % 2] if i < 6 else "yy"} 1 1 20 20\n')
    write_image(tmp_path / 'test' / 'q.jpg')
    for path in (data / '2.png', tmp_path / 'test' / 'q.jpg'):
        path.write_bytes(path.read_bytes()[:-40])  # header intact, pixels cut
    with pytest.raises(DataError) as err:
        prepare_localize(data, tmp_path / 'out', folds=3, test_dir=tmp_path / 'test',
                         check_only=True)
    text = str(err.value)
    assert f'{data / "2.png"}: unreadable image' in text and 'q.jpg: unreadable image' in text
    assert "6.txt:1: class 'yy' has 1 sample(s), fewer than the 3 folds" in text
    assert "did you mean 'y'" not in text  # 'yy' vs 'y' is not close enough to guess
    (data / '6.txt').write_text('y 1 1 20 20\n')
    prepare_localize(data, tmp_path / 'out', folds=3, test_dir=tmp_path / 'test', decode=False,
                     check_only=True)  # headers only: the cut files pass
