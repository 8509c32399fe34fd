"""Cheap probes of media before a run: open each video, decode its first frame, estimate frames.

A probe costs milliseconds per file, so a preflight can look at every video and still fail in
seconds: what it cannot open now, extraction would have failed on hours later.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from custom_modules.data_prep.frame_records import ExtractOptions, completed_record
from custom_modules.utils.validation import Problems

# Bytes per output pixel of an extracted frame: JPEG at quality 95 on real footage is about
# 2-3 bits per pixel (0.35 B/px keeps a margin); PNG about 12 bits.
BYTES_PER_PIXEL = {'jpg': 0.35, 'png': 1.5}


@dataclass(frozen=True)
class VideoProbe:
    """What a probe learnt of one video."""

    path: Path
    width: int
    height: int
    declared_frames: int  # the container's count; 0 = not declared (MKV, WebM, FLV)
    fps: float
    duration: float = 0.0  # seconds, from the container

    @property
    def expected_frames(self) -> int:
        """The declared frame count, else duration x fps (0 when neither is known)."""
        return self.declared_frames or max(0, round(self.duration * self.fps))


def probe_one(path: Path) -> VideoProbe | str:
    """Container metadata plus one decoded frame, or the reason the video cannot be read."""
    import av

    from custom_modules.utils.video import BadVideo, probe_video

    try:
        if path.stat().st_size == 0:
            return 'empty file (0 bytes)'
        meta = probe_video(path, decode_first=True)
    except BadVideo as err:  # no video stream, or no frame that decodes
        return f'unreadable video ({err})'
    except (av.FFmpegError, OSError, ValueError) as err:
        return f'unreadable video ({type(err).__name__}: {err})'
    return VideoProbe(path, int(meta['width'] or 0), int(meta['height'] or 0),
                      int(meta['declared_frames']), float(meta['fps']),
                      float(meta['duration'] or 0.0))


def probe_videos(videos: Sequence[Path], problems: Problems, workers: int = 4,
                 progress: Callable[[int], None] | None = None) -> dict[Path, VideoProbe]:
    """Probes every video (threads: FFmpeg releases the GIL); unreadable ones become problems."""
    probes: dict[Path, VideoProbe] = {}
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for path, result in zip(videos, pool.map(probe_one, videos)):
            if isinstance(result, str):
                problems.add(path, None, f'{result}; replace or remove the file')
            else:
                probes[path] = result
            if progress is not None:
                progress(1)
    return probes


def frames_to_extract(probes: dict[Path, VideoProbe], rawframes: Path,
                      options: ExtractOptions) -> tuple[int, int]:
    """``(videos, bytes)`` extraction would still write: completed videos are not counted.

    Frame counts are the declared ones (an upper bound when a video decodes fewer, the usual
    error), or duration x fps where the container declares none; sampling by ``every_n`` is
    applied, ``fps`` sampling by the ratio of rates.
    """
    videos, total = 0, 0.0
    per_pixel = BYTES_PER_PIXEL.get(options.ext, 1.5)
    for path, probe in probes.items():
        if completed_record(rawframes / path.stem, path, options) is not None:
            continue
        frames = probe.expected_frames or 1
        if options.fps and probe.fps:
            frames = frames * min(1.0, options.fps / probe.fps)
        frames = frames / options.every_n
        width, height = options.output_size(max(probe.width, 1), max(probe.height, 1))
        videos += 1
        total += frames * width * height * per_pixel
    return videos, int(total)
