"""What ImageNet weights buy: EfficientNet-Lite0 fine-tuned from ImageNet vs the same net from
scratch, on real photos, at the same budget, side by side in one run.

Both arms are the real ``sports`` flow (``tools/run_solution.py train`` then ``inference``) on the
same data: ``sports_lite`` (Lite0 with the ImageNet weights that install.sh converts into
checkpoints/) and ``sports_lite_scratch`` (the same manifest, config and schedule with the
backbone randomly initialised). The data is a stratified subset of Fashion-MNIST (Zalando's real
product photos, 10 classes; Debian package ``dataset-fashion-mnist``) imported by
``tools/data/import_idx_images.py``, or any sports-layout folder with a ``test_labels.csv``.
Printed beside them: the constant (majority class) and weighted-random baselines.

    python bench/transfer.py [--train-size 2000] [--test-size 1000] [--data DIR] \
        [--gpus 1] [--work-dir work_dirs/bench/transfer]
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from custom_modules.utils.atomic import atomic_write_json  # noqa: E402

ARMS = (('imagenet', 'sports_lite', 'Lite0 fine-tuned from ImageNet'),
        ('scratch', 'sports_lite_scratch', 'Lite0 from scratch'))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', type=Path, help='a sports-layout folder with test_labels.csv '
                   '(default: a Fashion-MNIST subset imported into <work-dir>/data)')
    p.add_argument('--train-size', type=int, default=2000)
    p.add_argument('--test-size', type=int, default=1000)
    p.add_argument('--gpus', type=int, default=1, help='processes per run (train.sh N)')
    p.add_argument('--arms', nargs='+', default=[a[0] for a in ARMS],
                   choices=[a[0] for a in ARMS])
    p.add_argument('--work-dir', type=Path, default=REPO / 'work_dirs/bench/transfer')
    return p.parse_args(argv)


def import_subset(out: Path, train_size: int, test_size: int) -> Path:
    """A Fashion-MNIST subset in the sports layout (kept between runs of the same sizes)."""
    marker = out / 'train.csv'
    if marker.is_file() and len(pd.read_csv(marker)) == train_size \
            and len(pd.read_csv(out / 'test.csv')) == test_size:
        return out
    subprocess.run([sys.executable, str(REPO / 'tools/data/import_idx_images.py'), '--out',
                    str(out), '--train-size', str(train_size), '--test-size', str(test_size)],
                   check=True)
    return out


def run_arm(manifest: str, data: Path, work_dir: Path, gpus: int) -> dict[str, float]:
    """Trains and predicts one manifest on ``data``; seconds of each mode."""
    env = {**os.environ, 'DATA_ROOT': str(data), 'WORK_DIR': str(work_dir), 'FORCE': '1'}
    seconds = {}
    for mode in ('train', 'inference'):
        start = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / 'tools/run_solution.py'), mode,
                        '--solution', manifest, '--gpus', str(gpus)], env=env, check=True)
        seconds[mode] = time.perf_counter() - start
    return seconds


def scores(submission: Path, data: Path) -> dict[str, float]:
    """Accuracy and macro F1 of a submission against ``test_labels.csv``, matched by id."""
    from custom_modules.evaluation.classification_report import classification_report

    classes, truth = class_names(data), pd.read_csv(data / 'test_labels.csv')
    sub = pd.read_csv(submission).set_index('image_id').loc[truth.image_id]
    index = {c: k for k, c in enumerate(classes)}
    report = classification_report([index[c] for c in truth.label],
                                   [index[c] for c in sub.label], len(classes),
                                   train_counts=train_counts(data, classes))
    return {'accuracy': report.accuracy, 'macro_f1': report.macro_f1,
            'baseline_accuracy': report.baseline_accuracy,
            'baseline_macro_f1': report.baseline_macro_f1}


def class_names(data: Path) -> list[str]:
    if (data / 'classes.txt').is_file():
        return (data / 'classes.txt').read_text(encoding='utf-8').split()
    return sorted(pd.read_csv(data / 'train.csv').label.unique())


def train_counts(data: Path, classes: list[str]) -> np.ndarray:
    counts = pd.read_csv(data / 'train.csv').label.value_counts()
    return np.array([counts.get(c, 0) for c in classes], np.float64)


def majority_accuracy(data: Path) -> float:
    """Accuracy of always answering the most frequent training class."""
    top = pd.read_csv(data / 'train.csv').label.value_counts().index[0]
    return float((pd.read_csv(data / 'test_labels.csv').label == top).mean())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = (args.data or import_subset(args.work_dir / 'data', args.train_size,
                                       args.test_size)).resolve()
    results = {}
    for key, manifest, what in ARMS:
        if key not in args.arms:
            continue
        wd = args.work_dir / key
        print(f'\n=== {what}: {manifest} on {data} ===', flush=True)
        seconds = run_arm(manifest, data, wd, args.gpus)
        results[key] = {'manifest': manifest, 'what': what, **seconds,
                        **scores(wd / 'submission.csv', data)}
    first = next(iter(results.values()))
    rows = [(r['what'], f'{r["accuracy"]:.4f}', f'{r["macro_f1"]:.4f}', f'{r["train"]:.0f} s')
            for r in results.values()]
    rows += [('constant (majority class)', f'{majority_accuracy(data):.4f}', '', ''),
             ('weighted random', f'{first["baseline_accuracy"]:.4f}',
              f'{first["baseline_macro_f1"]:.4f}', '')]
    n_train, n_test = len(pd.read_csv(data / 'train.csv')), len(pd.read_csv(data / 'test.csv'))
    print(f'\ntransfer on {data.name}: {n_train} train / {n_test} test images, '
          f'{len(class_names(data))} classes; {os.cpu_count()} CPUs, {platform.processor()}')
    widths = [max(len(r[i]) for r in rows + [HEADER]) for i in range(4)]
    for row in [HEADER] + rows:
        print('  '.join(cell.ljust(w) for cell, w in zip(row, widths)))
    if {'imagenet', 'scratch'} <= results.keys():
        gain = results['imagenet']['accuracy'] - results['scratch']['accuracy']
        print(f'ImageNet weights: {gain:+.4f} test accuracy at the same budget')
    out = args.work_dir / 'transfer.json'
    atomic_write_json(out, {'data': str(data), 'train_images': n_train, 'test_images': n_test,
                            'load_average': os.getloadavg(), 'arms': results,
                            'majority_accuracy': majority_accuracy(data)})
    print(f'saved {out}')
    return 0


HEADER = ('model', 'test acc', 'macro F1', 'train time')

if __name__ == '__main__':
    sys.exit(main())
