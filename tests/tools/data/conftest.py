"""Fixture helpers for the data tool tests: tiny seeded videos, images, CSVs, fake records."""
from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from tools.data.extract_frames import RECORD_NAME, ExtractOptions, FrameRecord
from tools.data.sample_media import cached_clip


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


# The helpers as fixtures: test modules take them as arguments instead of importing conftest
# (a second `conftest` module name would clash with tests/conftest.py).
@pytest.fixture(name='make_video')
def _make_video_fixture():
    return make_video


@pytest.fixture(name='write_csv')
def _write_csv_fixture():
    return write_csv


@pytest.fixture(name='fake_record')
def _fake_record_fixture():
    return fake_record


@pytest.fixture(name='write_image')
def _write_image_fixture():
    return write_image


@pytest.fixture(name='dir_bytes')
def _dir_bytes_fixture():
    return dir_bytes


@pytest.fixture(name='make_frames')
def _make_frames_fixture():
    return make_frames
