"""Data-test helpers: tiny seeded videos, images, CSVs, fake extraction records, and fixtures.

Shared by the tests of the data library (tests/custom_modules/data_prep, demo_data) and of the
data command lines (tests/tools/data): each of those folders' conftest.py star-imports this
module, which registers the fixtures there (helpers are fixtures too, so test modules take them as
arguments instead of importing a conftest).
"""
from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from custom_modules.data_prep.frame_records import RECORD_NAME, ExtractOptions, FrameRecord
from custom_modules.demo_data.sample_media import cached_clip

ACTION_CLASSES = ['fall_down', 'jay_walk', 'normal', 'ride_kick']


def make_frames(n: int, size: tuple[int, int] = (64, 48), seed: int = 0) -> list[np.ndarray]:
    """`n` BGR frames: a gradient, a moving square and seeded noise (JPEG has work to do)."""
    w, h = size
    rng = np.random.default_rng(seed)
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    base[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    frames = []
    for i in range(n):
        img = base.copy()
        x = (i * 3) % max(1, w - 12)
        img[10:22, x:x + 12] = (255, 255, 255)
        img = cv2.add(img, rng.integers(0, 24, img.shape, dtype=np.uint8))
        frames.append(img)
    return frames


def make_video(path: Path, n: int = 12, size: tuple[int, int] = (64, 48), fps: float = 10.0,
               fourcc: str = 'mp4v', seed: int = 0) -> Path:
    """Writes a small video with OpenCV (mp4v in .mp4 decodes as yuv420p; MJPG as yuvj420p)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f'OpenCV cannot write {fourcc} to {path}'
    for img in make_frames(n, size, seed):
        writer.write(img)
    writer.release()
    return path


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def fake_record(root: Path, stem: str, frames: int, size: tuple[int, int] = (64, 48),
                source_size: tuple[int, int] | None = None) -> FrameRecord:
    """Writes only `<root>/<stem>/meta.json` (no frames): enough for the list builders."""
    sw, sh = source_size or size
    rec = FrameRecord(stem=stem, video=f'/videos/{stem}.mp4', video_bytes=1, total_frames=frames,
                      fps=10.0, width=size[0], height=size[1], source_fps=10.0,
                      source_frames=frames, source_width=sw, source_height=sh,
                      duration=frames / 10.0, pix_fmt='yuv420p',
                      filename_tmpl='img_{:05d}.jpg', options=ExtractOptions().to_dict())
    (root / stem).mkdir(parents=True, exist_ok=True)
    (root / stem / RECORD_NAME).write_text(json.dumps(asdict(rec)))
    return rec


def write_image(path: Path, size: tuple[int, int] = (40, 30), seed: int = 0,
                color: tuple[int, int, int] | None = None) -> Path:
    """Writes a small BGR image (solid `color`, or seeded noise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    if color is not None:
        img = np.full((h, w, 3), color, np.uint8)
    else:
        img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)
    return path


def dir_bytes(root: Path) -> dict[str, bytes]:
    """Relative path -> content of every file under `root` (for identical-output checks)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file()}


@pytest.fixture
def real_clip() -> Path:
    """The cached real clip (bikes.mp4, 250 frames), or skip when it was never fetched."""
    path = cached_clip('bikes.mp4')
    if path is None:
        pytest.skip('real clip not cached: run `python tools/data/sample_media.py`')
    return path


@pytest.fixture
def action_data(tmp_path):
    """20 train videos (5 per class, 10..29 frames), 3 test videos, records without frames."""
    raw = tmp_path / 'rawframes'
    rows = []
    for i in range(20):
        stem = f'train_{i:03d}'
        fake_record(raw, stem, frames=10 + i)
        rows.append([f'{stem}.mp4', ACTION_CLASSES[i % 4]])
    for i, frames in enumerate([31, 7, 12]):
        fake_record(raw, f'test_{i}', frames=frames)
    train_csv = write_csv(tmp_path / 'train.csv', ['video_filename', 'class'], rows)
    sub = write_csv(tmp_path / 'sample_submission.csv', ['video_filename', 'class'],
                    [['test_2.mp4', 'normal'], ['test_0.mp4', 'normal'],
                     ['test_1.mp4', 'normal']])
    return {'raw': raw, 'train_csv': train_csv, 'sub': sub, 'tmp': tmp_path}


@pytest.fixture
def bad_videos(tmp_path) -> dict[str, Path]:
    """In `tmp_path/in/`: one good video and four bad ones (empty, text, cut, no frames)."""
    good = make_video(tmp_path / 'in' / 'good.mp4', n=5)
    empty = tmp_path / 'in' / 'empty.mp4'
    empty.write_bytes(b'')
    text = tmp_path / 'in' / 'text.mp4'
    text.write_text('not a video\n')
    avi = make_video(tmp_path / 'tmp' / 'cut.avi', n=30, fourcc='MJPG')
    cut = tmp_path / 'in' / 'cut.avi'
    cut.write_bytes(avi.read_bytes()[: avi.stat().st_size // 2])
    noframes = tmp_path / 'in' / 'noframes.mp4'
    writer = cv2.VideoWriter(str(noframes), cv2.VideoWriter_fourcc(*'mp4v'), 10, (64, 48))
    writer.release()
    return {'good': good, 'empty': empty, 'text': text, 'cut': cut, 'noframes': noframes}


def _as_fixture(helper):
    """A fixture named like ``helper`` whose value is the helper itself."""

    @pytest.fixture(name=helper.__name__)
    def fixture():
        return helper

    return fixture


HELPER_FIXTURES = {f'{h.__name__}_fixture': _as_fixture(h)
                   for h in (make_frames, make_video, write_csv, fake_record, write_image,
                             dir_bytes)}
globals().update(HELPER_FIXTURES)
__all__ = ['action_data', 'bad_videos', 'real_clip', *HELPER_FIXTURES]
