"""Training curves of work_dirs as PNGs: losses and lr per iteration, val metrics per epoch.

Every run in a work_dir (a resumed run writes a new timestamp folder) is merged in time order
(:mod:`custom_modules.visualization.scalars`), so a resume leaves no abandoned tail on the curves.

Example::

    python tools/analysis/plot_curves.py work_dirs/tsm_r50 [more work_dirs] [--out curves.png]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.visualization import ScalarsError, plot_training_curves  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work_dir(s) of training runs')
    parser.add_argument('--out', help='PNG path (only with one work_dir; default: '
                        '<work_dir>/curves.png)')
    args = parser.parse_args(argv)
    if args.out and len(args.work_dirs) > 1:
        parser.error('--out takes one work_dir; each work_dir gets its own curves.png')
    return args


def main(argv: list[str] | None = None) -> int:
    """Plots each work_dir; one that fails is reported and the others are still plotted."""
    args = parse_args(argv)
    failed = 0
    for work_dir in args.work_dirs:
        try:
            print(plot_training_curves(work_dir, args.out))
        except ScalarsError as err:
            print(f'[plot_curves] error: {err}', file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='plot_curves'))
