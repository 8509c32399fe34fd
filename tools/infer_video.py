"""Per-frame crash probabilities of a video (or a folder of them) -> CSV, metrics, annotated video.

    python tools/infer_video.py --config CONFIG --checkpoint CKPT --input-video clip.mp4 \
        --output-csv clip.csv [--input-csv clip_labels.csv] [--output-video clip_annotated.mp4] \
        [--batch-size 32] [--device cuda:0]

Frames are decoded (PyAV) and preprocessed in a background thread into a bounded queue of
batches, so the model never waits for the decoder and memory holds only a few batches; a
second thread writes the CSV rows and the annotated frames. Preprocessing is the config's
``test_dataloader`` pipeline without its loading step, applied to the decoded BGR frame, as
``LoadImageFromFile`` would give it; the model's data preprocessor normalises as in testing.

Outputs:
    ``--output-csv``: ``frame_id,pred`` for EVERY decoded frame (frame_id from ``--frame-base``,
    0 by default; pred = crash probability). Written to a temp file and moved into place at the
    end, so an interrupted run leaves no partial CSV. With a folder of videos: a path ending in
    ``.csv`` gets ONE combined CSV ``video,frame_id,pred`` (video = file stem), any other path
    is a folder that gets ``<stem>.csv`` per video.
    ``--output-video``: each frame with its probability (and the true label with
    ``--input-csv``); a folder of ``<stem>.mp4`` for a folder of videos.
    ``--input-csv``: per-frame labels (the crash solution's format: a frame index column and a
    type column, ``before crush`` / ``crush moment`` / ``after crush``; a folder of
    ``<stem>.csv`` for a folder of videos): ROC AUC, accuracy and log loss are printed. A file
    whose rows do not match the video's frames is an error naming the file and the row.

The checkpoint loads through podium's trust policy: a checkpoint written by a podium run on
this machine loads fully; any other file weights-only (``--trust-checkpoint`` opts a file in).
"""
from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av
import cv2
import numpy as np
import torch
from tqdm import tqdm

from tools.data.common import DataError, Problems
from tools.data.extract_frames import VIDEO_EXTS, _frame_array, find_videos

LOAD_STEPS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'mmpretrain.LoadImageFromFile')
_END = object()


class InferenceError(RuntimeError):
    """A video that cannot be predicted (unreadable, no frames): the message names it."""


