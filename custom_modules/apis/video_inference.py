"""Per-frame crash probabilities of a video, streamed through three threads.

Frames are decoded (PyAV) and preprocessed in a background thread into a bounded queue of
batches, so the model never waits for the decoder and memory holds only a few batches; the
calling thread runs the model; a third thread writes the rows (``write_rows``) and the annotated
frames. A partial video (fewer frames decode than its container declares) is predicted on the
frames that decode; a printed line and :attr:`VideoResult.missing` say how many are missing.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..data_prep.frame_records import missing_frames
from .frame_labels import fit_label_count, load_frame_labels
from .frame_predictor import FramePredictor
from .video_annotation import annotate, label_at
from .video_io import AnnotatedVideo, InferenceError, decode_bgr, probe

_END = object()


@dataclass
class Batch:
    """Consecutive frames: the first frame's index, the model inputs, the originals if kept."""

    start: int
    inputs: np.ndarray  # [N, C, H, W] uint8
    frames: list[np.ndarray] | None


@dataclass
class VideoResult:
    """Predictions of one video (one per decoded frame); ``declared``: the container's count."""

    video: Path
    probs: np.ndarray
    labels: np.ndarray | None
    fps: float
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    declared: int = 0

    @property
    def missing(self) -> int:
        """Declared frames that did not decode (0: complete or unknown)."""
        return missing_frames(len(self.probs), self.declared)


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _run_producer(produce: Iterator[Any], q: queue.Queue, stop: threading.Event) -> None:
    """Thread body: push every item, then _END; an exception travels through the queue."""
    try:
        for item in produce:
            if not _put(q, item, stop):
                return
        _put(q, _END, stop)
    except BaseException as err:  # re-raised by the consumer
        _put(q, err, stop)
    finally:
        produce.close()  # closes the video file when stopped early


def _consume(q: queue.Queue, stop: threading.Event) -> Iterator[Any]:
    """Items until _END (or until ``stop`` is set); an exception from the producer is raised."""
    while True:
        try:
            item = q.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                return
            continue
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def frame_batches(predictor: FramePredictor, video: Path, batch_size: int,
                  keep_frames: bool, declared: int = 0) -> Iterator[Batch]:
    """Decode + preprocess, batched (runs in the background thread; numpy and OpenCV only)."""
    start, inputs, frames = 0, [], []
    for frame in decode_bgr(video, declared):
        inputs.append(predictor.preprocess(frame))
        if keep_frames:
            frames.append(frame)
        if len(inputs) == batch_size:
            yield Batch(start, np.stack(inputs), frames if keep_frames else None)
            start, inputs, frames = start + len(inputs), [], []
    if inputs:
        yield Batch(start, np.stack(inputs), frames if keep_frames else None)


class _Writer(threading.Thread):
    """Thread: writes each predicted batch (rows, annotated frames) in order."""

    def __init__(self, q: queue.Queue, stop: threading.Event,
                 write_rows: Callable[[int, np.ndarray], None] | None,
                 video: AnnotatedVideo | None, labels: np.ndarray | None, threshold: float,
                 frame_base: int) -> None:
        super().__init__(name='write', daemon=True)
        self.q, self.stop, self.write_rows, self.video = q, stop, write_rows, video
        self.labels, self.threshold, self.frame_base = labels, threshold, frame_base
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for start, probs, frames in _consume(self.q, self.stop):
                if self.write_rows is not None:
                    self.write_rows(start + self.frame_base, probs)
                if self.video is not None:
                    for i, (frame, p) in enumerate(zip(frames, probs), start):
                        self.video.write(annotate(frame, i + self.frame_base, float(p),
                                                  self.threshold, label_at(self.labels, i)))
        except BaseException as err:
            self.error = err
            self.stop.set()


def infer_video(predictor: FramePredictor, video: Path, *, batch_size: int = 32,
                write_rows: Callable[[int, np.ndarray], None] | None = None,
                output_video: Path | None = None, labels_csv: Path | None = None,
                threshold: float = 0.5, frame_base: int = 0, queue_size: int = 4,
                progress: bool = True) -> VideoResult:
    """Predict every frame of ``video`` that decodes, streaming (see the module docstring).

    Queues hold at most ``queue_size`` batches, so memory does not grow with the video.

    Args:
        predictor: The model and its preprocessing.
        video: The video file.
        batch_size: Frames per forward.
        write_rows: Receives each batch's first frame id and probabilities, in order.
        output_video: Write the annotated video here (moved into place at the end).
        labels_csv: Per-frame labels; checked against the frames, then scored.
        threshold: Decision threshold (accuracy, annotation colour).
        frame_base: Number of the first frame (0 or 1) in ``write_rows`` and annotations.
        queue_size: Bounded queue length, in batches.
        progress: Show a progress bar.

    Raises:
        InferenceError: The video cannot be read or has no frames.
        DataError: The labels are bad or do not match the decoded frames.
    """
    from custom_modules.evaluation.crash_metrics import crash_scores

    video = Path(video)
    if not video.is_file():
        raise InferenceError(f'video not found: {video}')
    fps, declared, width, height = probe(video)
    # Labels are checked before spending the compute; their count against the decoded frames
    # at the end (a container's declared frame count is not always exact).
    labels = load_frame_labels(labels_csv) if labels_csv is not None else None
    annotated = AnnotatedVideo(output_video, fps, (width, height)) if output_video else None
    t0 = time.perf_counter()
    try:
        probs = _predict_frames(predictor, video, batch_size, queue_size, declared, progress,
                                _Writer(queue.Queue(maxsize=queue_size), threading.Event(),
                                        write_rows, annotated, labels, threshold, frame_base))
        if len(probs) == 0:
            raise InferenceError(f'{video}: no frames could be decoded')
        if labels is not None:
            labels = fit_label_count(labels_csv, labels, len(probs), video, declared)
    except BaseException:
        if annotated is not None:
            annotated.discard()
        raise
    if annotated is not None:
        annotated.commit()
    result = VideoResult(video, probs, labels, fps, time.perf_counter() - t0, declared=declared)
    if result.missing:
        print(f'warning: {video}: partial video, decoded {len(probs)} of {declared} declared '
              f'frames; predicted {len(probs)}, {result.missing} missing', flush=True)
    if labels is not None:
        result.metrics = crash_scores(labels, probs, threshold)
    return result


def _predict_frames(predictor: FramePredictor, video: Path, batch_size: int, queue_size: int,
                    declared: int, progress: bool, writer: _Writer) -> np.ndarray:
    """The forward loop in this thread between the decoding thread and ``writer``."""
    stop = writer.stop
    inputs_q: queue.Queue = queue.Queue(maxsize=queue_size)
    producer = threading.Thread(
        target=_run_producer, name='decode', daemon=True,
        args=(frame_batches(predictor, video, batch_size, writer.video is not None, declared),
              inputs_q, stop))
    chunks: list[np.ndarray] = []
    bar = tqdm(total=declared or None, desc=video.name, unit='frame', disable=not progress,
               leave=False)
    producer.start()
    writer.start()
    try:
        for batch in _consume(inputs_q, stop):
            probs = predictor.predict(batch.inputs)
            chunks.append(probs)
            if not _put(writer.q, (batch.start, probs, batch.frames), stop):
                break
            bar.update(len(probs))
        _put(writer.q, _END, stop)
        writer.join()
        if writer.error is not None:
            raise writer.error
    except BaseException:
        stop.set()
        writer.join(timeout=5)
        raise
    finally:
        stop.set()
        bar.close()
        producer.join(timeout=5)
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
