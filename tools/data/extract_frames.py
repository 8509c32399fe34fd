"""Extract video frames to `<root>/<video stem>/img_00001.jpg ...` for MMAction2 rawframes.

Frames are numbered from 1; each finished video gets `<root>/<stem>/meta.json` (frame count,
fps, size). Parallel (one process per video) and resumable: run the same command again after
an interruption. The library is custom_modules/data_prep/frame_extraction.py.

A partial video (its container declares more frames than decode) keeps the frames that decode
and is reported with both counts; the exit status stays 0 unless `--strict` (then 2).

Example:
    python tools/data/extract_frames.py --dir data/action/train --output-root data/action/rawframes
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.data_prep.frame_extraction import extract_videos  # noqa: E402
from custom_modules.data_prep.frame_records import REPORT_NAME, ExtractOptions  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402
from custom_modules.utils.video import VIDEO_EXTS, find_videos  # noqa: E402


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
    p.add_argument('--out-dir', '--output-root', dest='output_root', type=Path, required=True,
                   help='rawframes root')
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
    p.add_argument('--strict', action='store_true',
                   help='exit 2 if some videos are partial (fewer frames decode than they '
                   'declare; their frames are kept all the same)')
    p.add_argument('--report', type=Path, help='JSON report path '
                   f'(default: <output-root>/{REPORT_NAME})')
    p.add_argument('--no-progress', action='store_true', help='hide the progress bars')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = ExtractOptions(fps=args.fps, every_n=args.every_n, short_side=args.short_side,
                             size=args.size, ext=args.ext, quality=args.quality)
    if args.dir is not None:
        if not args.dir.is_dir():
            raise PodiumError(f'{args.dir} is not a folder')
        videos = find_videos(args.dir, args.exts.split(','))
        if not videos:
            raise PodiumError(f'no videos with extensions {args.exts} under {args.dir}')
    else:
        videos = args.video
    try:
        report = extract_videos(videos, args.output_root, options, workers=args.workers,
                                overwrite=args.overwrite, progress=not args.no_progress,
                                report_path=args.report, strict=args.strict)
    except KeyboardInterrupt:
        print('\ninterrupted: finished videos are kept; run the same command to resume',
              file=sys.stderr)
        return 130
    counts = report.to_dict()['counts']
    print(f'{counts["done"]} extracted, {counts["skipped"]} already complete, '
          f'{counts["partial"]} partial, {counts["failed"]} failed; '
          f'{report.frames_written} frames in {report.seconds:.1f} s')
    where = args.report or args.output_root / REPORT_NAME
    if report.failed:
        print(f'failed videos and reasons: {where}', file=sys.stderr)
        for r in report.failed:
            print(f'  {r.video}: {r.reason}', file=sys.stderr)
        if not args.skip_bad:
            return 1
    if report.partial and args.strict:
        print(f'--strict: {len(report.partial)} partial videos (frames kept; see {where}):',
              file=sys.stderr)
        for r in report.partial:
            print(f'  {r.video}: {r.reason}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='extract_frames'))
