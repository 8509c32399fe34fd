"""Benchmark ``train.sh --dry-run`` (preflight + plan) on a large image set, against a small one.

Builds a sports-shaped dataset (train.csv image_id,label + test.csv + train/ test/ folders) of N
images, hard links of the sports demo's images (each one a real file whose header the preflight
reads), and times the dry run of the sports demo's models on it in a subprocess, beside the same
dry run on a reference set of ``--reference`` images. The difference is what the data costs; the
reference is the fixed cost (interpreter, the OpenMMLab imports, model builds).

    python bench/dry_run.py --images 10000 --reference 100     (target: under 30 s)
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from custom_modules.utils.atomic import atomic_write_json  # noqa: E402

TARGET_S = 30.0


def make_set(root: Path, demo: Path, n: int) -> None:
    """``n`` train and ``n // 10`` test images linked from the demo's, with their CSVs."""
    with open(demo / 'train.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    sources = {r['image_id']: next((demo / 'train').glob(r['image_id'] + '.*')) for r in rows}
    for split in ('train', 'test'):
        (root / split).mkdir(parents=True)
    train, test = [], []
    for i in range(n + n // 10):
        row = rows[i % len(rows)]
        src = sources[row['image_id']]
        split = 'train' if i < n else 'test'
        image_id = f'img_{i:06d}'
        os.link(src, root / split / f'{image_id}{src.suffix}')
        (train if split == 'train' else test).append((image_id, row['label']))
    with open(root / 'train.csv', 'w', newline='') as f:
        csv.writer(f).writerows([('image_id', 'label'), *train])
    with open(root / 'test.csv', 'w', newline='') as f:
        csv.writer(f).writerows([('image_id',), *((i,) for i, _ in test)])
    shutil.copy(demo / 'classes.txt', root / 'classes.txt')


def dry_run(data: Path, work: Path, manifest: Path) -> tuple[float, str]:
    env = {**os.environ, 'DATA_ROOT': str(data), 'WORK_DIR': str(work)}
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'run_solution.py'), 'train',
                           '--solution', str(manifest), '--dry-run'], env=env, cwd=REPO,
                          capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f'dry run failed ({proc.returncode}):\n{proc.stdout[-3000:]}'
                         f'{proc.stderr[-3000:]}')
    return seconds, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--images', type=int, default=10000)
    parser.add_argument('--reference', type=int, default=100)
    args = parser.parse_args()
    from custom_modules.demo_data.sports_demo import generate

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        generate(tmp / 'demo')
        manifest = tmp / 'sports_user.py'
        manifest.write_text(f"_base_ = {str(REPO / 'configs/solutions/sports_demo.py')!r}\n"
                            'demo_data = False\n')
        results = {}
        for n in (args.reference, args.images):
            make_set(tmp / f'set{n}', tmp / 'demo', n)
            results[n], out = dry_run(tmp / f'set{n}', tmp / f'work{n}', manifest)
            assert 'all checks passed' in out
        ref, big = results[args.reference], results[args.images]
        print(f'dry run, {args.reference:>6} images: {ref:6.1f} s   (reference)')
        print(f'dry run, {args.images:>6} images: {big:6.1f} s   ratio {big / ref:.2f}x, '
              f'{(big - ref) * 1000 / max(args.images - args.reference, 1):.2f} ms per image '
              'beyond the reference')
        verdict = 'meets' if big < TARGET_S else 'MISSES'
        print(f'{verdict} the target of {TARGET_S:.0f} s for {args.images} images')
    out = REPO / 'work_dirs' / 'bench' / 'dry_run.json'
    atomic_write_json(out, {'images': args.images, 'reference_images': args.reference,
                            'seconds': big, 'reference_seconds': ref, 'ratio': big / ref,
                            'target_s': TARGET_S, 'load': os.getloadavg()})
    print(f'-> {out}')


if __name__ == '__main__':
    main()
