"""Frames in and per-frame results out for video inference, each output atomic.

Frames come from :mod:`custom_modules.utils.video` (PyAV); the CSV of probabilities and the
annotated video are written under a temporary name beside their target and moved into place by
``commit`` (:mod:`custom_modules.utils.atomic`), so an interrupted run leaves neither half-written.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from ..data_prep.frame_records import missing_frames
from ..utils.atomic import AtomicFile, move_into_place, temp_path_beside
from ..utils.errors import RunFailed
from ..utils.video import BadVideo, frame_bgr, probe_video


class InferenceError(RunFailed):
    """A video that cannot be predicted (unreadable, no frames): the message names it."""


def probe(video: Path) -> tuple[float, int, int, int]:
    """``(fps, declared frame count (0 = unknown), width, height)`` of a video."""
    try:
        info = probe_video(video)
    except BadVideo as err:
        raise InferenceError(f'{video}: {err}') from None
    except av.FFmpegError as err:
        raise InferenceError(f'{video}: not a readable video ({err})') from None
    return info['fps'] or 25.0, info['declared_frames'], info['width'], info['height']


def decode_bgr(video: Path, declared: int = 0) -> Iterator[np.ndarray]:
    """Every frame of ``video`` as a BGR uint8 array, streamed (FFmpeg threads decode).

    A decode error ends a partial video (fewer frames than the ``declared`` ones) with the
    frames before it, as frame extraction does; anywhere else it is an error.
    """
    decoded = 0
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            stream.thread_type = 'AUTO'
            for frame in container.decode(stream):
                yield frame_bgr(frame)
                decoded += 1
    except av.FFmpegError as err:
        if not decoded or not missing_frames(decoded, declared):
            raise InferenceError(f'{video}: decode error ({err})') from None


class FrameCsv(AtomicFile):
    """A per-frame CSV (``[prefix]frame_id,pred`` rows) streamed to a temporary file.

    ``commit`` moves it into place; ``discard`` (or an exception in a ``with`` block) leaves
    nothing. ``with FrameCsv(...) as csv`` gives the writer itself.
    """

    def __init__(self, path: str | Path, header: str) -> None:
        super().__init__(path, 'w', newline='')
        self.file.write(header + '\n')

    def __enter__(self) -> FrameCsv:  # type: ignore[override]
        return self

    def write_rows(self, prefix: str, first_id: int, probs: np.ndarray) -> None:
        """One row per probability, frame ids counting from ``first_id``."""
        ids = np.arange(first_id, first_id + len(probs))
        self.file.write(''.join(f'{prefix}{i},{p:.6f}\n' for i, p in zip(ids, probs)))

    def rows(self, prefix: str = '') -> Callable[[int, np.ndarray], None]:
        """A ``write_rows`` callback for :func:`~custom_modules.apis.infer_video`."""
        return lambda first_id, probs: self.write_rows(prefix, first_id, probs)


class AnnotatedVideo:
    """An mp4v video written beside its target and moved into place by ``commit``."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.path = Path(path)
        self.tmp = temp_path_beside(self.path, suffix=f'.tmp{self.path.suffix or ".mp4"}')
        self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
        if not self.writer.isOpened():
            self.tmp.unlink(missing_ok=True)
            raise InferenceError(f'{path}: OpenCV cannot open an mp4v video writer')
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self.writer.write(frame)
        self.frames += 1

    def commit(self) -> Path:
        self.writer.release()
        return move_into_place(self.tmp, self.path)

    def discard(self) -> None:
        self.writer.release()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> AnnotatedVideo:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
