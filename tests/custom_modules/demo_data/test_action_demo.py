"""demo_data/action_demo.py: determinism, frame counts, exact boxes, idempotence."""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from custom_modules.demo_data.action_demo import (
    BOX_CLASSES,
    CLASSES,
    MANIFEST_NAME,
    DemoParams,
    generate,
    make_specs,
    render_video,
    stale_reason,
)
from custom_modules.utils.video import read_video

TEXT_FILES = ['train.csv', 'sample_submission.csv', 'test_labels_synthetic.csv', 'classes.txt',
              'box_classes.txt', 'train_boxes.csv', 'README_synthetic.txt']


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


@pytest.fixture(scope='module')
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp('gen') / 'demo'
    assert generate(out, seed=0) is True
    return out


def test_layout_and_labels(demo):
    assert (demo / 'classes.txt').read_text().split() == list(CLASSES) == sorted(CLASSES)
    assert (demo / 'box_classes.txt').read_text().split() == list(BOX_CLASSES)
    p = DemoParams()
    train = rows(demo / 'train.csv')
    assert Counter(r['class'] for r in train) == {c: p.train_per_class for c in CLASSES}
    assert sorted(f.name for f in (demo / 'train').iterdir()) == sorted(
        r['video_filename'] for r in train)
    ss, hidden = rows(demo / 'sample_submission.csv'), rows(demo / 'test_labels_synthetic.csv')
    test_names = sorted(f.name for f in (demo / 'test').iterdir())
    ss_ids = [r['video_filename'] for r in ss]
    assert sorted(ss_ids) == test_names and ss_ids != test_names  # shuffled, each once
    assert [r['video_filename'] for r in hidden] == ss_ids
    assert Counter(r['class'] for r in hidden) == {c: p.test_per_class for c in CLASSES}
    assert {r['class'] for r in ss} <= set(CLASSES)  # the placeholder is a valid class
    assert all('synthetic' in name for name in test_names + ss_ids)
    assert 'SYNTHETIC' in (demo / 'README_synthetic.txt').read_text()
    manifest = json.loads((demo / MANIFEST_NAME).read_text())
    assert manifest['synthetic'] is True and manifest['seed'] == 0
    assert set(TEXT_FILES) <= set(manifest['files'])


def test_frame_counts_and_boxes(demo):
    p = DemoParams()
    boxes = rows(demo / 'train_boxes.csv')
    assert list(boxes[0]) == ['filename', 'categoryid', 'width', 'height', 'xmin', 'ymin', 'xmax',
                              'ymax']
    per_video: dict[str, list[dict[str, str]]] = {}
    for b in boxes:
        per_video.setdefault(b['filename'].split('/')[0], []).append(b)
    labels = {Path(r['video_filename']).stem: r['class'] for r in rows(demo / 'train.csv')}
    assert sorted(per_video) == sorted(labels)
    counts = set()
    for stem, vid_boxes in per_video.items():
        frames = read_video(demo / 'train' / f'{stem}.mp4')
        n = len(frames)
        counts.add(n)
        assert p.min_frames <= n <= p.max_frames and frames.shape[1:] == (p.size, p.size, 3)
        assert [b['filename'] for b in vid_boxes] == [f'{stem}/img_{t:05d}.jpg'
                                                      for t in range(1, n + 1)]
        shape = 'box' if labels[stem] == 'move_down' else 'ball'
        assert {b['categoryid'] for b in vid_boxes} == {str(BOX_CLASSES.index(shape) + 1)}
        for b in vid_boxes:
            w, h = int(b['width']), int(b['height'])
            x0, y0, x1, y1 = (int(b[k]) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
            assert (w, h) == (p.size, p.size)
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
            assert x1 - x0 >= 2 * p.min_half + 1
        # the box is where the decoded shape is: the shape's colour differs from the background
        frame, b = frames[0], vid_boxes[0]
        diff = np.abs(frame.astype(int) - np.median(frame, axis=(0, 1))).max(axis=2) > 40
        ys, xs = np.nonzero(diff)
        assert abs(xs.min() - int(b['xmin'])) <= 1 and abs(xs.max() + 1 - int(b['xmax'])) <= 1
        assert abs(ys.min() - int(b['ymin'])) <= 1 and abs(ys.max() + 1 - int(b['ymax'])) <= 1
    assert len(counts) > 1  # real, varying frame counts


def test_test_videos_decode_with_their_frame_counts(demo):
    _, test = make_specs(0)
    for spec in test:
        assert len(read_video(demo / 'test' / spec.name)) == spec.n_frames


def test_render_boxes_are_tight_and_motion_matches_class():
    train, _ = make_specs(0)
    for spec in train[:8]:
        frames, boxes = render_video(spec, 96, noise=0.0)
        bg = frames[0, 0, 0]
        for frame, (x0, y0, x1, y1) in zip(frames, boxes):
            ys, xs = np.nonzero((frame != bg).any(axis=2))
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2
        dx, dy = centre[-1] - centre[0]
        expected = {'move_left': dx < -30, 'move_right': dx > 30, 'move_up': dy < -30,
                    'move_down': dy > 30}
        assert expected[spec.label], (spec.label, dx, dy)


def test_deterministic(demo, tmp_path):
    again = tmp_path / 'demo'
    assert generate(again, seed=0) is True
    for name in TEXT_FILES:
        assert (again / name).read_bytes() == (demo / name).read_bytes(), name
    for split in ('train', 'test'):
        for video in sorted((demo / split).iterdir()):
            np.testing.assert_array_equal(read_video(again / split / video.name),
                                          read_video(video))
    other = tmp_path / 'seed1'
    generate(other, seed=1)
    assert (other / 'train_boxes.csv').read_bytes() != (demo / 'train_boxes.csv').read_bytes()


def test_idempotent_force_stale_and_foreign(tmp_path, caplog):
    out = tmp_path / 'demo'
    assert generate(out) is True
    stamp = (out / MANIFEST_NAME).stat().st_mtime_ns
    assert generate(out) is False and (out / MANIFEST_NAME).stat().st_mtime_ns == stamp
    assert generate(out, force=True) is True
    (out / 'rawframes').mkdir()  # derived data the flow adds later does not make it stale
    assert stale_reason(out, 0) is None and generate(out) is False
    (out / 'train_boxes.csv').unlink()
    assert 'train_boxes.csv' in stale_reason(out, 0)
    with pytest.raises(FileExistsError, match="removed \\['train_boxes.csv'\\]"):
        generate(out)  # removed by someone (a run without boxes?): refused
    assert generate(out, force=True) is True and (out / 'train_boxes.csv').is_file()
    assert 'seed 0, not 3' in stale_reason(out, 3)

    foreign = tmp_path / 'mine'
    foreign.mkdir()
    (foreign / 'precious.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not made by make_demo_data'):
        generate(foreign, force=True)
    assert (foreign / 'precious.txt').read_text() == 'keep me'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['demo', 'mine']  # no staging left
