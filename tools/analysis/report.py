"""Render a solution's run report, one self-contained ``report.html``, for an existing work dir.

``train.sh`` / ``inference.sh`` write it at the end of every run; this renders it again (after
copying a work dir, or with another data root). The sections read what the runs left
(:mod:`custom_modules.visualization.report`) and say what was not produced.

Example::

    python tools/analysis/report.py demo                      # work_dirs/demo/report.html
    python tools/analysis/report.py --work-dir work_dirs/x --data-root data/x --out x.html
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.utils.cli import run_cli  # noqa: E402
from custom_modules.utils.errors import InputError  # noqa: E402
from custom_modules.visualization.report import SOURCE_FILE, load_source, write_report  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('solution', nargs='?',
                        help='solution name: its work dir is $WORK_DIR or work_dirs/SOLUTION')
    parser.add_argument('--work-dir', type=Path, help='the work dir (instead of SOLUTION)')
    parser.add_argument('--data-root', type=Path,
                        help='the dataset root whose lists/ hold the training labels (default: '
                        f'the one the last run recorded in {SOURCE_FILE}; with SOLUTION and no '
                        'record, $DATA_ROOT or data/SOLUTION)')
    parser.add_argument('--out', type=Path, help='HTML path (default: <work dir>/report.html)')
    args = parser.parse_args(argv)
    if (args.solution is None) == (args.work_dir is None):
        parser.error('give a SOLUTION or --work-dir DIR (one of them)')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work_dir = args.work_dir or Path(os.environ.get('WORK_DIR') or f'work_dirs/{args.solution}')
    if not work_dir.is_dir():
        raise InputError(f'{work_dir}: no such work dir (run `bash train.sh N '
                         f'{args.solution or "SOLUTION"}` first, or give --work-dir)')
    data_root = args.data_root
    if data_root is None and args.solution and not (work_dir / SOURCE_FILE).is_file():
        data_root = Path(os.environ.get('DATA_ROOT') or f'data/{args.solution}')
    source = load_source(work_dir, data_root)
    if args.solution:
        source.solution = args.solution
    print(write_report(source, args.out))
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='report'))
