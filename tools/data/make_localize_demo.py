"""Generate podium's tiny, deterministic, SYNTHETIC single-object dataset (``localize_demo``).

Images of varied sizes with one disc or square each and its exact box (`<id>.txt`), in the
localize solution's layout, plus the hidden test boxes. Idempotent; see
custom_modules/demo_data/localize_demo.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.demo_data.localize_demo import FOLDER  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402

main = FOLDER.command(__doc__)

if __name__ == '__main__':
    sys.exit(run_cli(main, prog='make_localize_demo'))
