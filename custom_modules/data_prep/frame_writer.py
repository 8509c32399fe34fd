"""Extract the frames of one video, resumably and crash safe.

A video is extracted into `<root>/.partial/<stem>.<pid>.tmp/`, its record is written last, and
the folder is renamed to `<root>/<stem>/` in one step. A video whose folder has a record with the
same options and source size is complete and skipped; anything else (a kill -9 mid-way, changed
options) is extracted again. A video that decodes fewer frames than its container declares keeps
the frames that decode and is reported `partial` (now and by every later run); one that decodes
no frame fails.

Decoding uses PyAV (FFmpeg); frames are copied out by :func:`custom_modules.utils.video.frame_array`
(yuv420p resized by FFmpeg in YUV, converted to BGR by OpenCV). Encoding uses OpenCV
(libjpeg-turbo) on a few threads (OpenCV frees the GIL).
"""
from __future__ import annotations

import os
import shutil
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import av
import cv2
import numpy as np

from custom_modules.utils.atomic import atomic_write_json, move_into_place
from custom_modules.utils.video import BadVideo, frame_array, i420_to_bgr
from custom_modules.utils.workdir_lock import pid_alive

from .frame_records import (
    PARTIAL_DIR,
    RECORD_NAME,
    ExtractOptions,
    FrameRecord,
    VideoResult,
    completed_record,
    missing_frames,
    partial_note,
)


