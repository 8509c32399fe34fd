"""Predict the class of images with an MMPretrain config and checkpoint -> ``image_id,label`` CSV.

    python tools/predict_images.py CONFIG CHECKPOINT --out preds.csv \
        (--csv test.csv --image-dir test/ | --list test.txt --image-dir test/ [--ids ids.txt] |
         --images folder/) [--classes classes.txt] [--topk K] [--npz probs.npz]
        [--sort-into DIR [--sort-mode symlink|copy]] [--device cpu|cuda:0] [--batch-size 32]
        [--workers N] [--trust-checkpoint FILE] [--cfg-options k=v ...]

Rows keep the input's ids and order: test.csv's ``image_id`` (with or without extension, found
as tools/data/preprocess.py finds them), a list's lines (``path [label]``, ids from ``--ids``
such as the image lists' ``test_ids.txt``, else the path), or a folder's images sorted by
relative path (id = that path). ``label`` is the class NAME (from ``--classes``, else the
checkpoint's ``dataset_meta``). ``--topk K`` adds ``top1_label,top1_prob,...,topK_label,topK_prob``;
``--npz`` writes every probability as a podium prediction file (tools/ensemble.py reads it).
``--sort-into DIR`` puts a symlink (or copy) of each image into ``DIR/<predicted class>/`` for
eyeballing; DIR must be new or empty and appears complete or not at all.

The CSV is written atomically. The checkpoint loads through podium's trust policy: a file not
written by a podium run on this machine loads weights-only (``--trust-checkpoint`` opts in).
The work is done by :mod:`custom_modules.apis`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import custom_modules  # noqa: E402, F401  (first: compat patches, then registration)
from custom_modules import apis  # noqa: E402
from custom_modules.apis import cli_args  # noqa: E402
from custom_modules.predictions.io import save_predictions  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402
from custom_modules.utils.validation import read_class_list  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Predict image classes -> image_id,label CSV')
    cli_args.add_model_args(parser)
    cli_args.add_image_source_args(
        parser, '--images', 'a folder: every image under it, sorted',
        csv_help='CSV with an image_id column (test.csv): ids and order')
    parser.add_argument('--ids', help='with --list: one id per line, same order (test_ids.txt)')
    parser.add_argument('--out', required=True, help='output CSV')
    parser.add_argument('--classes', help='class names, one per line in label order (default: '
                        'the checkpoint\'s dataset_meta)')
    parser.add_argument('--topk', type=int, default=0, help='add the top-K labels and '
                        'probabilities as columns')
    parser.add_argument('--npz', help='also write all probabilities (podium prediction file)')
    parser.add_argument('--sort-into', metavar='DIR', help='put each image into '
                        'DIR/<predicted class>/ (new or empty DIR)')
    parser.add_argument('--sort-mode', choices=['symlink', 'copy'], default='symlink')
    parser.add_argument('--workers', type=int, default=0, help='DataLoader worker processes')
    args = cli_args.model_args(parser, argv)
    if args.csv and not args.image_dir:
        parser.error('--csv needs --image-dir')
    if args.ids and not args.list:
        parser.error('--ids goes with --list')
    if args.topk < 0:
        parser.error('--topk must be >= 0')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    items = apis.read_image_items(args.csv, args.list, args.images, args.image_dir, args.ids)
    predictor = apis.ImagePredictor(args.config, args.checkpoint,
                                    classes=read_class_list(args.classes) if args.classes else None,
                                    **cli_args.predictor_options(args))
    classes = predictor.classes  # the given list, else the checkpoint's (read once, trusted)
    if args.topk > len(classes):
        raise PodiumError(f'--topk {args.topk} but only {len(classes)} classes')
    probs = predictor.predict_paths([i.path for i in items], args.batch_size, args.workers,
                                    not args.no_progress)
    labels = [classes[k] for k in probs.argmax(axis=1)]
    if args.sort_into:
        apis.sort_into(args.sort_into, items, labels, args.sort_mode)
    if args.npz:
        save_predictions(args.npz, [i.image_id for i in items], probs, classes=classes,
                         sources=[str(args.checkpoint)])
    apis.write_topk_csv(args.out, items, probs, classes, args.topk)
    counts = {c: labels.count(c) for c in classes}
    print(f'{len(items)} images -> {args.out}; predicted per class: {counts}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='predict_images'))
