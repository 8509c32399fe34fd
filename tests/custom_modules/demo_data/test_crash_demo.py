"""demo_data/crash_demo.py: deterministic, labelled per frame, accepted by prepare_crash."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from custom_modules.data_prep.crash_lists import prepare_crash
from custom_modules.data_prep.frame_extraction import extract_videos
from custom_modules.demo_data.crash_demo import MANIFEST_NAME, CrashDemoParams, generate
from custom_modules.utils.video import find_videos, read_video

SMALL = CrashDemoParams(train_crash=3, train_normal=1, test_crash=1, test_normal=1)


def test_generate_layout_labels_and_determinism(tmp_path):
    out = tmp_path / 'crash_demo'
    assert generate(out, seed=3, p=SMALL) is True
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest['synthetic'] is True
    assert 'SYNTHETIC' in (out / 'README_synthetic.txt').read_text()
    videos = sorted((out / 'train').glob('*.mp4'))
    assert len(videos) == 4 and len(list((out / 'test').glob('*.mp4'))) == 2
    crash_clips = 0
    for video in videos:
        labels = pd.read_csv(out / 'train_labels' / f'{video.stem}.csv')
        frames = read_video(video)
        assert list(labels.columns) == ['frame', 'type']
        assert labels['frame'].tolist() == list(range(len(frames)))
        assert set(labels['type']) <= {'before crush', 'crush moment', 'after crush'}
        if (labels['type'] == 'crush moment').any():
            crash_clips += 1
            crash = (labels['type'] == 'crush moment').to_numpy()
            # the crush moment is visibly different: a bright flash
            assert frames[crash].mean() > frames[~crash].mean() + 30
    assert crash_clips == 3
    assert generate(out, seed=3, p=SMALL) is False  # complete: left alone
    again = tmp_path / 'again'
    generate(again, seed=3, p=SMALL)
    for video in videos:
        assert (read_video(video) == read_video(again / 'train' / video.name)).all()


def test_refuses_a_foreign_folder(tmp_path):
    (tmp_path / 'mine.txt').write_text('user data')
    with pytest.raises(FileExistsError, match='not touching it'):
        generate(tmp_path, p=SMALL)


def test_prepare_crash_accepts_it(tmp_path):
    out = tmp_path / 'crash_demo'
    generate(out, p=SMALL)
    extract_videos(find_videos(out / 'train'), out / 'rawframes', workers=1, progress=False)
    frames = prepare_crash(out / 'train_labels', out / 'rawframes', out / 'lists', folds=2).frames
    assert frames['target'].sum() > 0 and frames['video'].nunique() == 4