def clean_stale_partials(root: Path) -> int:
    """Deletes temp folders left by runs that died (their pid is gone); returns how many."""
    partial_root = root / PARTIAL_DIR
    if not partial_root.is_dir():
        return 0
    removed = 0
    for entry in partial_root.iterdir():
        parts = entry.name.rsplit('.', 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        if pid is None or (pid != os.getpid() and not pid_alive(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


class _FrameSelector:
    """Decides which decoded frames to keep (`every_n` by index, `fps` by timestamp)."""

    def __init__(self, options: ExtractOptions, source_fps: float):
        self.every_n = options.every_n
        self.fps = options.fps if options.fps and options.fps < (source_fps or np.inf) else None
        self.start: float | None = None
        self.next_index = 0  # index of the next output slot when sampling by fps

    def keep(self, index: int, time_s: float | None, source_fps: float) -> bool:
        if self.fps is None:
            return index % self.every_n == 0
        if time_s is None:
            time_s = index / source_fps if source_fps else float(index)
        if self.start is None:
            self.start = time_s
        t = time_s - self.start
        if t + 1e-6 >= self.next_index / self.fps:
            self.next_index = int(np.floor(t * self.fps + 1e-6)) + 1
            return True
        return False

    def output_fps(self, source_fps: float) -> float:
        return self.fps if self.fps is not None else source_fps / self.every_n


class _Encoder:
    """Converts, resizes, encodes and writes frames, on `threads` threads (OpenCV frees the GIL)."""

    def __init__(self, out_dir: Path, options: ExtractOptions, size: tuple[int, int], threads: int):
        self.out_dir = out_dir
        self.tmpl = options.filename_tmpl
        self.size = size
        self.params = [cv2.IMWRITE_JPEG_QUALITY, options.quality] if options.ext == 'jpg' else []
        self.ext = '.' + options.ext
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None
        self.max_pending = 2 * threads
        self.pending: deque = deque()

    def _write(self, img: np.ndarray, is_i420: bool, index: int) -> None:
        if is_i420:  # already at the output size, sides rounded up to even
            img = i420_to_bgr(img, self.size)
        h, w = img.shape[:2]
        if (w, h) != self.size:
            shrink = self.size[0] < w or self.size[1] < h
            interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            img = cv2.resize(img, self.size, interpolation=interp)
        ok, buf = cv2.imencode(self.ext, img, self.params)
        if not ok:
            raise BadVideo(f'could not encode frame {index}')
        with open(self.out_dir / self.tmpl.format(index), 'wb') as f:
            f.write(buf)  # numpy buffer, no extra copy

    def submit(self, frame: av.VideoFrame, index: int) -> None:
        img, is_i420 = frame_array(frame, self.size)
        if self.pool is None:
            self._write(img, is_i420, index)
            return
        self.pending.append(self.pool.submit(self._write, img, is_i420, index))
        if len(self.pending) >= self.max_pending:
            self.pending.popleft().result()

    def close(self) -> None:
        try:
            while self.pending:
                self.pending.popleft().result()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)


def _decode_to_dir(video: Path, out_dir: Path, options: ExtractOptions, threads: int,
                   on_frames: Callable[[int], None] | None) -> dict:
    """Decodes `video` and writes the kept frames to `out_dir`; returns the record fields."""
    size_bytes = video.stat().st_size
    if size_bytes == 0:
        raise BadVideo('empty file (0 bytes)')
    try:
        container = av.open(str(video))
    except av.FFmpegError as err:
        raise BadVideo(f'cannot open as a video: {err}') from err
    with container:
        if not container.streams.video:
            raise BadVideo('no video stream')
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO' if threads > 1 else 'SLICE'
        stream.codec_context.thread_count = threads
        src_w, src_h = stream.codec_context.width, stream.codec_context.height
        if not src_w or not src_h:
            raise BadVideo('video stream has no frame size')
        source_fps = float(stream.average_rate or stream.guessed_rate or 0)
        declared = int(stream.frames or 0)
        size = options.output_size(src_w, src_h)
        selector = _FrameSelector(options, source_fps)
        encoder = _Encoder(out_dir, options, size, threads)
        decoded = written = unreported = 0
        sources: list[int] = []
        pix_fmt = ''
        last_time = None
        try:
            for frame in container.decode(stream):
                if not pix_fmt:
                    pix_fmt = frame.format.name
                    if (frame.width, frame.height) != (src_w, src_h):
                        src_w, src_h = frame.width, frame.height
                        size = encoder.size = options.output_size(src_w, src_h)
                last_time = frame.time
                if selector.keep(decoded, frame.time, source_fps):
                    written += 1
                    sources.append(decoded)
                    encoder.submit(frame, written)
                    unreported += 1
                    if on_frames is not None and unreported >= 32:
                        on_frames(unreported)
                        unreported = 0
                decoded += 1
        except av.FFmpegError as err:  # the frames before the error are kept when it is partial
            if not decoded or not missing_frames(decoded, declared):
                raise BadVideo(f'decode error after {decoded} frames: {err}') from err
        finally:
            encoder.close()
        if on_frames is not None and unreported:
            on_frames(unreported)
    if decoded == 0:
        raise BadVideo('no decodable frames' + (f' (it declares {declared})' if declared else ''))
    duration = decoded / source_fps if source_fps else float(last_time or 0.0)
    sampled = options.every_n != 1 or selector.fps is not None
    return {
        'video_bytes': size_bytes,
        'total_frames': written,
        'fps': round(selector.output_fps(source_fps), 6),
        'width': size[0],
        'height': size[1],
        'source_fps': round(source_fps, 6),
        'source_frames': decoded,
        'source_width': src_w,
        'source_height': src_h,
        'duration': round(duration, 6),
        'pix_fmt': pix_fmt,
        'source_indices': sources if sampled else None,
        'declared_frames': declared,
    }


def _result(video: Path, record: FrameRecord, status: str, **kw) -> VideoResult:
    """The result of an extracted video: `partial` instead of `status` when frames are missing."""
    counts = {'frames': record.total_frames, 'decoded': record.source_frames,
              'declared': record.declared_frames}
    if record.missing_frames:
        note = partial_note(record.source_frames, record.declared_frames, record.total_frames)
        return VideoResult(str(video), video.stem, 'partial', reason=note, **counts, **kw)
    return VideoResult(str(video), video.stem, status, **counts, **kw)


def skipped_result(video: Path, root: Path, options: ExtractOptions) -> VideoResult | None:
    """The 'skipped' result of a video already extracted under `root` with `options`
    ('partial' when its record says frames were missing), or None."""
    record = completed_record(root / video.stem, video, options)
    if record is None:
        return None
    return _result(video, record, 'skipped', reused=True)


def extract_video(video: str | Path, output_root: str | Path, options: ExtractOptions | None = None,
                  *, threads: int = 1, overwrite: bool = False,
                  on_frames: Callable[[int], None] | None = None) -> VideoResult:
    """Extracts one video to `<output_root>/<stem>/` (skipped when already complete).

    Never raises for a bad video: the reason is in the returned result. A video that decodes
    fewer frames than it declares keeps them and returns `partial`.

    Args:
        video: The video file.
        output_root: The rawframes root.
        options: Sampling, resizing and encoding options.
        threads: Decoder and encoder threads for this video.
        overwrite: Extract again even when complete.
        on_frames: Called with the number of frames written since the last call (progress).
    """
    video, root = Path(video), Path(output_root)
    options = options or ExtractOptions()
    stem, t0 = video.stem, time.perf_counter()
    final = root / stem
    if not overwrite and (done := skipped_result(video, root, options)) is not None:
        return done
    partial_root = root / PARTIAL_DIR
    partial_root.mkdir(parents=True, exist_ok=True)
    tmp = partial_root / f'{stem}.{os.getpid()}.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fields = _decode_to_dir(video, tmp, options, threads, on_frames)
        record = FrameRecord(stem=stem, video=str(video.resolve()),
                             filename_tmpl=options.filename_tmpl, options=options.to_dict(),
                             **fields)
        atomic_write_json(tmp / RECORD_NAME, asdict(record))
        if final.exists():  # moved aside into .partial/, so a crash here is cleaned next run
            old = move_into_place(final, partial_root / f'{stem}.{os.getpid()}.old')
            move_into_place(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            move_into_place(tmp, final)
    except BadVideo as err:
        return VideoResult(str(video), stem, 'failed', reason=str(err))
    except OSError as err:
        return VideoResult(str(video), stem, 'failed', reason=f'{type(err).__name__}: {err}')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _result(video, record, 'done', seconds=round(time.perf_counter() - t0, 3))
