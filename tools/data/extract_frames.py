"""Extract video frames to `<root>/<video stem>/img_00001.jpg ...` for MMAction2 rawframes.

Frames are numbered from 1 (RawframeDataset's `start_index=1`, `filename_tmpl='img_{:05}.jpg'`).
Each finished video also gets `<root>/<stem>/meta.json`, its record (frame count, fps, size):
the list builders read frame counts from there instead of trusting hard-coded numbers.

Resumable and crash safe: a video is extracted into `<root>/.partial/<stem>.<pid>.tmp/`, its
record is written last, and the folder is renamed to `<root>/<stem>/` in one step. A video whose
folder has a record with the same options and source size is complete and skipped; anything
else (a kill -9 mid-way, changed options) is extracted again.

Decoding uses PyAV (FFmpeg). yuv420p frames are resized by FFmpeg in YUV and converted to BGR
by OpenCV (each measured several times faster than the alternative; see `_frame_array`).
Encoding uses OpenCV (libjpeg-turbo). Parallelism is one process per video: measured faster
than threads in one process (the GIL and PyAV's per-frame Python work).

Example:
    python tools/data/extract_frames.py --dir data/action/train --output-root data/action/rawframes
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make `tools` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import av
import cv2
import numpy as np
from tqdm import tqdm

from custom_modules.utils.atomic import atomic_write_json
from custom_modules.utils.video import (VIDEO_EXTS, BadVideo, find_videos,  # noqa: F401
                                       frame_array, probe_video)

_frame_array = frame_array  # transitional alias

RECORD_NAME = 'meta.json'
REPORT_NAME = 'extract_report.json'
PARTIAL_DIR = '.partial'
RECORD_FORMAT = 1
# A container may declare a few more frames than decode (edit lists); more missing = truncated.
TRUNCATION_TOLERANCE = 0.02


@dataclass(frozen=True)
class ExtractOptions:
    """How frames are sampled, resized and encoded.

    Args:
        fps: Keep frames at this rate (by timestamp); None keeps all frames.
        every_n: Keep every n-th decoded frame (1 = all). Exclusive with `fps`.
        short_side: Resize so the shorter side has this many pixels (aspect kept).
        size: Resize to exactly (width, height). Exclusive with `short_side`.
        ext: `jpg` or `png`.
        quality: JPEG quality 1-100 (OpenCV/libjpeg scale); ignored for PNG.
    """

    fps: float | None = None
    every_n: int = 1
    short_side: int | None = None
    size: tuple[int, int] | None = None
    ext: str = 'jpg'
    quality: int = 95

    def __post_init__(self) -> None:
        if self.size is not None:  # a list from JSON/YAML is fine too
            object.__setattr__(self, 'size', tuple(int(v) for v in self.size))
        if self.fps is not None and (self.fps <= 0 or self.every_n != 1):
            raise ValueError('fps must be > 0 and cannot be combined with every_n')
        if self.every_n < 1:
            raise ValueError('every_n must be >= 1')
        if self.short_side is not None and (self.short_side < 1 or self.size is not None):
            raise ValueError('short_side must be >= 1 and cannot be combined with size')
        if self.size is not None and (len(self.size) != 2 or min(self.size) < 1):
            raise ValueError('size must be (width, height) with both >= 1')
        if self.ext not in ('jpg', 'png'):
            raise ValueError(f'ext must be jpg or png, got {self.ext!r}')
        if not 1 <= self.quality <= 100:
            raise ValueError('quality must be in 1..100')

    @property
    def filename_tmpl(self) -> str:
        return 'img_{:05d}.' + self.ext

    def to_dict(self) -> dict:
        d = asdict(self)
        d['size'] = list(self.size) if self.size else None
        return d

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """Output (width, height) for a source of `width` x `height`."""
        if self.size is not None:
            return self.size
        if self.short_side is None:
            return width, height
        scale = self.short_side / min(width, height)
        if width <= height:
            return self.short_side, max(1, round(height * scale))
        return max(1, round(width * scale)), self.short_side


@dataclass(frozen=True)
class FrameRecord:
    """What was extracted from one video (the `meta.json` beside its frames).

    Frames are `<root>/<stem>/` + `filename_tmpl.format(i)` for i in 1..total_frames.
    """

    stem: str
    video: str
    video_bytes: int
    total_frames: int
    fps: float
    width: int
    height: int
    source_fps: float
    source_frames: int
    source_width: int
    source_height: int
    duration: float
    pix_fmt: str
    filename_tmpl: str
    start_index: int = 1
    options: dict = field(default_factory=dict)
    source_indices: list[int] | None = None  # 0-based decoded index per frame when sampled
    format: int = RECORD_FORMAT

    @classmethod
    def from_dict(cls, d: dict) -> FrameRecord:
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in names})

    def frame_path(self, index: int) -> str:
        """Path of frame `index` (1-based) relative to the rawframes root."""
        return f'{self.stem}/{self.filename_tmpl.format(index)}'


@dataclass
class VideoResult:
    """Outcome for one video: `done`, `skipped` (already complete) or `failed` (with reason)."""

    video: str
    stem: str
    status: str
    reason: str = ''
    frames: int = 0
    seconds: float = 0.0


@dataclass
class ExtractionReport:
    """All outcomes of one extraction run."""

    output_root: str
    results: list[VideoResult]
    options: dict
    seconds: float = 0.0

    def by_status(self, status: str) -> list[VideoResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failed(self) -> list[VideoResult]:
        return self.by_status('failed')

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def frames_written(self) -> int:
        return sum(r.frames for r in self.results if r.status == 'done')

    def to_dict(self) -> dict:
        counts = {s: len(self.by_status(s)) for s in ('done', 'skipped', 'failed')}
        return {
            'output_root': self.output_root,
            'options': self.options,
            'counts': counts,
            'frames_written': self.frames_written,
            'seconds': round(self.seconds, 3),
            'failed': [{'video': r.video, 'reason': r.reason} for r in self.failed],
            'results': [asdict(r) for r in self.results],
        }


def read_record(frame_dir: str | Path) -> FrameRecord | None:
    """The record in `frame_dir`, or None if it is missing or unreadable."""
    path = Path(frame_dir) / RECORD_NAME
    try:
        return FrameRecord.from_dict(json.loads(path.read_text(encoding='utf-8')))
    except (OSError, ValueError, TypeError):
        return None


def load_frame_records(root: str | Path,
                       stems: Iterable[str] | None = None) -> dict[str, FrameRecord]:
    """Records of every completely extracted video under `root`, keyed by video stem.

    Args:
        root: The rawframes root given to the extraction.
        stems: Only these stems (missing ones are simply absent); None reads all.
    """
    root = Path(root)
    if stems is None:
        names = [e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith('.')]
    else:
        names = list(dict.fromkeys(stems))
    records = {}
    for name in names:
        record = read_record(root / name)
        if record is not None and record.stem == name:
            records[name] = record
    return records


def is_complete(frame_dir: Path, video: Path, options: ExtractOptions) -> bool:
    """True if `frame_dir` holds a finished extraction of `video` made with `options`."""
    record = read_record(frame_dir)
    if record is None or record.options != options.to_dict():
        return False
    try:
        if record.video_bytes != video.stat().st_size:
            return False
        return len(os.listdir(frame_dir)) == record.total_frames + 1  # frames + the record
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_partials(root: Path) -> int:
    """Deletes temp folders left by runs that died (their pid is gone); returns how many."""
    partial_root = root / PARTIAL_DIR
    if not partial_root.is_dir():
        return 0
    removed = 0
    for entry in partial_root.iterdir():
        parts = entry.name.rsplit('.', 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        if pid is None or (pid != os.getpid() and not _pid_alive(pid)):
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
            img = cv2.cvtColor(img, cv2.COLOR_YUV2BGR_I420)[:self.size[1], :self.size[0]]
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
        except av.FFmpegError as err:
            raise BadVideo(f'decode error after {decoded} frames: {err}') from err
        finally:
            encoder.close()
        if on_frames is not None and unreported:
            on_frames(unreported)
    if decoded == 0:
        raise BadVideo('no decodable frames')
    if declared and decoded < declared * (1 - TRUNCATION_TOLERANCE) - 1:
        raise BadVideo(f'truncated: decoded {decoded} of the {declared} frames it declares')
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
    }


def extract_video(video: str | Path, output_root: str | Path, options: ExtractOptions | None = None,
                  *, threads: int = 1, overwrite: bool = False,
                  on_frames: Callable[[int], None] | None = None) -> VideoResult:
    """Extracts one video to `<output_root>/<stem>/` (skipped when already complete).

    Never raises for a bad video: the reason is in the returned result.

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
    if not overwrite and is_complete(final, video, options):
        record = read_record(final)
        return VideoResult(str(video), stem, 'skipped', frames=record.total_frames)
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
        if final.exists():
            old = partial_root / f'{stem}.{os.getpid()}.old'
            os.rename(final, old)
            os.rename(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
    except BadVideo as err:
        return VideoResult(str(video), stem, 'failed', reason=str(err))
    except OSError as err:
        return VideoResult(str(video), stem, 'failed', reason=f'{type(err).__name__}: {err}')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return VideoResult(str(video), stem, 'done', frames=record.total_frames,
                       seconds=round(time.perf_counter() - t0, 3))


_progress_queue = None
_worker_threads = 1


def _init_worker(queue, threads: int, set_cv_threads: bool) -> None:
    global _progress_queue, _worker_threads
    _progress_queue, _worker_threads = queue, threads
    if set_cv_threads:  # spawned (not forked) workers: safe to configure here
        cv2.setNumThreads(threads)


def _worker_task(args: tuple) -> VideoResult:
    video, root, options, overwrite = args
    return extract_video(video, root, options, threads=_worker_threads, overwrite=overwrite,
                         on_frames=_progress_queue.put)


def _precheck(videos: Sequence[Path]) -> tuple[list[Path], list[VideoResult]]:
    """Fails videos that are missing or whose stems collide (two videos, one frame folder)."""
    by_stem: dict[str, list[Path]] = {}
    for v in videos:
        by_stem.setdefault(v.stem, []).append(v)
    todo, failed = [], []
    for v in videos:
        others = [str(o) for o in by_stem[v.stem] if o != v]
        if not v.is_file():
            failed.append(VideoResult(str(v), v.stem, 'failed', reason='file not found'))
        elif others:
            failed.append(VideoResult(str(v), v.stem, 'failed',
                                      reason=f'same stem as {", ".join(others)}; rename one'))
        elif v.stem.startswith('.') or not v.stem.strip():
            failed.append(VideoResult(str(v), v.stem, 'failed', reason='stem is hidden or empty'))
        else:
            todo.append(v)
    return todo, failed


def extract_videos(videos: Iterable[str | Path], output_root: str | Path,
                   options: ExtractOptions | None = None, *, workers: int | None = None,
                   overwrite: bool = False, progress: bool = True,
                   report_path: str | Path | None = None) -> ExtractionReport:
    """Extracts many videos in parallel (one video per worker process), resumably.

    Args:
        videos: Video files; stems must be unique (they name the frame folders).
        output_root: The rawframes root; created if missing.
        options: Sampling, resizing and encoding options (default: all frames, JPEG q95).
        workers: Parallel processes (default: CPU cores). 1 runs in this process.
        overwrite: Extract again even videos that are complete.
        progress: Show progress bars over videos and frames.
        report_path: Where to write the JSON report (default `<output_root>/extract_report.json`).

    Returns:
        The report: one result per video (done / skipped / failed with a reason).
    """
    t0 = time.perf_counter()
    options = options or ExtractOptions()
    root = Path(output_root)
    root.mkdir(parents=True, exist_ok=True)
    clean_stale_partials(root)
    videos = [Path(v) for v in videos]
    todo, results = _precheck(videos)
    if not overwrite:  # cheap check here, so a finished run resumes without starting workers
        remaining = []
        for v in todo:
            if is_complete(root / v.stem, v, options):
                frames = read_record(root / v.stem).total_frames
                results.append(VideoResult(str(v), v.stem, 'skipped', frames=frames))
            else:
                remaining.append(v)
        todo = remaining
    cores = os.cpu_count() or 1
    workers = max(1, min(workers or cores, len(todo) or 1))
    threads = max(1, cores // workers)
    pool = _VideoPool(todo, root, options, workers, threads, overwrite) if workers > 1 else None
    video_bar = tqdm(total=len(videos), desc='videos', unit='video', disable=not progress,
                     position=0)
    frame_bar = tqdm(desc='frames', unit='frame', disable=not progress, position=1)
    video_bar.update(len(results))
    for r in results:
        if r.status == 'failed':
            video_bar.write(f'FAILED {r.video}: {r.reason}')

    def finish(result: VideoResult) -> None:
        results.append(result)
        video_bar.update(1)
        if result.status == 'failed':
            video_bar.write(f'FAILED {result.video}: {result.reason}')

    try:
        if pool is None:
            for v in todo:
                finish(extract_video(v, root, options, threads=threads, overwrite=overwrite,
                                     on_frames=frame_bar.update))
        else:
            pool.collect(finish, frame_bar.update)
    finally:
        video_bar.close()
        frame_bar.close()
        if pool is not None:
            pool.close()
    order = {str(v): i for i, v in enumerate(videos)}
    results.sort(key=lambda r: order.get(r.video, len(order)))
    report = ExtractionReport(str(root), results, options.to_dict(), time.perf_counter() - t0)
    atomic_write_json(report_path or root / REPORT_NAME, report.to_dict())
    return report


class _VideoPool:
    """Worker processes, one video each; created before the progress bars (see `__init__`)."""

    def __init__(self, todo: list[Path], root: Path, options: ExtractOptions, workers: int,
                 threads: int, overwrite: bool):
        import multiprocessing as mp

        # fork: needs no `if __name__ == '__main__'` guard in the caller's script (spawn
        # re-imports it). Every task is submitted here, so the workers are forked before tqdm
        # starts its monitor thread. Where fork does not exist, spawn.
        fork = 'fork' in mp.get_all_start_methods()
        ctx = mp.get_context('fork' if fork else 'spawn')
        self.queue = ctx.Queue()
        self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                        initargs=(self.queue, threads, not fork))
        # One video per core: OpenCV's own threads only add contention in the workers. Forked
        # children inherit this setting (changing it inside a forked child can deadlock).
        previous = cv2.getNumThreads()
        cv2.setNumThreads(threads)
        try:
            self.futures = {self.pool.submit(_worker_task, (v, root, options, overwrite)): v
                            for v in todo}
        finally:
            cv2.setNumThreads(previous)

    def _drain(self, on_frames: Callable[[int], None]) -> None:
        while True:
            try:
                on_frames(self.queue.get_nowait())
            except Exception:  # queue.Empty; never fail the run over a progress message
                return

    def collect(self, finish: Callable[[VideoResult], None],
                on_frames: Callable[[int], None]) -> None:
        """Waits for every video, passing results to `finish` and frame counts to `on_frames`."""
        pending = set(self.futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            self._drain(on_frames)
            for fut in done:
                video = self.futures[fut]
                try:
                    finish(fut.result())
                except BrokenProcessPool:
                    finish(VideoResult(str(video), video.stem, 'failed',
                                       reason='worker process died (decoder crash?); rerun'))
        self._drain(on_frames)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.queue.close()


def parse_size(text: str) -> tuple[int, int]:
    """Parses `WxH` (e.g. `340x256`)."""
    w, sep, h = text.lower().partition('x')
    if not sep or not w.isdigit() or not h.isdigit():
        raise argparse.ArgumentTypeError(f'expected WxH, got {text!r}')
    return int(w), int(h)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--video', type=Path, nargs='+', help='video file(s)')
    src.add_argument('--dir', type=Path, help='folder searched recursively for videos')
    p.add_argument('--exts', default=','.join(VIDEO_EXTS), help='video extensions for --dir')
    p.add_argument('--output-root', type=Path, required=True, help='rawframes root')
    p.add_argument('--workers', type=int, default=os.cpu_count() or 1, help='parallel processes')
    samp = p.add_mutually_exclusive_group()
    samp.add_argument('--fps', type=float, help='sample at this frame rate (by timestamp)')
    samp.add_argument('--every-n', type=int, default=1, help='keep every n-th frame')
    res = p.add_mutually_exclusive_group()
    res.add_argument('--short-side', type=int, help='resize so the short side is S pixels')
    res.add_argument('--size', type=parse_size, help='resize to exactly WxH')
    p.add_argument('--ext', choices=('jpg', 'png'), default='jpg')
    p.add_argument('--quality', type=int, default=95, help='JPEG quality 1-100 (OpenCV scale)')
    p.add_argument('--overwrite', action='store_true', help='re-extract complete videos too')
    p.add_argument('--skip-bad', action='store_true',
                   help='exit 0 even if some videos failed (they are still in the report)')
    p.add_argument('--report', type=Path, help='JSON report path '
                   f'(default: <output-root>/{REPORT_NAME})')
    p.add_argument('--no-progress', action='store_true', help='hide the progress bars')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        options = ExtractOptions(fps=args.fps, every_n=args.every_n, short_side=args.short_side,
                                 size=args.size, ext=args.ext, quality=args.quality)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    if args.dir is not None:
        if not args.dir.is_dir():
            print(f'error: {args.dir} is not a folder', file=sys.stderr)
            return 2
        videos = find_videos(args.dir, args.exts.split(','))
        if not videos:
            print(f'error: no videos with extensions {args.exts} under {args.dir}', file=sys.stderr)
            return 2
    else:
        videos = args.video
    try:
        report = extract_videos(videos, args.output_root, options, workers=args.workers,
                                overwrite=args.overwrite, progress=not args.no_progress,
                                report_path=args.report)
    except KeyboardInterrupt:
        print('\ninterrupted: finished videos are kept; run the same command to resume',
              file=sys.stderr)
        return 130
    counts = report.to_dict()['counts']
    print(f'{counts["done"]} extracted, {counts["skipped"]} already complete, '
          f'{counts["failed"]} failed; {report.frames_written} frames in {report.seconds:.1f} s')
    if report.failed:
        print(f'failed videos and reasons: {args.report or args.output_root / REPORT_NAME}',
              file=sys.stderr)
        for r in report.failed:
            print(f'  {r.video}: {r.reason}', file=sys.stderr)
        return 0 if args.skip_bad else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
