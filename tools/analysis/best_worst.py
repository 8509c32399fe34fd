"""Galleries of the best and worst localisations: ``top{k}_best.png`` and ``top{k}_worst.png``.

Predictions are a ``tools/test.py --dump`` pickle (BBoxRegHead samples) or a CSV
``image_id,label,score,xmin,ymin,xmax,ymax`` (the submission format); ground truth is
``annotations.csv`` or any CSV with ``image_id``, ``xmin..ymax`` and ``cls`` or ``label``
(:mod:`custom_modules.predictions.boxes`). Without ground truth the galleries rank by score:
``top{k}_confident.png`` and ``top{k}_least_confident.png``.

Example::

    python tools/analysis/best_worst.py work_dirs/localize/effb0/fold0/val_preds.pkl \
        --truth data/localize/lists/annotations.csv --images data/localize/train \
        --classes data/localize/lists/classes.txt --out-dir work_dirs/localize/effb0/fold0 --k 3
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.visualization import plot_best_worst  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('predictions', help='tools/test.py --dump .pkl, or a submission CSV')
    parser.add_argument('--images', required=True, metavar='DIR', help='folder of the images')
    parser.add_argument('--truth', help='ground-truth CSV (annotations.csv); without it the '
                        'galleries rank by score')
    parser.add_argument('--classes', help='classes.txt, for the captions')
    parser.add_argument('--out-dir', default='.', help='output folder (default: %(default)s)')
    parser.add_argument('--k', type=int, default=3, help='images per gallery (default: 3)')
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error(f'--k must be >= 1, got {args.k}')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    written = plot_best_worst(args.predictions, args.images, args.out_dir, truth=args.truth,
                              k=args.k, classes=args.classes)
    for path in written.values():
        print(path)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='best_worst'))
