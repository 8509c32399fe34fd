"""Import real labelled images stored as IDX files (MNIST format) into the sports layout.

By default it takes Fashion-MNIST (Zalando's real product photos, 10 classes) from Debian's
``dataset-fashion-mnist`` package (``apt-get install dataset-fashion-mnist``): a stratified
``--train-size`` subset of its 60,000 training images and a ``--test-size`` subset of its 10,000
test images, as PNGs with ``train.csv``, ``test.csv``, the hidden ``test_labels.csv`` and
``classes.txt``. The library is custom_modules/data_prep/idx_images.py.

Example (the 10-class, 10,000-image set of the ``sports_lite`` solution):
    python tools/data/import_idx_images.py --out data/sports_lite --train-size 10000
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.data_prep.idx_images import (  # noqa: E402
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR,
    Split,
    check_output,
    export_classification,
    read_labelled_images,
    stratified_subset,
)
from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import InputError  # noqa: E402
from custom_modules.utils.validation import read_class_list  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--source', type=Path, default=FASHION_MNIST_DIR,
                   help='folder with train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), '
                   't10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)')
    p.add_argument('--classes', type=Path,
                   help='class list file, one name per label value (default: Fashion-MNIST)')
    p.add_argument('--out', type=Path, required=True, help='output data root (sports layout)')
    p.add_argument('--train-size', type=int, default=10000)
    p.add_argument('--test-size', type=int, default=2000)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def idx_file(source: Path, stem: str) -> Path:
    """``stem`` or ``stem.gz`` in ``source``."""
    for name in (stem + '.gz', stem):
        if (source / name).is_file():
            return source / name
    hint = (' (apt-get install dataset-fashion-mnist)' if source == FASHION_MNIST_DIR else '')
    raise InputError(f'{source / stem}(.gz) not found{hint}')


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_output(args.out)  # before reading 50 MB: a foreign folder is refused at once
    classes = read_class_list(args.classes) if args.classes else list(FASHION_MNIST_CLASSES)
    splits = []
    for name, prefix, size in (('train', 'train', args.train_size),
                               ('test', 't10k', args.test_size)):
        images = idx_file(args.source, f'{prefix}-images-idx3-ubyte')
        labels = idx_file(args.source, f'{prefix}-labels-idx1-ubyte')
        x, y = read_labelled_images(images, labels, classes)
        keep = stratified_subset(y, size, args.seed)
        splits.append(Split(name, x[keep], y[keep]))
        print(f'{name}: {size} of {len(y)} images from {images.name}')
    counts = export_classification(args.out, *splits, classes,
                                   source={'folder': str(args.source), 'seed': args.seed})
    print(f'wrote {args.out}: {counts["train"]} train, {counts["test"]} test images, '
          f'{len(classes)} classes')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='import_idx_images'))