# --------------------------------------------------------------------------- model side
class FramePredictor:
    """A classifier built from a config + checkpoint that turns BGR frames into probabilities.

    Args:
        model: The built model (eval mode, on ``device``).
        pipeline: The config's test pipeline without its loading step.
        device: Where the forward runs.
    """

    def __init__(self, model: torch.nn.Module, pipeline: Callable[[dict], dict],
                 device: torch.device, packs: bool = True) -> None:
        self.model = model
        self.pipeline = pipeline
        self.device = device
        self.packs = packs  # the pipeline ended with PackInputs, done here in numpy

    @classmethod
    def from_config(cls, config: str | Path, checkpoint: str | Path, device: str = 'cpu',
                    cfg_options: dict | None = None,
                    trust: list[str] | None = None) -> FramePredictor:
        """Build the config's model, load the checkpoint (trust policy) and its test pipeline."""
        from mmengine.config import Config
        from mmengine.dataset import Compose
        from mmengine.registry import DefaultScope
        from mmengine.runner import load_checkpoint

        import custom_modules  # noqa: F401  (compat: trust policy; registration)
        from custom_modules.compat import trust_file
        from custom_modules.registry import library_registry

        cfg = Config.fromfile(str(config))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        for path in [*cfg.get('trusted_checkpoints', []), *(trust or [])]:
            trust_file(path)
        scope = cfg.get('default_scope', 'mmpretrain')
        steps = test_pipeline_steps(cfg)
        # PackInputs (HWC array -> CHW tensor) is done in numpy by `preprocess`: the decode
        # thread then calls no torch op, whose OpenMP team would compete with the forward's.
        packs = steps[-1]['type'].split('.')[-1] == 'PackInputs'
        if packs:
            steps = steps[:-1]
        with DefaultScope.overwrite_default_scope(scope):
            model = library_registry(scope).build(cfg.model)
            transforms = library_registry(scope, 'TRANSFORMS')
            pipeline = Compose([transforms.build(step) for step in steps])
        if not Path(checkpoint).is_file():
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        load_checkpoint(model, str(checkpoint), map_location='cpu', strict=True,
                        logger='silent')
        dev = torch.device(device)
        model.to(dev).eval()
        return cls(model, pipeline, dev, packs)

    def preprocess(self, frame: np.ndarray) -> np.ndarray:
        """One BGR frame -> the test pipeline's ``inputs`` as a uint8 ``[C, H, W]`` array."""
        h, w = frame.shape[:2]
        results = self.pipeline(dict(img=frame, img_shape=(h, w), ori_shape=(h, w)))
        if not self.packs:
            inputs = results['inputs']
            return inputs.numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        return np.ascontiguousarray(img.transpose(2, 0, 1))  # as PackInputs: [C, H, W]

    @torch.inference_mode()
    def predict(self, batch: torch.Tensor | np.ndarray) -> np.ndarray:
        """``[N, C, H, W]`` uint8 batch -> crash probability per frame (``[N]`` float)."""
        if isinstance(batch, np.ndarray):
            batch = torch.from_numpy(batch)
        data = self.model.data_preprocessor({'inputs': batch}, False)
        logits = self.model(data['inputs'], mode='tensor')
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return logits_to_probs(logits).float().cpu().numpy()


def test_pipeline_steps(cfg) -> list[dict]:
    """The config's test (else val) dataloader pipeline without its image-loading step."""
    for split in ('test_dataloader', 'val_dataloader'):
        pipeline = (cfg.get(split) or {}).get('dataset', {}).get('pipeline')
        if pipeline:
            break
    else:
        raise ValueError('the config has no test_dataloader.dataset.pipeline to preprocess with')
    steps = [dict(step) for step in pipeline if step['type'] not in LOAD_STEPS]
    if len(steps) == len(pipeline):
        raise ValueError(f'expected the test pipeline to start with LoadImageFromFile, got '
                         f'{[s["type"] for s in pipeline]}')
    return steps


def logits_to_probs(logits: torch.Tensor) -> torch.Tensor:
    """One logit (``[N]`` or ``[N, 1]``): sigmoid; two: softmax's second column."""
    if logits.dim() == 1 or logits.shape[1] == 1:
        return torch.sigmoid(logits.reshape(-1))
    if logits.shape[1] == 2:
        return torch.softmax(logits, dim=1)[:, 1]
    raise ValueError(f'a crash model gives 1 or 2 outputs per frame, got {logits.shape[1]}')


# --------------------------------------------------------------------------- video side
def probe(video: Path) -> tuple[float, int, int, int]:
    """``(fps, declared frame count (0 = unknown), width, height)`` of a video."""
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise InferenceError(f'{video}: no video stream')
            s = container.streams.video[0]
            fps = float(s.average_rate or s.guessed_rate or 25)
            return fps, int(s.frames or 0), s.codec_context.width, s.codec_context.height
    except av.FFmpegError as err:
        raise InferenceError(f'{video}: not a readable video ({err})') from None


def decode_bgr(video: Path) -> Iterator[np.ndarray]:
    """Every frame of ``video`` as a BGR uint8 array, streamed (FFmpeg threads decode)."""
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            stream.thread_type = 'AUTO'
            for frame in container.decode(stream):
                array, i420 = _frame_array(frame, (frame.width, frame.height))
                if i420:
                    array = cv2.cvtColor(array, cv2.COLOR_YUV2BGR_I420)[:frame.height,
                                                                       :frame.width]
                yield np.ascontiguousarray(array)
    except av.FFmpegError as err:
        raise InferenceError(f'{video}: decode error ({err})') from None


