import json
import time
from pathlib import Path

import numpy as np
import pytest

from tools.data.common import DataError
from tools.data.prep_action import prepare_action
from tools.data.prep_crash import prepare_crash
from tools.data.prep_images import prepare_images
from tools.data.prep_localize import prepare_localize
from tools.data.preprocess import main

CLASSES = ['fall_down', 'jay_walk', 'normal', 'ride_kick']


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def files_in(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


@pytest.fixture
def action_data(tmp_path, fake_record, write_csv):
    """20 train videos (5 per class, 10..29 frames), 3 test videos, records without frames."""
    raw = tmp_path / 'rawframes'
    rows = []
    for i in range(20):
        stem = f'train_{i:03d}'
        fake_record(raw, stem, frames=10 + i)
        rows.append([f'{stem}.mp4', CLASSES[i % 4]])
    for i, frames in enumerate([31, 7, 12]):
        fake_record(raw, f'test_{i}', frames=frames)
    train_csv = write_csv(tmp_path / 'train.csv', ['video_filename', 'class'], rows)
    sub = write_csv(tmp_path / 'sample_submission.csv', ['video_filename', 'class'],
                    [['test_2.mp4', 'normal'], ['test_0.mp4', 'normal'],
                     ['test_1.mp4', 'normal']])
    return {'raw': raw, 'train_csv': train_csv, 'sub': sub, 'tmp': tmp_path}


def test_action_folds_oversampling_test_list_and_split(action_data):
    d = action_data
    out = d['tmp'] / 'lists'
    result = prepare_action(d['train_csv'], d['raw'], out, folds=5, seed=3,
                            oversample={'jay_walk': 2, 'ride_kick': 3},
                            sample_submission=d['sub'])
    assert read_lines(out / 'classes.txt') == CLASSES == result.classes
    all_lines = read_lines(out / 'train_all.txt')
    assert all_lines[0] == 'train_000 10 0' and all_lines[19] == 'train_019 29 3'
    seen_val = []
    for k in range(5):
        train, val = read_lines(out / f'train_fold{k}.txt'), read_lines(out / f'val_fold{k}.txt')
        assert sorted(train + val) == sorted(all_lines) and not set(train) & set(val)
        assert sorted(int(v.split()[2]) for v in val) == [0, 1, 2, 3]  # one per class
        seen_val += val
        over = read_lines(out / f'train_fold{k}_oversampled.txt')
        want = sum({1: 2, 3: 3}.get(int(t.split()[2]), 1) for t in train)
        assert len(over) == want and set(over) == set(train)
    assert sorted(seen_val) == sorted(all_lines)  # every video validated exactly once
    assert read_lines(out / 'test.txt') == ['test_2 12 -1', 'test_0 31 -1', 'test_1 7 -1']
    assert read_lines(out / 'test_ids.txt') == ['test_2.mp4', 'test_0.mp4', 'test_1.mp4']
    split = json.loads((out / 'split.json').read_text())
    assert split['seed'] == 3 and split['folds'] == 5
    assert split['video_folds']['train_007.mp4'] == result.video_folds['train_007']
    assert split['class_counts_per_fold']['normal'] == [1, 1, 1, 1, 1]
    assert not any(n.startswith('.staging') for n in files_in(out))


def test_action_split_is_reproducible_and_seeded(action_data):
    d = action_data
    a = prepare_action(d['train_csv'], d['raw'], d['tmp'] / 'a', folds=5, seed=0)
    b = prepare_action(d['train_csv'], d['raw'], d['tmp'] / 'b', folds=5, seed=0)
    c = prepare_action(d['train_csv'], d['raw'], d['tmp'] / 'c', folds=5, seed=1)
    assert a.video_folds == b.video_folds != c.video_folds
    fold2 = [(d['tmp'] / n / 'val_fold2.txt').read_bytes() for n in 'ab']
    assert fold2[0] == fold2[1]


def test_action_reports_every_bad_row_and_writes_nothing(tmp_path, fake_record, write_csv):
    raw = tmp_path / 'raw'
    for stem in ['a', 'b', 'c', 'e', 'f']:
        fake_record(raw, stem, frames=8)
    classes = tmp_path / 'classes.txt'
    classes.write_text('x\ny\n')
    train = write_csv(tmp_path / 'train.csv', ['video_filename', 'class'], [
        ['a.mp4', 'x'],        # line 2 ok
        ['b.mp4', 'zebra'],    # line 3 unknown class
        ['a.mp4', 'y'],        # line 4 duplicate
        ['missing.mp4', 'x'],  # line 5 not extracted
        ['c.mp4', ''],         # line 6 empty class
        ['has space.mp4', 'x'],  # line 7 whitespace in the stem
        ['e.mp4', 'y'], ['f.mp4', 'y'],
    ])
    sub = write_csv(tmp_path / 'sub.csv', ['id'], [['q']])
    out = tmp_path / 'out'
    with pytest.raises(DataError) as err:
        prepare_action(train, raw, out, classes=classes, folds=2, sample_submission=sub,
                       oversample={'nope': 2})
    text = str(err.value)
    for needle in ["train.csv:3: class 'zebra' is not in the class list",
                   "train.csv:4: duplicate video_filename 'a.mp4' (first on line 2)",
                   'train.csv:5: video \'missing\' has no frames',
                   "train.csv:6: empty value in column 'class'",
                   'train.csv:7: video stem is empty or has whitespace',
                   "sub.csv:1: missing column(s) ['video_filename']",
                   "oversample class 'nope'"]:
        assert needle in text, (needle, text)
    assert files_in(out) == []


def test_action_boxes_to_coco_per_fold(action_data, fake_record, write_csv):
    pycocotools = pytest.importorskip('pycocotools.coco')
    d = action_data
    # train_001 was extracted at half size: its boxes are given in source pixels, scaled here.
    fake_record(d['raw'], 'train_001', frames=11, size=(32, 24), source_size=(64, 48))
    rows = [
        ['train_000/img_00001.jpg', 1, 64, 48, 0, 0, 10, 10],
        ['train_000/img_00001.jpg', 2, 64, 48, 5, 5, 64, 48],
        ['train_000/img_00010.jpg', 1, 64, 48, 1, 2, 3, 4],
        ['train_001/img_00003.jpg', 2, 64, 48, 8, 8, 40, 24],
        ['train_005/img_00002.jpg', 1, 64, 48, 10, 10, 20, 30],
    ]
    boxes = write_csv(d['tmp'] / 'boxes.csv', ['filename', 'categoryid', 'width', 'height',
                                               'xmin', 'ymin', 'xmax', 'ymax'], rows)
    det_classes = d['tmp'] / 'det_classes.txt'
    det_classes.write_text('person\nscooter\n')
    out = d['tmp'] / 'lists'
    result = prepare_action(d['train_csv'], d['raw'], out, folds=4, seed=0, boxes_csv=boxes,
                            det_classes=det_classes, sample_submission=d['sub'])
    test_coco = pycocotools.COCO(str(out / 'det_test.json'))
    test_imgs = test_coco.loadImgs(test_coco.getImgIds())
    assert len(test_imgs) == 12 + 31 + 7 and not test_coco.getAnnIds()
    assert test_imgs[0]['file_name'] == 'test_2/img_00001.jpg'
    assert (test_imgs[-1]['video'], test_imgs[-1]['frame_id']) == ('test_1', 7)
    coco = pycocotools.COCO(str(out / 'det_all.json'))
    assert len(coco.getImgIds()) == 4 and len(coco.getAnnIds()) == 5
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == ['person', 'scooter']
    img = coco.loadImgs(coco.getImgIds())[0]
    assert img['file_name'] == 'train_000/img_00001.jpg'
    assert (img['width'], img['height']) == (64, 48)
    scaled = [a for a in coco.loadAnns(coco.getAnnIds()) if a['bbox'][0] == 4.0]
    assert scaled and scaled[0]['bbox'] == [4.0, 4.0, 16.0, 8.0]  # (8,8,40,24) at half size
    for k in range(4):
        val = json.loads((out / f'det_val_fold{k}.json').read_text())
        train = json.loads((out / f'det_train_fold{k}.json').read_text())
        for im in val['images']:
            assert result.video_folds[im['video']] == k
        for im in train['images']:
            assert result.video_folds[im['video']] != k
        assert len(val['images']) + len(train['images']) == 4
    assert read_lines(out / 'det_classes.txt') == ['person', 'scooter']


def test_action_bad_boxes_are_reported(action_data, write_csv):
    d = action_data
    header = ['filename', 'categoryid', 'width', 'height', 'xmin', 'ymin', 'xmax', 'ymax']
    boxes = write_csv(d['tmp'] / 'boxes.csv', header, [
        ['train_000/img_00001.jpg', 1, 64, 48, -5, 0, 10, 10],   # 2 outside
        ['train_000/img_00099.jpg', 1, 64, 48, 0, 0, 10, 10],    # 3 frame past the end
        ['train_000/img_1.jpg', 1, 64, 48, 0, 0, 10, 10],        # 4 wrong file name
        ['train_000/img_00002.jpg', 7, 64, 48, 0, 0, 10, 10],    # 5 unknown category
        ['train_000/img_00003.jpg', 1, 100, 48, 0, 0, 10, 10],   # 6 size matches nothing
        ['test_0/img_00001.jpg', 1, 64, 48, 0, 0, 10, 10],       # 7 not a train video
        ['train_000/img_00004.jpg', 1, 64, 48, 9, 0, 9, 10],     # 8 no area
        ['frame.jpg', 1, 64, 48, 0, 0, 10, 10],                  # 9 not <stem>/img_n.jpg
        ['train_000/img_00005.jpg', 1, 64, 48, 'a', 0, 9, 10],   # 10 not a number
    ])
    out = d['tmp'] / 'lists'
    with pytest.raises(DataError) as err:
        prepare_action(d['train_csv'], d['raw'], out, folds=2, boxes_csv=boxes,
                       det_classes=['person', 'scooter'])
    lines = sorted(p.line for p in err.value.problems)
    assert lines == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert files_in(out) == []
    ok = write_csv(d['tmp'] / 'ok.csv', header, [['train_000/img_00001.jpg', 1, 64, 48, -5, 0,
                                                  70, 10]])
    prepare_action(d['train_csv'], d['raw'], out, folds=2, boxes_csv=ok,
                   det_classes=['person'], clip_boxes=True)
    ann = json.loads((out / 'det_all.json').read_text())['annotations'][0]
    assert ann['bbox'] == [0.0, 0.0, 64.0, 10.0]


def test_action_train_and_box_problems_are_reported_together(action_data, write_csv):
    d = action_data
    train = write_csv(d['tmp'] / 't.csv', ['video_filename', 'class'],
                      [['train_000.mp4', 'normal'], ['train_001.mp4', 'ghost_class'],
                       ['train_002.mp4', 'normal']])
    boxes = write_csv(d['tmp'] / 'b.csv', ['filename', 'categoryid', 'width', 'height', 'xmin',
                                           'ymin', 'xmax', 'ymax'],
                      [['train_000/img_00001.jpg', 1, 64, 48, 0, 0, 99, 10]])
    with pytest.raises(DataError) as err:
        prepare_action(train, d['raw'], d['tmp'] / 'out', classes=CLASSES, folds=2,
                       boxes_csv=boxes)
    assert {(Path(p.file).name, p.line) for p in err.value.problems} == {('t.csv', 3),
                                                                        ('b.csv', 2)}


@pytest.mark.parametrize('n', [1_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_action_many_videos_takes_seconds(tmp_path, fake_record, write_csv, n):
    # 10k record folders cost more to create and delete than to preprocess: slow-marked.
    raw = tmp_path / 'raw'
    rows = []
    for i in range(n):
        fake_record(raw, f'v{i:05d}', frames=20 + i % 50)
        rows.append([f'v{i:05d}.mp4', CLASSES[i % 4]])
    train = write_csv(tmp_path / 'train.csv', ['video_filename', 'class'], rows)
    t0 = time.perf_counter()
    prepare_action(train, raw, tmp_path / 'lists', folds=5, oversample={'normal': 2})
    elapsed = time.perf_counter() - t0
    assert len(read_lines(tmp_path / 'lists/train_all.txt')) == n
    assert elapsed < n / 1000, f'{n} videos took {elapsed:.1f} s'


def _crash_csv(path: Path, write_csv, types: list[str], base: int) -> Path:
    return write_csv(path, ['frame', 'type'], [[i + base, t] for i, t in enumerate(types)])


def test_crash_frames_and_folds_by_video(tmp_path, fake_record, write_csv):
    raw, labels = tmp_path / 'raw', tmp_path / 'labels'
    for v in range(6):
        n = 6 + v
        fake_record(raw, f'cam{v}', frames=n)
        crash_at = 2 if v % 2 == 0 else None
        types = ['before crush' if crash_at is None or i < crash_at else
                 'crush moment' if i == crash_at else 'after crush' for i in range(n)]
        _crash_csv(labels / f'cam{v}.csv', write_csv, types, base=v % 2)  # 0- and 1-based
    out = tmp_path / 'out'
    result = prepare_crash(labels, raw, out, folds=3, seed=0)
    frames = result.frames
    assert len(frames) == sum(6 + v for v in range(6))
    cam0 = frames[frames.video == 'cam0']
    assert cam0.frame_path.tolist()[:2] == ['cam0/img_00001.jpg', 'cam0/img_00002.jpg']
    assert cam0.target.tolist() == [0, 0, 1, 0, 0, 0]
    cam1 = frames[frames.video == 'cam1']
    assert cam1.frame_id.tolist() == list(range(1, 8)) and cam1.target.sum() == 0
    assert frames.groupby('video').fold.nunique().max() == 1  # no video in two folds
    assert sorted(result.video_folds.values()) == [0, 0, 1, 1, 2, 2]
    for k in range(3):
        val = read_lines(out / f'val_fold{k}.txt')
        train = read_lines(out / f'train_fold{k}.txt')
        assert len(val) + len(train) == len(frames)
        val_videos = {v.split('/')[0] for v in val}
        assert val_videos == {v for v, f in result.video_folds.items() if f == k}
        assert not val_videos & {t.split('/')[0] for t in train}
    assert read_lines(out / 'all.txt')[2] == 'cam0/img_00003.jpg 1'


def test_crash_bad_inputs_are_reported(tmp_path, fake_record, write_csv):
    raw, labels = tmp_path / 'raw', tmp_path / 'labels'
    for v in range(5):
        fake_record(raw, f'cam{v}', frames=4)
    _crash_csv(labels / 'cam0.csv', write_csv, ['before crush'] * 3, base=0)  # 3 rows, 4 frames
    _crash_csv(labels / 'cam1.csv', write_csv, ['before crush', 'crash moment', 'after crush',
                                                'boom'], base=0)  # line 5 unknown type
    write_csv(labels / 'cam2.csv', ['frame', 'type'],
              [[0, 'before crush'], ['x', 'before crush'], [2, 'before crush'],
               [3, 'before crush']])  # line 3 not an int
    write_csv(labels / 'cam3.csv', ['frame', 'type'],
              [[0, 'before crush'], [1, 'before crush'], [1, 'before crush'],
               [3, 'before crush']])  # line 4 repeated index
    write_csv(labels / 'cam4.csv', ['frame', 'type'],
              [[0, 'before crush'], [1, 'before crush'], [2, 'before crush'],
               [7, 'before crush']])  # gap
    _crash_csv(labels / 'ghost.csv', write_csv, ['before crush'] * 4, base=0)  # no frames
    write_csv(labels / 'cols.csv', ['when', 'what'], [[0, 'before crush']])
    with pytest.raises(DataError) as err:
        prepare_crash(labels, raw, tmp_path / 'out', folds=2)
    text = str(err.value)
    for needle in ['cam0.csv: 3 rows but the video has 4 extracted frames',
                   "cam1.csv:5: unknown type 'boom'",
                   'cam2.csv:3: frame is not a frame index',
                   'cam3.csv:4: frame index repeated',
                   'cam4.csv: frame indices 0..7 are not the contiguous range',
                   "ghost.csv: video 'ghost' has no extracted frames",
                   'cols.csv:1: need a frame index column']:
        assert needle in text, (needle, text)
    assert files_in(tmp_path / 'out') == []


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
    assert files_in(d['tmp'] / 'out') == []


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
    assert files_in(tmp_path / 'out2') == []


def test_cli_exit_codes(action_data, capsys):
    d = action_data
    args = ['action', '--train-csv', str(d['train_csv']), '--rawframes', str(d['raw']),
            '--out-dir', str(d['tmp'] / 'cli'), '--folds', '4', '--oversample', 'normal=2',
            '--sample-submission', str(d['sub'])]
    assert main(args) == 0
    assert (d['tmp'] / 'cli/train_fold3_oversampled.txt').is_file()
    bad = args[:]
    bad[bad.index('--rawframes') + 1] = str(d['tmp'] / 'nowhere')
    bad[bad.index('--out-dir') + 1] = str(d['tmp'] / 'cli_bad')
    assert main(bad) == 1
    err = capsys.readouterr().err
    assert 'train.csv:2: video \'train_000\' has no frames' in err
    assert main(args[:-4] + ['--oversample', 'normal=zero']) == 2
    with pytest.raises(SystemExit):
        main(['images', '--out-dir', 'x'])  # neither --train-csv nor --folder


def test_lists_load_in_openmmlab_datasets(action_data, image_data, tmp_path, write_csv):
    """RawframeDataset, CocoDataset and CustomDataset read the files (needs the full stack)."""
    pytest.importorskip('mmaction')
    pytest.importorskip('custom_modules.compat')  # first: mmaction's missing drn package
    from mmaction.datasets import RawframeDataset
    from mmdet.datasets import CocoDataset
    from mmpretrain.datasets import CustomDataset

    d = action_data
    out = d['tmp'] / 'lists'
    boxes = write_csv(d['tmp'] / 'boxes.csv', ['filename', 'categoryid', 'width', 'height',
                                               'xmin', 'ymin', 'xmax', 'ymax'],
                      [['train_000/img_00002.jpg', 1, 64, 48, 4, 6, 30, 40]])
    prepare_action(d['train_csv'], d['raw'], out, folds=5, sample_submission=d['sub'],
                   boxes_csv=boxes, det_classes=['person'])
    ds = RawframeDataset(str(out / 'train_fold0.txt'), pipeline=[],
                         data_prefix=dict(img=str(d['raw'])))
    first = ds.get_data_info(0)
    assert (first['total_frames'], first['label'], first['start_index']) == (10, 0, 1)
    test = RawframeDataset(str(out / 'test.txt'), pipeline=[], test_mode=True,
                           data_prefix=dict(img=str(d['raw'])))
    assert [test.get_data_info(i)['total_frames'] for i in range(3)] == [12, 31, 7]
    det = CocoDataset(ann_file=str(out / 'det_all.json'), data_prefix=dict(img=str(d['raw'])),
                      metainfo=dict(classes=('person',)), pipeline=[], test_mode=False)
    info = det.get_data_info(0)
    assert info['img_path'] == str(d['raw'] / 'train_000/img_00002.jpg')
    assert info['instances'][0]['bbox'] == [4.0, 6.0, 30.0, 40.0]
    assert info['instances'][0]['bbox_label'] == 0
    prepare_images(tmp_path / 'img', train_csv=image_data['csv'], image_dir=image_data['dir'],
                   valid_size=0.25)
    cls = CustomDataset(ann_file=str(tmp_path / 'img/val.txt'), data_prefix=str(image_data['dir']),
                        classes=str(tmp_path / 'img/classes.txt'), pipeline=[])
    assert len(cls) == 3 and sorted(cls.get_gt_labels().tolist()) == [0, 1, 2]
    assert np.all([Path(cls.get_data_info(i)['img_path']).is_file() for i in range(3)])
