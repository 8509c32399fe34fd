"""Per-frame crash probabilities of a video (or a folder of them) -> CSV, metrics, annotated video.

    python tools/infer_video.py [CONFIG] CHECKPOINT --input-video clip.mp4 --out clip.csv \
        [--input-csv clip_labels.csv] [--out-video [clip_annotated.mp4]] [--width W --height H] \
        [--batch-size 32] [--device cuda:0]

The config defaults to the one the checkpoint keeps (``meta['cfg']``, saved by every mmengine
Runner; read as data, never executed); CONFIG or ``--config`` overrides it, and is needed for a
checkpoint without one. ``--width``/``--height`` replace the size of the test pipeline's
``Resize`` (frames are resized to exactly that size).

Frames are decoded (PyAV) and preprocessed in a background thread, the model runs in the main
thread and a third thread writes the outputs (:func:`custom_modules.apis.infer_video`).
Preprocessing is the config's ``test_dataloader`` pipeline without its loading step, applied to
the decoded BGR frame; the model's data preprocessor normalises as in testing.

Outputs:
    ``--out``: ``frame_id,pred`` for EVERY decoded frame (frame_id from ``--frame-base``,
    0 by default; pred = crash probability), written atomically (an interrupted run leaves no
    partial CSV). With a folder of videos: ONE combined CSV ``video,frame_id,pred`` (video = file
    stem). ``--out-dir``: one ``<stem>.csv`` per video instead (a ``--out`` path not ending in
    ``.csv`` means the same, as the old ``--output-csv`` did).
    ``--out-video``: each frame with its probability (and the true label with ``--input-csv``);
    a folder of ``<stem>.mp4`` for a folder of videos. Without a value: ``<csv stem>.mp4``
    beside the CSV (per video with ``--out-dir``; beside a combined ``x.csv``: folder ``x/``).
    ``--input-csv``: per-frame labels (the crash solution's format: a frame index column and a
    type column, ``before crush`` / ``crush moment`` / ``after crush``; a folder of
    ``<stem>.csv`` for a folder of videos): ROC AUC, accuracy and log loss are printed. A file
    whose rows do not match the video's frames is an error naming the file and the row.

``--config``/``--checkpoint``, ``--output-csv`` and ``--output-video`` are accepted as before, and
the origin's ``--input_video``, ``--input_csv``, ``--output_csv``, ``--output_video`` and
``--model`` (the checkpoint).
The checkpoint loads through podium's trust policy: a checkpoint written by a podium run on
this machine loads fully; any other file weights-only (``--trust-checkpoint`` opts a file in).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import custom_modules  # noqa: E402, F401  (first: compat patches, then registration)
from custom_modules import apis  # noqa: E402
from custom_modules.apis import cli_args  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402
from custom_modules.utils.validation import duplicated, list_some  # noqa: E402
from custom_modules.utils.video import VIDEO_EXTS, find_videos  # noqa: E402

BESIDE_CSV = Path('<csv stem>.mp4')  # --out-video without a value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 2)[2])
    cli_args.add_model_args(p, flag_aliases=True, config_from_checkpoint=True)
    p.add_argument('--input-video', '--input_video', required=True, type=Path,
                   help='a video or a folder of them')
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument('--out', '--output-csv', '--output_csv', type=Path,
                     help='frame_id,pred CSV; for a folder of videos one combined CSV with a '
                     'video column')
    out.add_argument('--out-dir', type=Path, help='a folder: one <stem>.csv per video')
    p.add_argument('--input-csv', '--input_csv', type=Path,
                   help='labels CSV (frame index + type); for a folder: a folder of <stem>.csv')
    p.add_argument('--out-video', '--output-video', '--output_video', type=Path, nargs='?',
                   const=BESIDE_CSV, metavar='PATH',
                   help='annotated video; for a folder: a folder of <stem>.mp4. Without PATH: '
                   '<csv stem>.mp4 beside each CSV (beside a combined CSV: a folder named '
                   'after it)')
    p.add_argument('--width', type=positive_int,
                   help="resize frames to this width instead of the config's test Resize")
    p.add_argument('--height', type=positive_int,
                   help="resize frames to this height instead of the config's test Resize")
    p.add_argument('--threshold', type=float, default=0.5,
                   help='probability threshold for the accuracy and the annotation colour')
    p.add_argument('--frame-base', type=int, choices=(0, 1), default=0,
                   help='number of the first frame in the CSV and annotations')
    p.add_argument('--queue-size', type=int, default=4, help='batches buffered between threads')
    p.add_argument('--exts', default=','.join(VIDEO_EXTS), help='video extensions for a folder')
    args = cli_args.model_args(p, argv)
    if args.queue_size < 1:
        p.error('--queue-size must be >= 1')
    return args


@dataclass
class Job:
    """One video and where its outputs go."""

    video: Path
    labels: Path | None
    output_csv: Path | None  # None: rows go to the combined CSV
    output_video: Path | None


def find_inputs(args: argparse.Namespace) -> tuple[list[Path], Path | None]:
    """The videos, and the folder of their label CSVs (None without labels).

    Raises:
        PodiumError: A path that does not exist, no videos, or videos without labels.
    """
    src, labels = args.input_video, args.input_csv
    if src.is_file():
        if labels is not None and not labels.is_file():
            raise PodiumError(f'--input-csv {labels} is not a file')
        return [src], labels
    if not src.is_dir():
        raise PodiumError(f'--input-video {src} does not exist')
    videos = find_videos(src, args.exts.split(','))
    if not videos:
        raise PodiumError(f'no videos ({args.exts}) under {src}')
    clashes = duplicated(v.stem for v in videos)
    if clashes:
        raise PodiumError(f'videos under {src} share stems (they name the outputs): {clashes}')
    if labels is not None:
        if not labels.is_dir():
            raise PodiumError(f'--input-video is a folder, so --input-csv must be a folder of '
                              f'<stem>.csv files; {labels} is not a folder')
        missing = [f'{labels / (v.stem + ".csv")}' for v in videos
                   if not (labels / f'{v.stem}.csv').is_file()]
        if missing:
            raise PodiumError(f'no labels for {len(missing)} video(s): {list_some(missing)}')
    return videos, labels


def plan_jobs(args: argparse.Namespace) -> tuple[list[Job], Path | None]:
    """Each video with its labels and outputs; the combined CSV (``--out`` for a folder of
    videos; jobs then have no ``output_csv``), else None.

    ``--out-video`` without a value: ``<csv stem>.mp4`` beside the video's CSV; a folder of
    videos with one combined CSV ``x.csv`` gets the folder ``x/`` of ``<video stem>.mp4``.

    Raises:
        PodiumError: See :func:`find_inputs`; an annotated video that would overwrite its input.
    """
    videos, labels = find_inputs(args)
    if args.input_video.is_file():
        csv = args.out or args.out_dir / f'{videos[0].stem}.csv'
        video = csv.with_suffix('.mp4') if args.out_video is BESIDE_CSV else args.out_video
        jobs, combined = [Job(videos[0], labels, csv, video)], None
    else:
        out_dir = args.out_dir
        if out_dir is None and args.out.suffix.lower() != '.csv':
            out_dir = args.out  # as the old --output-csv FOLDER
        combined = None if out_dir else args.out
        video_dir = args.out_video
        if video_dir is BESIDE_CSV:
            video_dir = out_dir or combined.with_suffix('')
        jobs = [Job(v, labels / f'{v.stem}.csv' if labels else None,
                    out_dir / f'{v.stem}.csv' if out_dir else None,
                    video_dir / f'{v.stem}.mp4' if video_dir else None) for v in videos]
    clobbered = [str(j.video) for j in jobs
                 if j.output_video and j.output_video.resolve() == j.video.resolve()]
    if clobbered:
        raise PodiumError(f'the annotated video would overwrite its input: {list_some(clobbered)}'
                          '; give --out-video PATH')
    return jobs, combined


def format_scores(scores: dict[str, float]) -> str:
    return (f'AUC {scores["auc"]:.4f}  accuracy {scores["acc"]:.4f}  log loss '
            f'{scores["log_loss"]:.4f}  ({scores["frames"]} frames, {scores["positives"]} '
            'crash frames)')


def run_jobs(args: argparse.Namespace, jobs: list[Job], combined_csv: Path | None,
             predictor: apis.FramePredictor) -> list[apis.VideoResult]:
    """Every job through ``infer_video``; a CSV appears only once complete."""
    from tqdm import tqdm

    results = []
    with contextlib.ExitStack() as stack:
        combined = stack.enter_context(apis.FrameCsv(combined_csv, 'video,frame_id,pred')) \
            if combined_csv else None
        for job in tqdm(jobs, desc='videos', unit='video',
                        disable=args.no_progress or len(jobs) == 1):
            with (apis.FrameCsv(job.output_csv, 'frame_id,pred') if job.output_csv
                  else contextlib.nullcontext(combined)) as out:
                result = apis.infer_video(
                    predictor, job.video, batch_size=args.batch_size,
                    write_rows=out.rows('' if job.output_csv else f'{job.video.stem},'),
                    output_video=job.output_video, labels_csv=job.labels,
                    threshold=args.threshold, frame_base=args.frame_base,
                    queue_size=args.queue_size, progress=not args.no_progress)
            results.append(result)
            fps = len(result.probs) / max(result.seconds, 1e-9)
            line = f'{job.video}: {len(result.probs)} frames, {fps:.1f} frames/s'
            if result.metrics:
                line += '\n  ' + format_scores(result.metrics)
            print(line, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from custom_modules.evaluation.crash_metrics import crash_scores

    args = parse_args(argv)
    jobs, combined_csv = plan_jobs(args)
    predictor = apis.FramePredictor(args.config, args.checkpoint, width=args.width,
                                    height=args.height, **cli_args.predictor_options(args))
    results = run_jobs(args, jobs, combined_csv, predictor)
    labelled = [r for r in results if r.labels is not None]
    if len(labelled) > 1:
        scores = crash_scores(np.concatenate([r.labels for r in labelled]),
                              np.concatenate([r.probs for r in labelled]), args.threshold)
        print('all videos: ' + format_scores(scores))
    written = f'wrote {args.out or args.out_dir}'
    annotated = [j.output_video for j in jobs if j.output_video]
    if annotated:
        written += f' and {annotated[0] if len(annotated) == 1 else annotated[0].parent}'
    print(written)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='infer_video'))
