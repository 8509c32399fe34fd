"""Generate podium's tiny, deterministic, SYNTHETIC action dataset (the ``demo`` solution's data).

Videos of one shape moving over noise (the class is the direction), train.csv,
sample_submission.csv, exact frame boxes and the hidden test labels, in the action solution's
layout. A complete folder for the same seed is left alone, --force regenerates, a folder not made
by this generator is refused. Layout and cues: custom_modules/demo_data/action_demo.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.demo_data.action_demo import FOLDER  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402

main = FOLDER.command(__doc__)

if __name__ == '__main__':
    sys.exit(run_cli(main, prog='make_demo_data'))
