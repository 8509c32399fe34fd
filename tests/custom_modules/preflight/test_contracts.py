"""custom_modules.preflight.contracts: the video solutions' data, checked before any frame exists.

The contract checks only look at names (the probes are separate), so empty files stand in for
the videos here.
"""
from __future__ import annotations

from pathlib import Path

from custom_modules.data_prep.frame_records import ExtractOptions
from custom_modules.preflight.contracts import (
    check_action_boxes,
    check_action_data,
    check_crash_data,
)
from custom_modules.preflight.media import VideoProbe
from custom_modules.utils.validation import Problems

BOX_HEADER = 'filename,categoryid,width,height,xmin,ymin,xmax,ymax\n'


def touch(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b'')
    return [folder / n for n in names]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def messages(problems: Problems) -> list[str]:
    return [str(p) for p in problems.items]


def action_files(tmp_path: Path, train_rows: str, test_rows: str = 'x.mp4,a\n'):
    train = touch(tmp_path / 'train', 'v1.mp4', 'v2.avi', 'v3.mp4')
    touch(tmp_path / 'test', 'x.mp4')
    train_csv = write(tmp_path / 'train.csv', 'video_filename,class\n' + train_rows)
    sub = write(tmp_path / 'sample_submission.csv', 'video_filename,class\n' + test_rows)
    return train, train_csv, sub


def test_action_data_that_fits_gives_its_facts(tmp_path):
    train, train_csv, sub = action_files(tmp_path, 'v1.mp4,b\nv2.avi,a\nv3,b\n')
    problems = Problems()
    facts = check_action_data(train_csv, sub, tmp_path / 'train', tmp_path / 'test', problems,
                              oversample={'a': 2}, folds=1)  # 'a' once: too rare for 2 folds
    assert not problems, messages(problems)
    assert facts.classes == ['a', 'b']
    assert facts.train_videos == train  # matched by stem: v2.avi, 'v3' without extension
    assert facts.test_videos == [tmp_path / 'test' / 'x.mp4']


def test_action_data_names_every_problem_with_its_line(tmp_path):
    _, train_csv, sub = action_files(tmp_path, 'v1.mp4,a\nghost.mp4,b\nv2.avi,b\n',
                                     test_rows='x.mp4,a\nnowhere.mp4,a\n')
    problems = Problems()
    facts = check_action_data(train_csv, sub, tmp_path / 'train', tmp_path / 'test', problems,
                              oversample={'a': 2, 'jay_walk': 3}, folds=5)
    found = messages(problems)
    assert found[:2] == [f"{train_csv}:3: no video 'ghost.mp4' in {tmp_path / 'train'}",
                         f'{train_csv}: 3 videos cannot make 5 folds']
    assert found[2].startswith(f"{train_csv}: oversample class 'jay_walk' ")  # not 'a'
    assert 'not in the class list' in found[2] and 'preprocess.oversample' in found[2]
    assert found[3:] == [f"{sub}:3: no video 'nowhere.mp4' in {tmp_path / 'test'}"]
    assert facts.classes == ['a', 'b'] and len(facts.train_videos) == 2


def test_action_data_with_a_class_list_and_missing_folders(tmp_path):
    train_csv = write(tmp_path / 'train.csv', 'video_filename,class\nv1.mp4,walk\n')
    sub = write(tmp_path / 'sample_submission.csv', 'video_filename\n')
    classes = write(tmp_path / 'classes.txt', 'run\nwalk\n')
    problems = Problems()
    facts = check_action_data(train_csv, sub, tmp_path / 'train', tmp_path / 'test', problems,
                              classes_file=classes, folds=1)
    assert facts.classes == ['run', 'walk']  # the list's order, not the CSV's
    assert messages(problems) == [
        f'{tmp_path / "train"}: video folder not found',
        f'{tmp_path / "test"}: video folder not found',
        f"{train_csv}:2: no video 'v1.mp4' in {tmp_path / 'train'}",
        f'{sub}: no rows: the file has a header line only']


def probes_of(*videos: tuple[Path, int]) -> dict[Path, VideoProbe]:
    """64x48 videos at 10 fps with these declared frame counts."""
    return {path: VideoProbe(path, 64, 48, frames, 10.0) for path, frames in videos}


def test_boxes_are_checked_against_the_probes(tmp_path):
    v1, v2 = tmp_path / 'train' / 'v1.mp4', tmp_path / 'train' / 'v2.mp4'
    boxes = write(tmp_path / 'boxes.csv', BOX_HEADER + (
        'v1/img_00001.jpg,1,64,48,1,1,10,10\n'
        'ghost/img_00001.jpg,1,64,48,1,1,10,10\n'
        'v2/img_00011.jpg,2,64,48,1,1,10,10\n'
        'v2/img_00010.jpg,2,64,48,1,1,10,10\n'))
    problems = Problems()
    names = check_action_boxes(boxes, None, probes_of((v1, 10), (v2, 10)), ExtractOptions(),
                               problems)
    assert messages(problems) == [
        f"{boxes}:3: video 'ghost' is not in train.csv (or has no frames)",
        f"{boxes}:4: frame 11 is outside 1..10 of 'v2'"]
    assert names is None  # no class list and no valid set: nothing to name


