"""Generate podium's tiny, deterministic, SYNTHETIC image classification dataset (``sports_demo``).

Drawn checkerboards, discs and stripes (imbalanced training classes, a balanced test set) with
train.csv, test.csv and the hidden test labels, in the sports solution's layout. Idempotent;
see custom_modules/demo_data/sports_demo.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.demo_data.sports_demo import FOLDER  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402

main = FOLDER.command(__doc__)

if __name__ == '__main__':
    sys.exit(run_cli(main, prog='make_sports_demo'))