@dataclass
class Batch:
    """Consecutive frames: the first frame's index, the model inputs, the originals if kept."""

    start: int
    inputs: np.ndarray  # [N, C, H, W] uint8
    frames: list[np.ndarray] | None


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
                  keep_frames: bool) -> Iterator[Batch]:
    """Decode + preprocess, batched (runs in the background thread; numpy and OpenCV only)."""
    start, inputs, frames = 0, [], []
    for frame in decode_bgr(video):
        inputs.append(predictor.preprocess(frame))
        if keep_frames:
            frames.append(frame)
        if len(inputs) == batch_size:
            yield Batch(start, np.stack(inputs), frames if keep_frames else None)
            start, inputs, frames = start + len(inputs), [], []
    if inputs:
        yield Batch(start, np.stack(inputs), frames if keep_frames else None)


# --------------------------------------------------------------------------- outputs
TYPE_NAMES = {0: 'other', 1: 'crush moment'}


def annotate(frame: np.ndarray, frame_id: int, prob: float, threshold: float,
             label: int | None = None) -> np.ndarray:
    """Draw the crash probability (a bar and the value) and the true label on a BGR frame."""
    out = frame.copy()
    h, w = out.shape[:2]
    scale = max(0.35, min(w, h) / 500)
    thick = max(1, int(round(scale * 2)))
    alert = prob >= threshold
    colour = (0, 0, 255) if alert else (0, 200, 0)
    bar_h = max(4, int(h * 0.03))
    cv2.rectangle(out, (0, h - bar_h), (w - 1, h - 1), (40, 40, 40), -1)
    cv2.rectangle(out, (0, h - bar_h), (int(round(prob * (w - 1))), h - 1), colour, -1)
    lines = [(f'#{frame_id} crash p={prob:.3f}', colour)]
    if label is not None:
        ok = (prob >= threshold) == bool(label)
        lines.append((f'true: {TYPE_NAMES[int(label)]}', (0, 200, 0) if ok else (0, 165, 255)))
    y = int(24 * scale) + 4
    for text, col in lines:
        cv2.putText(out, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2,
                    cv2.LINE_AA)
        cv2.putText(out, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, scale, col, thick, cv2.LINE_AA)
        y += int(28 * scale) + 4
    return out


