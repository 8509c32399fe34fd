"""custom_modules/utils/video.py: finding videos, probing, frame copies, read/write."""
import av
import numpy as np
import pytest

from custom_modules.utils.video import (
    find_videos,
    frame_array,
    frame_bgr,
    i420_to_bgr,
    probe_video,
    read_video,
    write_video,
)


def test_find_videos_is_recursive_and_filters_extensions(tmp_path):
    for rel in ['a.mp4', 'sub/b.AVI', 'sub/deeper/c.mkv', 'notes.txt', 'd.webm']:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b'x')
    assert [p.name for p in find_videos(tmp_path)] == ['a.mp4', 'd.webm', 'b.AVI', 'c.mkv']
    assert [p.name for p in find_videos(tmp_path, ['mkv'])] == ['c.mkv']


def _frames(n: int, w: int, h: int) -> np.ndarray:
    """Smooth seeded frames (a gradient and a moving square): lossy codecs keep them close."""
    rng = np.random.default_rng(0)
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    base[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    frames = np.repeat(base[None], n, axis=0)
    for i in range(n):
        frames[i, 4:12, 2 * i:2 * i + 8] = 255
    return np.clip(frames + rng.integers(0, 8, frames.shape), 0, 255).astype(np.uint8)


def test_write_read_probe_and_frame_copies_agree(tmp_path):
    frames = _frames(6, 34, 22)  # even sides for mp4v; 34x22 -> a resize to odd sides below
    path = tmp_path / 'clip.mp4'
    write_video(path, frames, fps=5)
    back = read_video(path)
    assert back.shape == frames.shape and np.abs(back.astype(float) - frames).mean() < 10
    probe = probe_video(path)
    assert (probe['width'], probe['height'], probe['fps']) == (34, 22, 5.0)
    assert probe['declared_frames'] == 6
    with av.open(str(path)) as c:
        decoded = [frame_bgr(f) for f in c.decode(video=0)]
    assert len(decoded) == 6 and decoded[0].flags['C_CONTIGUOUS']
    assert np.abs(np.stack(decoded).astype(float) - back).mean() < 2  # FFmpeg vs OpenCV
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        array, is_i420 = frame_array(frame, (17, 11))  # odd sides: padded to even
    assert is_i420 and array.shape == (12 * 3 // 2, 18)
    assert i420_to_bgr(array, (17, 11)).shape == (11, 17, 3)


def test_probe_rejects_a_file_without_video(tmp_path):
    with pytest.raises(av.FFmpegError):
        probe_video(tmp_path / 'missing.mp4')
    with pytest.raises(OSError, match='no frames'):
        read_video(tmp_path / 'missing.mp4')
