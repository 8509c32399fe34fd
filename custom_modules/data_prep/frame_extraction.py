"""Extract the frames of many videos in parallel, resumably, with a report of every video.

Parallelism is one process per video: measured faster than threads in one process (the GIL and
PyAV's per-frame Python work). A finished run resumes without starting workers; a bad video is
reported with its reason and never stops the others; a partial one (fewer frames decode than it
declares) keeps the frames that decode and gets a warning line, in this run and every later one.

Example:
    >>> from custom_modules.data_prep.frame_extraction import extract_videos
    >>> from custom_modules.utils.video import find_videos
    >>> report = extract_videos(find_videos('data/action/train'), 'data/action/rawframes')
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import cv2
from tqdm import tqdm

from custom_modules.utils.atomic import atomic_write_json

from .frame_records import (
    REPORT_NAME,
    ExtractionReport,
    ExtractOptions,
    VideoResult,
)
from .frame_writer import clean_stale_partials, extract_video, skipped_result

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
                   report_path: str | Path | None = None,
                   strict: bool = False) -> ExtractionReport:
    """Extracts many videos in parallel (one video per worker process), resumably.

    Args:
        videos: Video files; stems must be unique (they name the frame folders).
        output_root: The rawframes root; created if missing.
        options: Sampling, resizing and encoding options (default: all frames, JPEG q95).
        workers: Parallel processes (default: CPU cores). 1 runs in this process.
        overwrite: Extract again even videos that are complete.
        progress: Show progress bars over videos and frames.
        report_path: Where to write the JSON report (default `<output_root>/extract_report.json`).
        strict: Partial videos make the report not `ok` (their frames are kept all the same).

    Returns:
        The report: one result per video (done / skipped / partial / failed with a reason).
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
            done = skipped_result(v, root, options)
            if done is not None:
                results.append(done)
            else:
                remaining.append(v)
        todo = remaining
    cores = os.cpu_count() or 1
    workers = max(1, min(workers or cores, len(todo) or 1))
    threads = max(1, cores // workers)
    pool = _VideoPool(todo, root, options, workers, threads, overwrite) if workers > 1 else None
    show = progress and bool(todo)  # a rerun with every video complete shows no empty bars
    video_bar = tqdm(total=len(videos), desc='videos', unit='video', disable=not show,
                     position=0)
    frame_bar = tqdm(desc='frames', unit='frame', disable=not show, position=1)
    video_bar.update(len(results))
    for r in results:
        _warn(r, video_bar.write)

    def finish(result: VideoResult) -> None:
        results.append(result)
        video_bar.update(1)
        _warn(result, video_bar.write)

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
    report = ExtractionReport(str(root), results, options.to_dict(), time.perf_counter() - t0,
                              strict=strict)
    atomic_write_json(report_path or root / REPORT_NAME, report.to_dict())
    return report


def _warn(result: VideoResult, write: Callable[[str], None]) -> None:
    """One line for a failed or partial video (through the progress bar, which stays intact)."""
    if result.status == 'failed':
        write(f'FAILED {result.video}: {result.reason}')
    elif result.status == 'partial':
        write(f'PARTIAL {result.video}: {result.reason}')


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
