"""The localize flow (DESIGN.md): images + boxes -> folds -> class + box models -> submission.

    train:      [demo data] -> prep_localize (folds) -> train each run x fold -> curves.png ->
                validation predictions -> metrics (mIoU, accuracy, IoU@t) + top-k galleries
    inference:  each run x fold on the test images -> probabilities and boxes (original pixels)
                averaged over folds and runs -> submission.csv (image_id,label,score,xmin,ymin,
                xmax,ymax; class names) + galleries [+ test metrics when hidden boxes exist]

Every stage is skipped when its outputs are newer than its inputs; an interrupted training
resumes from its last checkpoint.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from custom_modules.utils.errors import InputError

from . import launch
from .cv import fold_cv_stage
from .manifest import Manifest, Run
from .stages import Pipeline, StageFailed
from .steps import (
    data_generated_first,
    infer_runs,
    inputs_to_check,
    listed_classes,
    run_dir,
    train_step,
    val_dump,
)

VAL_METRICS = ('loc/mIoU', 'loc/accuracy', 'loc/IoU@0.5', 'loc/IoU@0.75')
BOX = ['xmin', 'ymin', 'xmax', 'ymax']
SPLITS = ('train', 'val', 'test')


class LocalizePaths:
    """Where the localize flow reads and writes, from the manifest's inputs."""

    def __init__(self, m: Manifest) -> None:
        self.m = m
        inputs = m.get('inputs', {})
        self.root = m.data_root
        self.train_dir = self.root / inputs.get('train_dir', 'train')
        self.test_dir = self.root / inputs.get('test_dir', 'test')
        classes = inputs.get('classes')
        self.classes_file = self.root / classes if classes else None
        hidden = inputs.get('hidden_test_boxes')
        self.hidden_test_boxes = self.root / hidden if hidden else None
        self.lists = self.root / 'lists'
        self.annotations = self.lists / 'annotations.csv'
        self.test_csv = self.lists / 'test.csv'
        self.classes_txt = self.lists / 'classes.txt'

    def classes(self) -> list[str]:
        return listed_classes(self.m, self.classes_txt)


def prepare_data(m: Manifest, pipe: Pipeline, p: LocalizePaths) -> None:
    """The folds table and the test list."""
    for required in inputs_to_check(m, (p.train_dir, p.test_dir)):
        if not required.is_dir():
            raise InputError(f'{m.name}: missing {required} (data contract: '
                             f'docs/solutions/localize.md); set DATA_ROOT to your data folder')
    settings = m.get('preprocess', {})

    def prep() -> dict:
        from custom_modules.data_prep.localize_lists import prepare_localize
        from custom_modules.utils.image_check import decode_cache_for

        table = prepare_localize(p.train_dir, p.lists, classes=p.classes_file,
                                 folds=settings.get('folds', 5), seed=settings.get('seed', 0),
                                 test_dir=p.test_dir,
                                 clip_boxes=settings.get('clip_boxes', False),
                                 decode=settings.get('decode', True),
                                 decode_cache=decode_cache_for(p.root))
        return {'images': len(table.table), 'classes': len(table.classes)}

    inputs = [m.path, p.train_dir, p.test_dir]
    if not data_generated_first(m):  # a dry run before the demo data exists: no folders yet
        inputs += [*p.train_dir.iterdir(), *p.test_dir.iterdir()]
    inputs += [p.classes_file] if p.classes_file else []
    pipe.stage('prepare folds', prep, inputs=inputs,
               outputs=[p.annotations, p.test_csv, p.classes_txt])


def wiring(run: Run, p: LocalizePaths, fold: int) -> dict[str, Any]:
    """``--cfg-options`` that point a run's config at this dataset and fold."""
    if run.kind != 'localizer':
        raise InputError(f'run {run.name}: unknown kind {run.kind!r} (localizer)')
    options: dict[str, Any] = {'model.head.num_classes': len(p.classes())}
    sources = {'train': (p.annotations, p.train_dir, 'train'),
               'val': (p.annotations, p.train_dir, 'val'),
               'test': (p.test_csv, p.test_dir, 'all')}
    for split, (ann, images, subset) in sources.items():
        key = f'{split}_dataloader.dataset'
        options.update({f'{key}.ann_file': str(ann.resolve()),
                        f'{key}.data_prefix.img_path': str(images.resolve()),
                        f'{key}.classes': str(p.classes_txt.resolve()),
                        f'{key}.split': subset})
        if subset != 'all':
            options[f'{key}.fold'] = fold
    return options


def val_as_test(p: LocalizePaths, fold: int) -> dict[str, Any]:
    """Options that make the test loader read the fold's validation images."""
    key = 'test_dataloader.dataset'
    return {f'{key}.ann_file': str(p.annotations.resolve()),
            f'{key}.data_prefix.img_path': str(p.train_dir.resolve()), f'{key}.split': 'val',
            f'{key}.fold': fold}


def score_predictions(preds, truth, iou_thrs=(0.5, 0.75)) -> dict[str, float]:
    """mIoU, accuracy and IoU@t of predictions against ground truth, both as tables."""
    from custom_modules.evaluation.localize_metric import localization_scores

    merged = preds.merge(truth, on='image_id', suffixes=('', '_gt'))
    if len(merged) != len(truth):
        missing = sorted(set(truth['image_id']) - set(merged['image_id']))[:5]
        raise StageFailed(f'predictions miss {len(truth) - len(merged)} images, e.g. {missing}')
    return localization_scores(merged[BOX].to_numpy(), merged[[f'{b}_gt' for b in BOX]].to_numpy(),
                               merged['label'].to_numpy(), merged['label_gt'].to_numpy(),
                               iou_thrs)