def test_boxes_that_fit_give_the_detector_classes(tmp_path):
    v1 = tmp_path / 'train' / 'v1.mp4'
    boxes = write(tmp_path / 'boxes.csv', BOX_HEADER + 'v1/img_00003.jpg,2,32,24,1,1,10,10\n')
    det = write(tmp_path / 'det_classes.txt', 'ball\nbox\n')
    problems = Problems()
    options = ExtractOptions(short_side=24)  # boxes in the frames' size (32x24) are fine
    assert check_action_boxes(boxes, det, probes_of((v1, 3)), options, problems) == [
        'ball', 'box']
    assert not problems
    assert check_action_boxes(boxes, None, probes_of((v1, 3)), options, problems) == ['2']


def test_boxes_of_a_video_without_a_declared_frame_count_pass(tmp_path):
    """An MKV declares no frame count: the frame index is checked after extraction instead."""
    mkv = tmp_path / 'train' / 'v1.mkv'
    boxes = write(tmp_path / 'boxes.csv', BOX_HEADER + 'v1/img_00042.jpg,1,64,48,1,1,10,10\n')
    problems = Problems()
    assert check_action_boxes(boxes, None, probes_of((mkv, 0)), ExtractOptions(),
                              problems) == ['1']
    assert not problems, messages(problems)


CRASH_LABELS = 'frame,type\n0,before crush\n1,crush moment\n2,after crush\n'


def test_crash_data_pairs_videos_with_label_csvs(tmp_path):
    videos = touch(tmp_path / 'train', 'a.mp4', 'b.mp4')
    touch(tmp_path / 'test', 't.mp4')
    labels = tmp_path / 'train_labels'
    write(labels / 'a.csv', CRASH_LABELS)
    orphan = write(labels / 'c.csv', CRASH_LABELS)
    problems = Problems()
    found = check_crash_data(tmp_path / 'train', labels, tmp_path / 'test', problems)
    assert found == videos
    assert messages(problems) == [
        f"{labels}: no label CSV for 1 train video(s): ['b.mp4'] (expected <video stem>.csv)",
        f'{orphan}: labels for a video that is not in {tmp_path / "train"}']
    write(labels / 'b.csv', 'frame,type\n0,before crush\n1,exploding\n')
    orphan.unlink()
    problems = Problems()
    check_crash_data(tmp_path / 'train', labels, tmp_path / 'test', problems)
    assert [(p.file, p.line) for p in problems.items] == [(str(labels / 'b.csv'), 3)]
    assert "unknown type 'exploding'" in problems.items[0].message


def test_crash_data_without_folders_or_videos(tmp_path):
    (tmp_path / 'train').mkdir()
    problems = Problems()
    assert check_crash_data(tmp_path / 'train', tmp_path / 'labels', tmp_path / 'test',
                            problems) == []
    assert messages(problems) == [f'{tmp_path / "labels"}: folder not found',
                                  f'{tmp_path / "test"}: folder not found',
                                  f'{tmp_path / "train"}: no videos found']


def test_a_nan_id_is_reported_once(tmp_path):
    """A NaN video id is a missing value (read_table), not also a video that is not there."""
    from custom_modules.preflight.contracts import check_action_data
    from custom_modules.utils.validation import Problems

    (tmp_path / 'train').mkdir()
    (tmp_path / 'test').mkdir()
    (tmp_path / 'train.csv').write_text('video_filename,class\nNaN,walk\n')
    (tmp_path / 'sample_submission.csv').write_text('video_filename,class\n')
    problems = Problems()
    check_action_data(tmp_path / 'train.csv', tmp_path / 'sample_submission.csv',
                      tmp_path / 'train', tmp_path / 'test', problems, folds=1)
    train_rows = [p for p in problems.items if p.file.endswith('train.csv') and p.line == 2]
    assert [p.message for p in train_rows] == ["missing value (NaN) in column 'video_filename'"]


def test_a_typo_in_the_action_demo_is_a_rare_class_with_classes_none(tmp_path):
    """The issue's case: the demo's train.csv with one row labelled ``move_diagonal``, and no
    class list (the real action manifest's default), used to train a 5-class model."""
    from custom_modules.demo_data.action_demo import DemoParams, generate

    demo = tmp_path / 'demo'
    generate(demo, p=DemoParams(train_per_class=4, test_per_class=1, min_frames=8, max_frames=8))
    lines = (demo / 'train.csv').read_text().splitlines()
    lines[3] = lines[3].split(',')[0] + ',move_diagonal'
    (demo / 'train.csv').write_text('\n'.join(lines) + '\n')
    problems = Problems()
    check_action_data(demo / 'train.csv', demo / 'sample_submission.csv', demo / 'train',
                      demo / 'test', problems, classes_file=None, folds=3)
    assert [(p.file, p.line) for p in problems.items] == [(str(demo / 'train.csv'), 4)]
    assert "class 'move_diagonal' has 1 sample(s), fewer than the 3 folds" in messages(problems)[0]
