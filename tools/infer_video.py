"""Per-frame crash probabilities of a video (or a folder of them) -> CSV, metrics, annotated video.

    python tools/infer_video.py CONFIG CHECKPOINT --input-video clip.mp4 --out clip.csv \
        [--input-csv clip_labels.csv] [--out-video clip_annotated.mp4] [--batch-size 32] \
        [--device cuda:0]

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
    a folder of ``<stem>.mp4`` for a folder of videos.
    ``--input-csv``: per-frame labels (the crash solution's format: a frame index column and a
    type column, ``before crush`` / ``crush moment`` / ``after crush``; a folder of
    ``<stem>.csv`` for a folder of videos): ROC AUC, accuracy and log loss are printed. A file
    whose rows do not match the video's frames is an error naming the file and the row.

``--config``/``--checkpoint``, ``--output-csv`` and ``--output-video`` are accepted as before.
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 2)[2])
    cli_args.add_model_args(p, flag_aliases=True)
    p.add_argument('--input-video', required=True, type=Path, help='a video or a folder of them')
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument('--out', '--output-csv', type=Path,
                     help='frame_id,pred CSV; for a folder of videos one combined CSV with a '
                     'video column')
    out.add_argument('--out-dir', type=Path, help='a folder: one <stem>.csv per video')
    p.add_argument('--input-csv', type=Path,
                   help='labels CSV (frame index + type); for a folder: a folder of <stem>.csv')
    p.add_argument('--out-video', '--output-video', type=Path,
                   help='annotated video; for a folder: a folder of <stem>.mp4')
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
    videos; jobs then have no ``output_csv``), else None."""
    videos, labels = find_inputs(args)
    if args.input_video.is_file():
        return [Job(videos[0], labels, args.out or args.out_dir / f'{videos[0].stem}.csv',
                    args.out_video)], None
    out_dir = args.out_dir
    if out_dir is None and args.out.suffix.lower() != '.csv':
        out_dir = args.out  # as the old --output-csv FOLDER
    return [Job(v, labels / f'{v.stem}.csv' if labels else None,
                out_dir / f'{v.stem}.csv' if out_dir else None,
                args.out_video / f'{v.stem}.mp4' if args.out_video else None)
            for v in videos], None if out_dir else args.out


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
    predictor = apis.FramePredictor(args.config, args.checkpoint,
                                    **cli_args.predictor_options(args))
    results = run_jobs(args, jobs, combined_csv, predictor)
    labelled = [r for r in results if r.labels is not None]
    if len(labelled) > 1:
        scores = crash_scores(np.concatenate([r.labels for r in labelled]),
                              np.concatenate([r.probs for r in labelled]), args.threshold)
        print('all videos: ' + format_scores(scores))
    print(f'wrote {args.out or args.out_dir}'
          + (f' and {args.out_video}' if args.out_video else ''))
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='infer_video'))