class VideoWriterAtomic:
    """An mp4v video written beside its target and moved into place by ``commit``."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(f'.{path.stem}.tmp{os.getpid()}{path.suffix or ".mp4"}')
        self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
        if not self.writer.isOpened():
            raise InferenceError(f'{path}: OpenCV cannot open an mp4v video writer')
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self.writer.write(frame)
        self.frames += 1

    def commit(self) -> None:
        self.writer.release()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.writer.release()
        self.tmp.unlink(missing_ok=True)


class CsvAtomic:
    """A CSV written to a temp file beside ``path``; ``commit`` moves it into place."""

    def __init__(self, path: Path, header: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(f'.{path.name}.tmp{os.getpid()}')
        self.file = open(self.tmp, 'w', newline='')
        self.file.write(header + '\n')

    def write_rows(self, prefix: str, first_id: int, probs: np.ndarray) -> None:
        ids = np.arange(first_id, first_id + len(probs))
        self.file.write(''.join(f'{prefix}{i},{p:.6f}\n' for i, p in zip(ids, probs)))

    def commit(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- labels
def load_labels(path: Path, n_frames: int, video: Path) -> np.ndarray:
    """0/1 per frame from a crash labels CSV, checked against the video's frame count.

    Raises:
        DataError: naming the file and row (bad values), or the file when the row count
            differs from the video's frames.
    """
    from tools.data.prep_crash import read_frame_csv

    problems = Problems()
    record = SimpleNamespace(total_frames=n_frames, source_indices=None)
    table = read_frame_csv(path, record, problems)
    if problems:
        problems.items = [_with_video(p, video) for p in problems.items]
        raise DataError(problems.items)
    return table['target'].to_numpy(dtype=np.int64)


def _with_video(problem, video: Path):
    from tools.data.common import Problem

    message = problem.message.replace('extracted frames', 'decoded frames')
    return Problem(problem.file, problem.line, f'{message} (video {video})')


def check_label_count(path: Path, labels: np.ndarray, n_frames: int, video: Path) -> None:
    """After decoding: the label rows must be exactly the decoded frames."""
    if len(labels) == n_frames:
        return
    if len(labels) > n_frames:  # the header is line 1: frame i is on line i + 2
        msg = (f'{len(labels)} label rows but {video} decodes to {n_frames} frames: rows from '
               f'line {n_frames + 2} on have no frame')
        raise DataError([_problem(path, n_frames + 2, msg)])
    raise DataError([_problem(path, None, f'{len(labels)} label rows but {video} decodes to '
                              f'{n_frames} frames: frames {len(labels)}..{n_frames - 1} '
                              '(0-based) have no label')])


def _problem(path: Path, line: int | None, message: str):
    from tools.data.common import Problem

    return Problem(str(path), line, message)


# --------------------------------------------------------------------------- one video
@dataclass
class VideoResult:
    """Predictions of one video."""

    video: Path
    probs: np.ndarray
    labels: np.ndarray | None
    fps: float
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)


def infer_video(predictor: FramePredictor, video: Path, *, batch_size: int = 32,
                write_rows: Callable[[int, np.ndarray], None] | None = None,
                output_video: Path | None = None, labels_csv: Path | None = None,
                threshold: float = 0.5, frame_base: int = 0, queue_size: int = 4,
                progress: bool = True) -> VideoResult:
    """Predict every frame of ``video``, streaming.

    Decoding + preprocessing run in one background thread, writing (``write_rows(first_id,
    probs)`` and the annotated video) in another; the calling thread only runs the model.
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
    """
    from custom_modules.evaluation.crash_metrics import crash_scores

    video = Path(video)
    if not video.is_file():
        raise InferenceError(f'video not found: {video}')
    fps, declared, width, height = probe(video)
    # Labels are checked before spending the compute; their count against the decoded frames
    # at the end (a container's declared frame count is not always exact).
    labels = load_labels_any_count(Path(labels_csv), video) if labels_csv is not None else None
    writer = VideoWriterAtomic(output_video, fps, (width, height)) if output_video else None

    stop = threading.Event()
    inputs_q: queue.Queue = queue.Queue(maxsize=queue_size)
    outputs_q: queue.Queue = queue.Queue(maxsize=queue_size)
    producer = threading.Thread(
        target=_run_producer, name='decode',
        args=(frame_batches(predictor, video, batch_size, writer is not None), inputs_q, stop),
        daemon=True)

    def written() -> Iterator[None]:
        for start, probs, frames in _consume(outputs_q, stop):
            if write_rows is not None:
                write_rows(start + frame_base, probs)
            if writer is not None:
                for k, (frame, p) in enumerate(zip(frames, probs)):
                    i = start + k
                    label = int(labels[i]) if labels is not None and i < len(labels) else None
                    writer.write(annotate(frame, i + frame_base, float(p), threshold, label))
            yield None

    errors: list[BaseException] = []

    def consume_outputs() -> None:
        try:
            for _ in written():
                pass
        except BaseException as err:
            errors.append(err)
            stop.set()

    consumer = threading.Thread(target=consume_outputs, name='write', daemon=True)
    t0 = time.perf_counter()
    chunks: list[np.ndarray] = []
    bar = tqdm(total=declared or None, desc=video.name, unit='frame', disable=not progress,
               leave=False)
    producer.start()
    consumer.start()
    try:
        for batch in _consume(inputs_q, stop):
            probs = predictor.predict(batch.inputs)
            chunks.append(probs)
            if not _put(outputs_q, (batch.start, probs, batch.frames), stop):
                break
            bar.update(len(probs))
        _put(outputs_q, _END, stop)
        consumer.join()
        if errors:
            raise errors[0]
    except BaseException:
        stop.set()
        if writer is not None:
            consumer.join(timeout=5)
            writer.abort()
        raise
    finally:
        stop.set()
        bar.close()
        producer.join(timeout=5)
    probs = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if len(probs) == 0:
        if writer is not None:
            writer.abort()
        raise InferenceError(f'{video}: no frames could be decoded')
    try:
        if labels is not None:
            check_label_count(Path(labels_csv), labels, len(probs), video)
    except DataError:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.commit()
    result = VideoResult(video, probs, labels, fps, time.perf_counter() - t0)
    if labels is not None:
        result.metrics = crash_scores(labels, probs, threshold)
    return result


def load_labels_any_count(path: Path, video: Path) -> np.ndarray:
    """Labels when the container does not declare its frame count: count checked later."""
    from tools.data.common import read_table

    problems = Problems()
    table = read_table(path, [], problems)
    if table is None:
        raise DataError(problems.items)
    return load_labels(path, len(table), video)


# --------------------------------------------------------------------------- CLI
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 2)[2])
    p.add_argument('--config', required=True, help='the model config (its test pipeline too)')
    p.add_argument('--checkpoint', required=True, help='the trained checkpoint')
    p.add_argument('--input-video', required=True, type=Path, help='a video or a folder of them')
    p.add_argument('--output-csv', required=True, type=Path,
                   help='frame_id,pred CSV; for a folder: a .csv (combined, with a video '
                   'column) or a folder (one <stem>.csv per video)')
    p.add_argument('--input-csv', type=Path,
                   help='labels CSV (frame index + type); for a folder: a folder of <stem>.csv')
    p.add_argument('--output-video', type=Path,
                   help='annotated video; for a folder: a folder of <stem>.mp4')
    p.add_argument('--batch-size', type=int, default=32, help='frames per forward')
    p.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu',
                   help='torch device (default: cuda:0 when available, else cpu)')
    p.add_argument('--threshold', type=float, default=0.5,
                   help='probability threshold for the accuracy and the annotation colour')
    p.add_argument('--frame-base', type=int, choices=(0, 1), default=0,
                   help='number of the first frame in the CSV and annotations')
    p.add_argument('--queue-size', type=int, default=4, help='batches buffered between threads')
    p.add_argument('--exts', default=','.join(VIDEO_EXTS), help='video extensions for a folder')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys')
    p.add_argument('--trust-checkpoint', action='append', default=[], metavar='FILE',
                   help='allow a full unpickle of FILE (not written by a podium run here)')
    p.add_argument('--no-progress', action='store_true', help='hide the progress bars')
    args = p.parse_args(argv)
    if args.batch_size < 1 or args.queue_size < 1:
        p.error('--batch-size and --queue-size must be >= 1')
    return args


@dataclass
class Job:
    """One video and where its outputs go."""

    video: Path
    labels: Path | None
    output_csv: Path | None  # None: rows go to the combined CSV
    output_video: Path | None


def plan_jobs(args: argparse.Namespace) -> tuple[list[Job], Path | None]:
    """The videos and their outputs; the combined CSV's path for a folder with a .csv output."""
    src = args.input_video
    if src.is_file():
        if args.input_csv is not None and not args.input_csv.is_file():
            raise InferenceError(f'--input-csv {args.input_csv} is not a file')
        return [Job(src, args.input_csv, args.output_csv, args.output_video)], None
    if not src.is_dir():
        raise InferenceError(f'--input-video {src} does not exist')
    videos = find_videos(src, args.exts.split(','))
    if not videos:
        raise InferenceError(f'no videos ({args.exts}) under {src}')
    stems = [v.stem for v in videos]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise InferenceError(f'videos under {src} share stems (they name the outputs): {clashes}')
    if args.input_csv is not None:
        if not args.input_csv.is_dir():
            raise InferenceError(f'--input-video is a folder, so --input-csv must be a folder of '
                                 f'<stem>.csv files; {args.input_csv} is not a folder')
        missing = [f'{args.input_csv / (v.stem + ".csv")}' for v in videos
                   if not (args.input_csv / f'{v.stem}.csv').is_file()]
        if missing:
            raise InferenceError(f'no labels for {len(missing)} video(s): {missing[:5]}')
    combined = args.output_csv if args.output_csv.suffix.lower() == '.csv' else None
    jobs = [Job(v, args.input_csv / f'{v.stem}.csv' if args.input_csv else None,
                None if combined else args.output_csv / f'{v.stem}.csv',
                args.output_video / f'{v.stem}.mp4' if args.output_video else None)
            for v in videos]
    return jobs, combined


