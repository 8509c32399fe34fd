"""custom_modules/data_prep/stats.py: mean/std (RGB, 0-255), class counts, video statistics."""
import cv2
import numpy as np
import pytest

from custom_modules.data_prep.frame_extraction import extract_videos
from custom_modules.data_prep.stats import (
    class_counts,
    mean_std_images,
    rawframe_stats,
    video_stats,
)


def test_mean_std_is_rgb_0_255(tmp_path, write_image):
    write_image(tmp_path / 'red.png', color=(0, 0, 255))  # BGR on disk
    write_image(tmp_path / 'blue.png', color=(255, 0, 0))
    stats = mean_std_images(sorted(tmp_path.glob('*.png')), short_side=30)
    assert stats['channel_order'] == 'RGB' and stats['samples'] == 2
    assert stats['mean'] == [127.5, 0.0, 127.5] and stats['std'] == [127.5, 0.0, 127.5]


def test_mean_std_matches_numpy_on_noise(tmp_path, write_image):
    paths = [write_image(tmp_path / f'{i}.png', size=(40, 30), seed=i) for i in range(4)]
    rgb = np.stack([cv2.imread(str(p))[..., ::-1] for p in paths]).reshape(-1, 3)
    stats = mean_std_images(paths, short_side=30)
    assert stats['mean'] == pytest.approx(rgb.mean(0), abs=1e-3)
    assert stats['std'] == pytest.approx(rgb.std(0), abs=1e-3)
    sampled = mean_std_images(paths, sample=2, short_side=30, seed=0)
    assert sampled['samples'] == 2


def test_class_counts_most_frequent_first(tmp_path, write_csv):
    csv = write_csv(tmp_path / 'a.csv', ['id', 'label'], [[1, 'x'], [2, 'y'], [3, 'y']])
    assert list(class_counts(csv, 'label').items()) == [('y', 2), ('x', 1)]


def test_video_and_rawframe_stats(tmp_path, make_video):
    videos = [make_video(tmp_path / 'v' / f'{i}.mp4', n=10 + 5 * i, size=(64, 48))
              for i in range(2)]
    vs = video_stats(videos)
    assert vs['count'] == 2 and vs['most_common_sizes'] == {'64x48': 2}
    assert vs['frames'] == {'min': 10.0, 'max': 15.0, 'mean': 12.5, 'median': 12.5}
    assert vs['total_duration_s'] == pytest.approx(2.5)
    extract_videos(videos, tmp_path / 'raw', workers=1, progress=False)
    rs = rawframe_stats(tmp_path / 'raw')
    assert rs['frames']['max'] == 15 and rs['fps']['mean'] == 10
