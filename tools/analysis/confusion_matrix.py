"""Confusion matrix (PNG and CSV), accuracy and macro F1 of a prediction dump.

Input is what ``tools/test.py --dump preds.pkl`` writes on a labelled split (val): a test list's
placeholder label -1 is an error. The PNG has two panels, raw counts and row-normalised; the CSV
beside it holds the counts (:mod:`custom_modules.visualization.confusion_matrix`).

Example::

    python tools/analysis/confusion_matrix.py work_dirs/tsm/preds.pkl data/action/classes.txt \
        --out work_dirs/tsm/confusion.png
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.visualization import plot_confusion_matrix  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dump', metavar='DUMP.pkl',
                        help='pickle written by tools/test.py --dump (a labelled split)')
    parser.add_argument('classes', help='class list file, one name per line in label order')
    parser.add_argument('--out', help='PNG path (default: <dump stem>_confusion.png beside the '
                        'dump); the CSV goes beside it')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dump = Path(args.dump)
    out = Path(args.out) if args.out else dump.with_name(f'{dump.stem}_confusion.png')
    result = plot_confusion_matrix(dump, args.classes, out)
    print(f'accuracy {result["accuracy"]:.4f}  macro_f1 {result["macro_f1"]:.4f}')
    print(f'wrote {out} and {out.with_suffix(".csv")}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='confusion_matrix'))
