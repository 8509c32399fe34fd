"""Dataset statistics for configs: class counts, image/video sizes, durations, channel mean/std.

Mean and std are per channel in RGB order on the 0-255 scale (what OpenMMLab's data
preprocessors take), over a seeded sample of images or frames shrunk to `--resize` pixels.
The library is custom_modules/data_prep/stats.py.

Example:
    python tools/data/stats.py --images data/sports/train --csv data/sports/train.csv \
        --label-col label --out work_dirs/sports/stats.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.data_prep.stats import compute, format_report  # noqa: E402
from custom_modules.utils.atomic import atomic_write_json  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument('--images', type=Path, help='image folder (searched recursively)')
    src.add_argument('--videos', type=Path, help='video folder (searched recursively)')
    src.add_argument('--rawframes', type=Path, help='extract_frames output root')
    p.add_argument('--csv', type=Path, help='annotation CSV for class counts')
    p.add_argument('--label-col', default='label', help='class column of --csv')
    p.add_argument('--sample', type=int, default=1000, help='images/frames for mean/std')
    p.add_argument('--resize', type=int, default=128, help='short side before mean/std')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=8, help='reader threads')
    p.add_argument('--no-mean-std', action='store_true', help='skip the pixel statistics')
    p.add_argument('--out', type=Path, help='write the statistics as JSON here')
    args = p.parse_args(argv)
    if not (args.images or args.videos or args.rawframes or args.csv):
        p.error('give --images, --videos, --rawframes and/or --csv')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stats = compute(images=args.images, videos=args.videos, rawframes=args.rawframes,
                    csv=args.csv, label_col=args.label_col, sample=args.sample,
                    short_side=args.resize, seed=args.seed, workers=args.workers,
                    mean_std=not args.no_mean_std)
    print(format_report(stats))
    if args.out:
        atomic_write_json(args.out, stats)
        print(f'saved {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='stats'))
