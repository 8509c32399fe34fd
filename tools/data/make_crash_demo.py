"""Generate podium's tiny, deterministic, SYNTHETIC dashcam-like crash dataset (``crash_demo``).

Drawn road clips whose crush-moment frames shake and flash, with one frame,type CSV per clip,
in the crash solution's layout. Leaves a complete folder alone (--force regenerates) and never
touches a folder it did not make. Details: custom_modules/demo_data/crash_demo.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.demo_data.crash_demo import FOLDER  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402

main = FOLDER.command(__doc__)

if __name__ == '__main__':
    sys.exit(run_cli(main, prog='make_crash_demo'))
