"""data_prep/action_lists.py and action_boxes.py: folds, oversampling, test list, COCO."""
import json
import time
from pathlib import Path

import pytest

from custom_modules.data_prep.action_lists import prepare_action
from custom_modules.utils.validation import DataError
from tests.data_fixtures import ACTION_CLASSES as CLASSES


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def files_in(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def test_action_folds_oversampling_test_list_and_split(action_data):
    d = action_data
    out = d['tmp'] / 'lists'
    result = prepare_action(d['train_csv'], d['raw'], out, folds=5, seed=3,
                            oversample={'jay_walk': 2, 'ride_kick': 3},
                            sample_submission=d['sub'])
    assert read_lines(out / 'classes.txt') == CLASSES == result.classes
    all_lines = read_lines(out / 'train_all.txt')
    assert all_lines[0] == 'train_000 10 0' and all_lines[19] == 'train_019 29 3'
    ids = read_lines(out / 'train_ids.txt')  # train.csv's video_filename, line for line
    assert len(ids) == len(all_lines) and ids[0] == 'train_000.mp4' and ids[19] == 'train_019.mp4'
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
    frames = {line.split()[0]: int(line.split()[1]) for line in read_lines(out / 'train_all.txt')}
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
        # Every frame of the fold's validation videos, for the fold-k detector's OOF boxes.
        oof = json.loads((out / f'det_oof_fold{k}.json').read_text())
        want = {(stem, t) for stem, f in result.video_folds.items() if f == k
                for t in range(1, frames[stem] + 1)}
        assert [(im['video'], im['frame_id']) for im in oof['images']] == sorted(want)
        assert oof['images'][0]['file_name'] == '{}/img_00001.jpg'.format(*min(want))
        assert not oof['annotations'] and oof['categories'] == coco.dataset['categories']
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


def test_lists_load_in_openmmlab_datasets(action_data, write_csv):
    """RawframeDataset and CocoDataset read the files (needs the full stack)."""
    pytest.importorskip('mmaction')
    pytest.importorskip('custom_modules.compat')  # first: mmaction's missing drn package
    from mmaction.datasets import RawframeDataset
    from mmdet.datasets import CocoDataset

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


def test_action_a_class_too_rare_for_the_folds_stops_the_lists(action_data, write_csv):
    d = action_data
    rows = [line.split(',') for line in read_lines(d['train_csv'])[1:]]
    rows[4][1] = 'fal_down'  # train_004, line 6: a typo of fall_down (left with 4 = folds)
    rows[9][1] = 'new_class'  # line 11: one sample, nothing close
    train = write_csv(d['tmp'] / 'typo.csv', ['video_filename', 'class'], rows)
    out = d['tmp'] / 'out'
    with pytest.raises(DataError) as err:
        prepare_action(train, d['raw'], out, folds=4)
    text = str(err.value)
    assert "typo.csv:6: class 'fal_down' has 1 sample(s), fewer than the 4 folds" in text
    assert "at line(s) [6]; did you mean 'fall_down'?" in text
    assert "typo.csv:11: class 'new_class' has 1 sample(s)" in text
    assert files_in(out) == []


def test_a_train_label_missing_from_the_classes_file_names_the_likely_typo(tmp_path, write_csv):
    from custom_modules.data_prep.action_lists import read_train_csv
    from custom_modules.utils.validation import Problems

    classes = tmp_path / 'classes.txt'
    classes.write_text('move_down\nmove_left\nmove_right\nmove_up\n')
    train = write_csv(tmp_path / 'train.csv', ['video_filename', 'class'], [
        ['a.mp4', 'move_up'], ['b.mp4', 'move_lft'], ['c.mp4', 'zebra']])
    problems = Problems()
    read_train_csv(train, classes, problems)
    assert [(p.line, p.message) for p in problems.items] == [
        (3, "class 'move_lft' is not in the class list; did you mean 'move_left'? "
            '(a likely typo)'),
        (4, "class 'zebra' is not in the class list")]