def validate(m: Manifest, run: Run, p: LocalizePaths, wd: Path, fold: int, gpus: int,
             k: int) -> dict:
    """Validation predictions -> val_predictions.csv, metrics.json and the galleries."""
    import pandas as pd

    from custom_modules.predictions import load_box_predictions, load_truth
    from custom_modules.visualization import plot_best_worst

    dump = val_dump(m, run, fold, gpus, wiring(run, p, fold), val_as_test(p, fold))
    classes = p.classes()
    preds = load_box_predictions(dump)
    table = pd.read_csv(p.annotations, dtype={'image_id': str, 'file': str})
    truth = load_truth(table[table['fold'] == fold], classes)
    scores = score_predictions(preds, truth)
    write_csv(wd / 'val_predictions.csv', preds, classes)
    with open_atomic(wd / 'metrics.json') as f:
        json.dump({'fold': fold, 'images': len(truth), **scores}, f, indent=2)
    plot_best_worst(preds, p.train_dir, wd, truth=truth, k=k, classes=classes)
    return scores


def train_all(m: Manifest, gpus: int, pipe: Pipeline) -> None:
    p = LocalizePaths(m)
    prepare_data(m, pipe, p)
    k = int(m.get('gallery_k', 3))
    for fold in m.folds:
        for run in m.runs:
            wd = run_dir(m, run, fold)
            done = train_step(m, pipe, run, fold, gpus, wiring(run, p, fold),
                              inputs=[p.annotations],
                              metrics=lambda wd=wd, run=run: launch.best_val_metrics(
                                  wd, VAL_METRICS,  # the scores of the best checkpoint's epoch
                                  launch.save_best_metric(run.config, run.cfg_options)))
            pipe.stage(f'validate {run.name} fold{fold}',
                       lambda run=run, wd=wd, fold=fold: validate(m, run, p, wd, fold, gpus, k),
                       inputs=[done], outputs=[wd / 'metrics.json', wd / f'top{k}_best.png',
                                               wd / f'top{k}_worst.png'])
    fold_cv_stage(m, pipe, m.runs, lambda run, fold: fold_scores(run_dir(m, run, fold)),
                  [run_dir(m, r, f) / 'metrics.json' for r in m.runs for f in m.folds], 'mIoU')


def fold_scores(wd: Path) -> dict[str, float]:
    """A validated fold's scores (its metrics.json less the fold number and image count)."""
    data = json.loads((wd / 'metrics.json').read_text()) if (wd / 'metrics.json').is_file() else {}
    return {k: v for k, v in data.items() if k not in ('fold', 'images')}


def write_csv(path: Path, preds, classes: list[str]) -> None:
    """``image_id,label,score,xmin,ymin,xmax,ymax`` with class names, written atomically."""
    out = preds[['image_id', 'label', 'score', *BOX]].copy()
    out['label'] = [classes[int(i)] for i in out['label']]
    out['score'] = out['score'].round(6)
    out[BOX] = out[BOX].round(2)
    with open_atomic(path) as f:
        out.to_csv(f, index=False)


def open_atomic(path: Path):
    from custom_modules.utils.atomic import atomic_write

    return atomic_write(path, 'w', newline='', encoding='utf-8')


def average_predictions(frames: list, weights: list[float], ids: list[str]):
    """Weighted mean of class probabilities and boxes (original pixels), aligned by image id."""
    import numpy as np
    import pandas as pd

    from custom_modules.predictions import average_by_id, prob_columns

    for frame in frames:
        present = set(frame['image_id'])
        absent = [i for i in ids if i not in present]
        if absent:
            raise StageFailed(f'a prediction file misses {len(absent)} test images, e.g. '
                              f'{absent[:5]}')
    # class probabilities and boxes side by side: one alignment by id, one weighted mean
    _, mean = average_by_id([(f['image_id'].tolist(), f[prob_columns(f) + BOX].to_numpy())
                             for f in frames], weights, ids=ids)
    probs, boxes = mean[:, :-len(BOX)], mean[:, -len(BOX):]
    out = pd.DataFrame({'image_id': ids, 'label': np.argmax(probs, 1),
                        'score': np.max(probs, 1)})
    out[BOX] = boxes
    return out


def inference_all(m: Manifest, gpus: int, pipe: Pipeline) -> Path:
    import pandas as pd

    from custom_modules.predictions import load_box_predictions, load_truth, run_file_weights
    from custom_modules.visualization import plot_best_worst

    p = LocalizePaths(m)
    prepare_data(m, pipe, p)
    dumps = infer_runs(m, pipe, m.runs, gpus, lambda run, fold: wiring(run, p, fold), p.test_csv)

    submission = m.work_dir / 'submission.csv'
    k = int(m.get('gallery_k', 3))
    hidden = p.hidden_test_boxes if p.hidden_test_boxes and p.hidden_test_boxes.is_file() \
        else None

    def do_submission() -> dict:
        classes = p.classes()
        ids = pd.read_csv(p.test_csv, dtype={'image_id': str})['image_id'].tolist()
        frames = [load_box_predictions(d) for _, d in dumps]
        weights = run_file_weights([(run.name, run.weight) for run, _ in dumps])
        preds = average_predictions(frames, weights, ids)
        write_csv(submission, preds, classes)
        truth = load_truth(hidden, classes) if hidden else None
        plot_best_worst(preds, p.test_dir, m.work_dir, truth=truth, k=k, classes=classes)
        metrics: dict[str, Any] = {'rows': len(preds), 'models': len(frames)}
        if truth is not None:
            metrics.update({f'test_{name}': v
                            for name, v in score_predictions(preds, truth).items()})
        return metrics

    inputs = [d for _, d in dumps] + [p.test_csv, m.path] + ([hidden] if hidden else [])
    pipe.stage('average folds + submission', do_submission, inputs=inputs, outputs=[submission])
    return submission
