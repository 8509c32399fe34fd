"""Real partial videos for the tests: containers that declare more frames than decode.

Both are written with PyAV with the index (`moov`) at the front (`movflags=faststart`), so the
index lists every frame (PyAV's `stream.frames`, OpenCV's CAP_PROP_FRAME_COUNT) whatever
happens to the frame data after it. The encoder makes no B-frames: frame i is packet i.

- :func:`make_partial_video`: the file is cut right before the packet of frame `keep` (a
  download or copy that stopped early): every decoder stops there, without an error.
- :func:`make_corrupt_video`: the packet of frame `bad` is overwritten with zeros: FFmpeg
  decodes the frames before it, then raises (`Invalid data found when processing input`).
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def _write(path: Path, n: int, size: tuple[int, int], seed: int) -> list[tuple[int, int]]:
    """Writes `n` frames to `path`; returns each frame's packet (byte offset, size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = size
    with av.open(str(path), 'w', options={'movflags': 'faststart'}) as out:
        stream = out.add_stream('mpeg4', rate=10)
        stream.width, stream.height, stream.pix_fmt = w, h, 'yuv420p'
        for i in range(n):
            img = rng.integers(0, 64, (h, w, 3), dtype=np.uint8)
            img[:, : (i * 3) % w] += 128  # a moving edge: frames differ
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format='bgr24')))
        out.mux(stream.encode())
    with av.open(str(path)) as c:
        return [(p.pos, p.size) for p in c.demux(video=0) if p.size]


def _check(path: Path, declared: int, decoded: int) -> Path:
    n = 0
    with av.open(str(path)) as c:
        got = c.streams.video[0].frames
        try:
            for _ in c.decode(video=0):
                n += 1
        except av.FFmpegError:
            pass
    assert (got, n) == (declared, decoded), f'{path}: declares/decodes {(got, n)}'
    return path


def make_partial_video(path: Path, declared: int, keep: int, size: tuple[int, int] = (64, 48),
                       seed: int = 0) -> Path:
    """Writes `path`: declares `declared` frames, decodes the first `keep` (checked here)."""
    packets = _write(path, declared, size, seed)
    if keep < declared:
        with open(path, 'r+b') as f:
            f.truncate(packets[keep][0])
    return _check(path, declared, keep)


def make_corrupt_video(path: Path, declared: int, bad: int, size: tuple[int, int] = (64, 48),
                       seed: int = 0) -> Path:
    """Writes `path`: declares `declared` frames; frame `bad` is zeros, so `bad` decode."""
    pos, n = _write(path, declared, size, seed)[bad]
    with open(path, 'r+b') as f:
        f.seek(pos)
        f.write(bytes(n))
    return _check(path, declared, bad)
