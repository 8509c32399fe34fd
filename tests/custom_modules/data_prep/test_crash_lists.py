"""custom_modules/data_prep/crash_lists.py: the frame table, folds by video, every bad input."""
from pathlib import Path

import pytest

from custom_modules.data_prep.crash_lists import prepare_crash
from custom_modules.utils.validation import DataError


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def files_in(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


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
