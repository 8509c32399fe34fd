"""The localize flow on real images: constant box, TinyConvNet and ImageNet Lite0 side by side.

The data is the real-image single-object set of ``tools/data/make_real_localize.py`` (Fashion-MNIST
product photos, two classes, pasted at a random place and scale onto real photographs; Debian
package ``dataset-fashion-mnist``), built once into ``<work-dir>/data`` (or ``--data``). Each
model arm is the real localize flow (``tools/run_solution.py train`` then ``inference``) through a
manifest this bench writes beside its outputs (``<work-dir>/<arm>/manifest.py``, inheriting
``configs/solutions/localize_real.py``): TinyConvNet (configs/localize/tinyconvnet-*, no
pretrained weights) and Lite0 from ImageNet (configs/localize/efficientnet-lite0-*, the weights
install.sh converts into checkpoints/). Beside them, the constant baseline: the mean training
box (normalised, scaled to each test image) and the majority class. Scores are on the hidden test
boxes (accuracy, mIoU, IoU@0.5); times are the training stage's wall seconds and the CPU seconds
of the whole ``train`` mode (folds, training, validation). Each arm's curves.png is copied to
``<work-dir>/curves_<arm>.png``.

    python bench/localize_real.py [--train-size 1200] [--test-size 300] [--arms constant tiny lite0]
        [--lite-epochs N] [--lite-size PX] [--lite-lr LR] [--work-dir work_dirs/bench/localize_real]
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from custom_modules.utils.atomic import atomic_write_json, atomic_write_text  # noqa: E402

BOX = ['xmin', 'ymin', 'xmax', 'ymax']
CONFIGS = {'tiny': 'configs/localize/'
                   'tinyconvnet-bboxreg_1xb16-cos-40e_localize-demo-letterbox-64px.py',
           'lite0': 'configs/localize/'
                    'efficientnet-lite0-bboxreg_1xb32-cos-12e_localize-lite-letterbox-160px.py'}
WHAT = {'constant': 'constant box (mean train box, majority class)',
        'tiny': 'TinyConvNet from scratch (64 px)', 'lite0': 'Lite0 from ImageNet'}
TRAIN_DONE = re.compile(r'\[podium\] train \S+ fold\d+: done in ([\d.]+) s')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', type=Path, help='a localize data root with test_boxes.csv '
                   '(default: the real-image set built into <work-dir>/data)')
    p.add_argument('--train-size', type=int, default=1200)
    p.add_argument('--test-size', type=int, default=300)
    p.add_argument('--seed', type=int, default=0, help='seed of the data set')
    p.add_argument('--backgrounds', nargs='+', type=Path, metavar='PATH',
                   help='background photos or folders (default: the bundled photos)')
    p.add_argument('--arms', nargs='+', default=list(WHAT), choices=list(WHAT),
                   help='arms to run, models in this order (default: all)')
    p.add_argument('--lite-epochs', type=int, help='Lite0 epochs (default: its config\'s)')
    p.add_argument('--lite-size', type=int, help='Lite0 input size in px (default: 160)')
    p.add_argument('--lite-lr', type=float, help='Lite0 learning rate (default: its config\'s)')
    p.add_argument('--tiny-epochs', type=int, help='TinyConvNet epochs (default: its config\'s)')
    p.add_argument('--gpus', type=int, default=1, help='processes per run (train.sh N)')
    p.add_argument('--work-dir', type=Path, default=REPO / 'work_dirs/bench/localize_real')
    return p.parse_args(argv)


def build_data(args: argparse.Namespace) -> Path:
    """The real-image set (kept between runs with the same settings)."""
    from custom_modules.data_prep.real_localize import RealLocalizeParams, build_real_localize

    if args.data:
        return args.data.resolve()
    out = (args.work_dir / 'data').resolve()
    build_real_localize(out, seed=args.seed, backgrounds=args.backgrounds,
                        params=RealLocalizeParams(n_train=args.train_size,
                                                  n_test=args.test_size))
    return out


def schedule_options(arm: str, epochs: int | None, size: int | None,
                     lr: float | None) -> dict:
    """``--cfg-options`` for an arm's epochs (its cosine stretched to match), input size and lr;
    list positions (the cosine, each pipeline's Letterbox) are looked up in the arm's config."""
    from mmengine.config import Config

    if not (epochs or size or lr):
        return {}
    cfg = Config.fromfile(str(REPO / CONFIGS[arm]))
    opts: dict = {}
    if epochs:
        opts['train_cfg.max_epochs'] = epochs
        for i, sched in enumerate(cfg.param_scheduler):
            if sched['type'] == 'CosineAnnealingLR':
                begin = sched.get('begin', 0)
                opts.update({f'param_scheduler.{i}.T_max': epochs - begin,
                             f'param_scheduler.{i}.end': epochs})
    if size:
        for split in ('train', 'val', 'test'):
            key = f'{split}_dataloader'
            for i, step in enumerate(cfg[key]['dataset']['pipeline']):
                if step['type'] == 'Letterbox':
                    opts[f'{key}.dataset.pipeline.{i}.size'] = size
    if lr:
        opts['optim_wrapper.optimizer.lr'] = lr
    return opts


def manifest_text(arm: str, options: dict) -> str:
    """A manifest for one arm: localize_real with one run (and the run's overrides)."""
    base = REPO / 'configs/solutions/localize_real.py'
    pretrained = ', pretrained={{_base_.lite0}}' if arm == 'lite0' else ''
    return (f'# Written by bench/localize_real.py: localize_real with the {arm} run only.\n'
            f'_base_ = {str(base)!r}\n'
            f'runs = [dict(name={arm!r}, kind="localizer", weight=1.0, '
            f'config={CONFIGS[arm]!r}{pretrained}, cfg_options={options!r})]\n')


def run_arm(arm: str, options: dict, data: Path, work_dir: Path, gpus: int) -> dict:
    """Trains and predicts one arm through the localize flow; seconds and CPU seconds."""
    work_dir.mkdir(parents=True, exist_ok=True)
    manifest = work_dir / 'manifest.py'
    atomic_write_text(manifest, manifest_text(arm, options))
    env = {**os.environ, 'DATA_ROOT': str(data), 'WORK_DIR': str(work_dir), 'FORCE': '1'}
    out: dict = {'options': options}
    for mode in ('train', 'inference'):
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(REPO / 'tools/run_solution.py'), mode,
                                 '--solution', str(manifest), '--gpus', str(gpus)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:  # echoed, and the training stage's seconds picked out
            sys.stdout.write(line)
            found = TRAIN_DONE.search(line)
            if found:
                out['train_wall'] = float(found.group(1))
        if proc.wait():
            raise SystemExit(f'{arm} {mode} failed (exit {proc.returncode}); see above')
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out[f'{mode}_seconds'] = time.perf_counter() - start
        out[f'{mode}_cpu'] = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    curves = work_dir / arm / 'fold0' / 'curves.png'
    if curves.is_file():
        shutil.copyfile(curves, work_dir.parent / f'curves_{arm}.png')
    return out


def truth_table(data: Path) -> tuple[pd.DataFrame, list[str]]:
    """Hidden test boxes with class indices, and the class list."""
    from custom_modules.predictions import load_truth

    classes = (data / 'classes.txt').read_text(encoding='utf-8').split()
    return load_truth(data / 'test_boxes.csv', classes), classes


def score(preds: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """accuracy, mIoU, IoU@0.5 of ``preds`` (image_id,label,xmin..ymax) matched by id."""
    from custom_modules.evaluation.localize_metric import localization_scores

    merged = truth.merge(preds, on='image_id', suffixes=('_gt', ''), how='left')
    if merged[BOX].isna().any().any():
        raise SystemExit(f'predictions miss {int(merged.xmin.isna().sum())} test images')
    return localization_scores(merged[BOX].to_numpy(float),
                               merged[[f'{b}_gt' for b in BOX]].to_numpy(float),
                               merged['label'].to_numpy(), merged['label_gt'].to_numpy(),
                               iou_thrs=(0.5,))


def constant_predictions(data: Path, classes: list[str]) -> pd.DataFrame:
    """Every test image gets the mean normalised training box and the majority class."""
    from custom_modules.utils.images import image_size

    boxes, labels = [], []
    for txt in sorted((data / 'train').glob('*.txt')):
        cls, *box = txt.read_text(encoding='utf-8').split()
        w, h = image_size(txt.with_suffix('.jpg'))
        boxes.append(np.array(box, float) / [w, h, w, h])
        labels.append(classes.index(cls))
    mean, top = np.mean(boxes, axis=0), int(np.bincount(labels).argmax())
    rows = []
    for img in sorted((data / 'test').glob('*.jpg')):
        w, h = image_size(img)
        rows.append([img.stem, top, *(mean * [w, h, w, h])])
    return pd.DataFrame(rows, columns=['image_id', 'label', *BOX])


def model_scores(work_dir: Path, classes: list[str], truth: pd.DataFrame) -> dict[str, float]:
    sub = pd.read_csv(work_dir / 'submission.csv', dtype={'image_id': str})
    sub['label'] = [classes.index(c) for c in sub['label']]
    return score(sub, truth)


def print_table(results: dict, data: Path, n_train: int, n_test: int) -> None:
    header = ('model', 'accuracy', 'mIoU', 'IoU@0.5', 'train wall', 'train CPU')
    rows = [header]
    for r in results.values():
        wall = f'{r["train_wall"]:.0f} s' if 'train_wall' in r else '-'
        cpu = f'{r["train_cpu"]:.0f} s' if 'train_cpu' in r else '-'
        rows.append((r['what'], f'{r["accuracy"]:.4f}', f'{r["mIoU"]:.4f}',
                     f'{r["IoU@0.5"]:.4f}', wall, cpu))
    print(f'\nlocalize_real on {data}: {n_train} train / {n_test} test images; '
          f'{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, '
          f'load average {", ".join(f"{v:.1f}" for v in os.getloadavg())}')
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print('  '.join(cell.ljust(w) for cell, w in zip(row, widths)))
    print('train wall: the training stage; train CPU: the whole train mode (folds, training, '
          'validation), all processes')


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.work_dir = args.work_dir.resolve()
    data = build_data(args)
    truth, classes = truth_table(data)
    n_train = len(list((data / 'train').glob('*.txt')))
    results: dict = {}
    if 'constant' in args.arms:
        results['constant'] = {'what': WHAT['constant'],
                               **score(constant_predictions(data, classes), truth)}
    options = {'tiny': schedule_options('tiny', args.tiny_epochs, None, None),
               'lite0': schedule_options('lite0', args.lite_epochs, args.lite_size, args.lite_lr)}
    for arm in (a for a in args.arms if a != 'constant'):  # in the order asked
        print(f'\n=== {WHAT[arm]} on {data} ===', flush=True)
        wd = args.work_dir / arm
        timing = run_arm(arm, options[arm], data, wd, args.gpus)
        results[arm] = {'what': WHAT[arm], **timing, **model_scores(wd, classes, truth)}
    print_table(results, data, n_train, len(truth))
    out = args.work_dir / 'localize_real.json'
    atomic_write_json(out, {'data': str(data), 'train_images': n_train,
                            'test_images': len(truth), 'cpus': os.cpu_count(),
                            'load_average': os.getloadavg(), 'command': sys.argv,
                            'arms': results})
    print(f'saved {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