def row_writer(csv: CsvAtomic, prefix: str) -> Callable[[int, np.ndarray], None]:
    """``write_rows`` for ``infer_video``: rows into ``csv``, each starting with ``prefix``."""

    def write(first_id: int, probs: np.ndarray) -> None:
        csv.write_rows(prefix, first_id, probs)

    return write


def format_scores(scores: dict[str, float]) -> str:
    return (f'AUC {scores["auc"]:.4f}  accuracy {scores["acc"]:.4f}  log loss '
            f'{scores["log_loss"]:.4f}  ({scores["frames"]} frames, {scores["positives"]} '
            'crash frames)')


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from custom_modules.evaluation.crash_metrics import crash_scores

    try:
        jobs, combined_path = plan_jobs(args)
        predictor = FramePredictor.from_config(args.config, args.checkpoint, args.device,
                                               args.cfg_options, args.trust_checkpoint)
    except (InferenceError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    combined = CsvAtomic(combined_path, 'video,frame_id,pred') if combined_path else None
    results: list[VideoResult] = []
    try:
        for job in tqdm(jobs, desc='videos', unit='video', disable=args.no_progress
                        or len(jobs) == 1):
            out = CsvAtomic(job.output_csv, 'frame_id,pred') if job.output_csv else None
            rows = row_writer(out, '') if out is not None else row_writer(
                combined, f'{job.video.stem},')
            try:
                result = infer_video(
                    predictor, job.video, batch_size=args.batch_size, write_rows=rows,
                    output_video=job.output_video, labels_csv=job.labels,
                    threshold=args.threshold, frame_base=args.frame_base,
                    queue_size=args.queue_size, progress=not args.no_progress)
            except BaseException:
                if out is not None:
                    out.abort()
                raise
            if out is not None:
                out.commit()
            results.append(result)
            fps = len(result.probs) / max(result.seconds, 1e-9)
            line = f'{job.video}: {len(result.probs)} frames, {fps:.1f} frames/s'
            if result.metrics:
                line += '\n  ' + format_scores(result.metrics)
            print(line, flush=True)
        if combined is not None:
            combined.commit()
    except (DataError, InferenceError) as err:
        if combined is not None:
            combined.abort()
        print(f'error: {err}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if combined is not None:
            combined.abort()
        print('\ninterrupted: no partial CSV was left', file=sys.stderr)
        return 130
    labelled = [r for r in results if r.labels is not None]
    if len(labelled) > 1:
        scores = crash_scores(np.concatenate([r.labels for r in labelled]),
                              np.concatenate([r.probs for r in labelled]), args.threshold)
        print('all videos: ' + format_scores(scores))
    print(f'wrote {combined_path or args.output_csv}'
          + (f' and {args.output_video}' if args.output_video else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
