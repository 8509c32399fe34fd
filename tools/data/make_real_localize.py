"""Build a real-image single-object localisation set (real product photos on real photographs).

Objects: two Fashion-MNIST classes (Zalando's real product photos; Debian package
``dataset-fashion-mnist``: ``apt-get install dataset-fashion-mnist``), balanced. Backgrounds:
random crops of the photographs that scikit-learn and matplotlib ship (default), or of any photos
given with ``--backgrounds`` (e.g. ``/usr/share/backgrounds`` after ``apt-get install
lomiri-wallpapers-16.04``). One object per image at a random place and scale, its tight box in
``<id>.txt``; hidden test boxes in ``test_boxes.csv``. Deterministic from ``--seed``; kept when
already built with the same settings. The library is custom_modules/data_prep/real_localize.py.

Example (the set of the ``localize_real`` solution and of bench/localize_real.py):
    python tools/data/make_real_localize.py --out data/localize_real
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.data_prep.idx_images import FASHION_MNIST_CLASSES  # noqa: E402
from custom_modules.data_prep.real_localize import (  # noqa: E402
    DEFAULT_CLASSES,
    FASHION_MNIST_DIR,
    RealLocalizeParams,
    build_real_localize,
)
from custom_modules.utils.cli import run_cli  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    d = RealLocalizeParams()
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', type=Path, default=Path('data/localize_real'), help='data root')
    p.add_argument('--train-size', type=int, default=d.n_train)
    p.add_argument('--test-size', type=int, default=d.n_test)
    p.add_argument('--size', type=int, default=d.long_side, help='long side of every image (px)')
    p.add_argument('--classes', nargs='+', default=list(DEFAULT_CLASSES),
                   choices=FASHION_MNIST_CLASSES, metavar='NAME',
                   help=f'Fashion-MNIST classes (default: {" ".join(DEFAULT_CLASSES)})')
    p.add_argument('--backgrounds', nargs='+', type=Path, metavar='PATH',
                   help='photos or folders of photos (default: the photos scikit-learn and '
                   'matplotlib ship)')
    p.add_argument('--source', type=Path, default=FASHION_MNIST_DIR,
                   help='folder with Fashion-MNIST\'s IDX files')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--force', action='store_true', help='rebuild even when up to date')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = RealLocalizeParams(n_train=args.train_size, n_test=args.test_size,
                                long_side=args.size)
    start = time.perf_counter()
    marker = build_real_localize(args.out, seed=args.seed, classes=args.classes,
                                 backgrounds=args.backgrounds, source=args.source,
                                 params=params, force=args.force)
    counts = marker['counts']
    print(f'{args.out}: {counts["train"]} train, {counts["test"]} test images of '
          f'{" / ".join(marker["spec"]["classes"])} on {len(marker["spec"]["backgrounds"])} '
          f'background photos ({time.perf_counter() - start:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='make_real_localize'))
