"""Turn a competition's raw annotations into training lists: one entry point, four sub-commands.

    action    train.csv + extracted frames -> k-fold rawframe lists, test list, COCO boxes
    crash     per-video frame CSVs + extracted frames -> frame table, k-fold by video
    images    image_id,label CSV (or class folders) -> holdout / k-fold image lists
    localize  <id>.jpg + <id>.txt boxes -> one table with normalised boxes, k-fold

Every input is validated first; on any problem all of them are printed (file:line: message),
the exit code is 2 and no output file is written. The logic lives in custom_modules/data_prep/
(action_lists, crash_lists, image_lists, localize_lists).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.data_prep.action_lists import prepare_action  # noqa: E402
from custom_modules.data_prep.crash_lists import prepare_crash  # noqa: E402
from custom_modules.data_prep.image_lists import prepare_images  # noqa: E402
from custom_modules.data_prep.localize_lists import prepare_localize  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import PodiumError  # noqa: E402
from custom_modules.utils.image_check import decode_cache_for  # noqa: E402
from custom_modules.utils.validation import parse_multipliers  # noqa: E402


def _add_common(p: argparse.ArgumentParser, folds: int | None = 5) -> None:
    p.add_argument('--out-dir', type=Path, required=True, help='where the lists are written')
    p.add_argument('--seed', type=int, default=0, help='split seed (recorded in split.json)')
    if folds is not None:
        p.add_argument('--folds', type=int, default=folds, help='number of folds')


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                epilog=__doc__.split('\n\n', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='command', required=True)

    a = sub.add_parser('action', help='action recognition lists (+ COCO boxes)')
    a.add_argument('--train-csv', type=Path, required=True, help='video_filename,class')
    a.add_argument('--rawframes', type=Path, required=True, help='extract_frames output root')
    a.add_argument('--classes', type=Path, help='class list (one per line; default: sorted)')
    a.add_argument('--oversample', nargs='+', default=[], metavar='CLASS=N',
                   help='class multipliers for the oversampled train lists')
    a.add_argument('--sample-submission', type=Path, help='video_filename column: test order')
    a.add_argument('--test-rawframes', type=Path, help='rawframes root of the test videos')
    a.add_argument('--boxes', type=Path,
                   help='filename,categoryid,width,height,xmin,ymin,xmax,ymax (frame boxes)')
    a.add_argument('--det-classes', type=Path, help='detector class list (one per line)')
    a.add_argument('--det-id-start', type=int, default=1, help='categoryid of the first class')
    a.add_argument('--clip-boxes', action='store_true', help='clip boxes to the image')
    _add_common(a)

    c = sub.add_parser('crash', help='crash-moment frame table, k-fold by video')
    c.add_argument('--labels-dir', type=Path, required=True, help='<video stem>.csv files')
    c.add_argument('--rawframes', type=Path, required=True, help='extract_frames output root')
    c.add_argument('--frame-col', help='frame index column (default: auto)')
    c.add_argument('--type-col', help='type column (default: auto)')
    _add_common(c)

    i = sub.add_parser('images', help='image classification lists')
    src = i.add_mutually_exclusive_group(required=True)
    src.add_argument('--train-csv', type=Path, help='image_id,label (with --image-dir)')
    src.add_argument('--folder', type=Path, help='one sub-folder per class')
    i.add_argument('--image-dir', type=Path, help='folder of the train CSV images')
    i.add_argument('--classes', type=Path, help='class list (one per line; default: sorted)')
    split = i.add_mutually_exclusive_group(required=True)
    split.add_argument('--valid-size', type=float, help='stratified holdout fraction')
    split.add_argument('--folds', type=int, help='stratified k-fold')
    i.add_argument('--test-csv', type=Path, help='image_id column: test list and order')
    i.add_argument('--test-dir', type=Path, help='folder of the test images')
    i.add_argument('--decode', action=argparse.BooleanOptionalAction, default=True,
                   help='fully decode every image, in parallel (default; --no-decode reads '
                   'headers only and misses truncated files)')
    _add_common(i, folds=None)

    loc = sub.add_parser('localize', help='single-object box table, k-fold')
    loc.add_argument('--data-dir', type=Path, required=True, help='<id>.jpg + <id>.txt pairs')
    loc.add_argument('--classes', type=Path, help='class list (one per line; default: sorted)')
    loc.add_argument('--test-dir', type=Path, help='folder of test images')
    loc.add_argument('--clip-boxes', action='store_true', help='clip boxes to the image')
    _add_common(loc)
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> list[Path]:
    """Runs the chosen sub-command; returns the files written."""
    if args.command == 'action':
        return prepare_action(
            args.train_csv, args.rawframes, args.out_dir, classes=args.classes, folds=args.folds,
            seed=args.seed, oversample=parse_multipliers(args.oversample),
            sample_submission=args.sample_submission, test_rawframes_root=args.test_rawframes,
            boxes_csv=args.boxes, det_classes=args.det_classes, det_id_start=args.det_id_start,
            clip_boxes=args.clip_boxes).files
    if args.command == 'crash':
        return prepare_crash(args.labels_dir, args.rawframes, args.out_dir, folds=args.folds,
                             seed=args.seed, frame_col=args.frame_col,
                             type_col=args.type_col).files
    if args.command == 'images':
        if args.train_csv is not None and args.image_dir is None:
            raise PodiumError('--train-csv needs --image-dir')
        return prepare_images(
            args.out_dir, train_csv=args.train_csv, image_dir=args.image_dir, folder=args.folder,
            classes=args.classes, valid_size=args.valid_size, folds=args.folds, seed=args.seed,
            test_csv=args.test_csv, test_dir=args.test_dir, decode=args.decode,
            decode_cache=decode_cache_for(args.image_dir or args.folder)).files
    return prepare_localize(args.data_dir, args.out_dir, classes=args.classes, folds=args.folds,
                            seed=args.seed, test_dir=args.test_dir,
                            clip_boxes=args.clip_boxes).files


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    files = run(args)
    print(f'wrote {len(files)} files to {args.out_dir}:')
    for f in files:
        print(f'  {f.name}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='preprocess'))
