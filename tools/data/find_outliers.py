"""Find suspicious training images (wrong label, junk, duplicates of another class) from embeddings.

    python tools/data/find_outliers.py CONFIG CHECKPOINT --out-dir work_dirs/sports/outliers \
        (--csv train.csv --image-dir train/ | --list train_all.txt --image-dir train/ |
         --folder train/) [--classes classes.txt] [--top 8] [--suspects 0.05]
        [--device cpu] [--batch-size 32] [--trust-checkpoint FILE]

Each image is embedded by the trained model (the features its head sees) and scored two ways,
higher = more suspicious: ``iforest`` (an IsolationForest over all embeddings: junk, an unseen
kind of picture) and ``centroid_ratio`` (distance to its own class centroid over the distance to
the nearest other one: above 1 a likely wrong label, ``nearest_class`` names it); ``score`` is
the larger of their robust z-scores. The method is :mod:`custom_modules.apis.outliers`.

Writes ``outliers.csv`` (every image, most suspicious first; ``suspect`` marks the top
``--suspects`` fraction), ``contact_sheet.png`` (per class, its ``--top`` most suspicious
images with their scores) and ``embeddings.npz``. Nothing is deleted or moved.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import custom_modules  # noqa: E402, F401  (first: compat patches, then registration)
from custom_modules import apis  # noqa: E402
from custom_modules.apis import cli_args  # noqa: E402
from custom_modules.apis.outliers import find_outliers  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.validation import read_class_list  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Suspicious training images from embeddings')
    cli_args.add_model_args(parser)
    cli_args.add_image_source_args(parser, '--folder', 'one sub-folder per class',
                                   csv_help='image_id,label CSV (train.csv)')
    parser.add_argument('--classes', help='class names (default: the checkpoint\'s)')
    parser.add_argument('--out-dir', required=True, help='where the CSV, PNG and npz go')
    parser.add_argument('--top', type=int, default=8, help='images per class on the sheet')
    parser.add_argument('--suspects', type=float, default=0.05,
                        help='fraction of images flagged `suspect` (default: %(default)s)')
    args = cli_args.model_args(parser, argv)
    if (args.csv or args.list) and not args.image_dir:
        parser.error('--csv and --list need --image-dir')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    predictor = apis.ImagePredictor(args.config, args.checkpoint,
                                    classes=read_class_list(args.classes) if args.classes else None,
                                    **cli_args.predictor_options(args))
    items = apis.read_image_items(args.csv, args.list, args.folder, args.image_dir,
                                  classes=predictor.classes)
    table = find_outliers(predictor, items, args.out_dir, args.top, args.suspects,
                          args.batch_size, not args.no_progress)
    flagged = table[table['suspect']]
    print(f'{len(table)} images scored; {len(flagged)} suspects, the first:')
    print(flagged.head(10)[['image_id', 'label', 'score', 'nearest_class']].to_string(index=False))
    print(f'wrote {Path(args.out_dir) / "outliers.csv"} and contact_sheet.png (nothing deleted)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='find_outliers'))
