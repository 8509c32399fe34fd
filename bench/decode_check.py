"""Benchmark the preflight's full decode of every image: first run against the cached rerun.

Takes 10,000 real images (Fashion-MNIST photos imported with ``tools/data/import_idx_images.py``
from Debian's ``dataset-fashion-mnist``, or the train images of ``--data``) and times
:func:`custom_modules.utils.image_check.check_images` four ways in this process: headers only
(the old default), a full decode in one process, a full decode over the process pool (the new
default, writing a fresh cache) and the rerun on that cache. Prints the ratios and the load.

    python bench/decode_check.py                       (imports 10,000 Fashion-MNIST images)
    python bench/decode_check.py --data data/sports_lite
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custom_modules.utils.atomic import atomic_write_json  # noqa: E402
from custom_modules.utils.image_check import check_images, default_workers  # noqa: E402
from custom_modules.utils.images import list_images  # noqa: E402


def fashion_mnist(out: Path, n: int) -> Path:
    """``n`` Fashion-MNIST training photos as PNGs in the sports layout (``out/train``)."""
    subprocess.run([sys.executable, str(REPO / 'tools/data/import_idx_images.py'), '--out',
                    str(out), '--train-size', str(n), '--test-size', '100'], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def timed(label: str, **kwargs) -> tuple[float, object]:
    t0 = time.monotonic()
    report = check_images(**kwargs)
    seconds = time.monotonic() - t0
    print(f'{label:<34} {seconds:7.2f} s   {len(report.bad)} bad', flush=True)
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', type=Path, help='a sports-layout folder (default: import '
                        'Fashion-MNIST into a temporary one)')
    parser.add_argument('--images', type=int, default=10000)
    parser.add_argument('--workers', type=int, default=default_workers())
    parser.add_argument('--out', type=Path,
                        default=REPO / 'work_dirs' / 'bench' / 'decode_check.json')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = args.data or fashion_mnist(tmp / 'fashion_mnist', args.images)
        paths = [root / 'train' / rel for rel in list_images(root / 'train')][:args.images]
        cache = tmp / 'decode_check.json'
        load = os.getloadavg()
        print(f'{len(paths)} images from {root}; {args.workers} worker(s); load '
              f'{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores')
        header, _ = timed('headers only (no decode)', paths=paths, decode=False)
        serial, _ = timed('full decode, 1 process', paths=paths, workers=1)
        first, _ = timed(f'full decode, {args.workers} processes (1st)', paths=paths,
                         cache_file=cache, workers=args.workers)
        cached, rerun = timed('full decode, rerun on the cache', paths=paths, cache_file=cache,
                              workers=args.workers)
        assert rerun.decoded == 0 and rerun.cached == len(paths)
    print(f'first run {first:.2f} s = {first * 1000 / len(paths):.3f} ms per image; '
          f'pool speed-up {serial / first:.2f}x; cached rerun {cached:.3f} s '
          f'({first / cached:.0f}x faster than the first run, {cached / header:.2f}x the '
          'header-only check)')
    out = args.out
    atomic_write_json(out, {'images': len(paths), 'source': str(root), 'workers': args.workers,
                            'header_s': header, 'serial_s': serial, 'first_s': first,
                            'cached_s': cached, 'ratio_first_to_cached': first / cached,
                            'load': load, 'cores': os.cpu_count()})
    print(f'-> {out}')


if __name__ == '__main__':
    main()
