"""The sports flow: image lists -> classifier runs per fold -> validation report -> submission.

Train: (demo data on first use) -> stratified k-fold or holdout lists (data_prep.image_lists)
-> each run on each fold (tools/train.py, resumable) -> its curves, a validation dump, the
confusion matrix (counts and row-normalised) and the per-class report beside the
weighted-random baseline -> one validation report over every run and fold.
Inference: each run/fold predicts the test list (tools/test.py --dump) -> the class
probabilities are averaged (run weights split over its folds), rows matched by image path, never
by position -> ``submission.csv`` (``image_id,label`` with class names, test.csv's order).

Every stage is skipped when its outputs are complete and newer than its inputs.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from custom_modules.evaluation.submission_accuracy import submission_accuracy
from custom_modules.utils.errors import InputError
from custom_modules.utils.validation import read_lines

from . import launch
from .cv import cv_stages, ensemble_run_weights, sports_source, weights_input
from .manifest import Manifest, Run
from .stages import Pipeline, StageFailed
from .steps import (
    infer_runs,
    inputs_to_check,
    listed_classes,
    run_dir,
    train_step,
    tta_oof_step,
    val_dump,
    val_tta_outputs,
)

VAL_METRICS = ('cls/accuracy', 'cls/macro_f1', 'cls/baseline_accuracy')
KINDS = ('classifier', )


class SportsPaths:
    """Where the sports flow reads and writes, from the manifest's ``inputs``."""

    def __init__(self, m: Manifest) -> None:
        self.m = m
        inputs = m.get('inputs', {})
        root = m.data_root
        self.root = root
        folder = inputs.get('train_folder')
        self.train_folder = root / folder if folder else None  # one sub-folder per class
        self.train_csv = None if folder else root / inputs.get('train_csv', 'train.csv')
        self.train_images = self.train_folder or root / inputs.get('train_images', 'train')
        self.test_csv = root / inputs.get('test_csv', 'test.csv')
        self.test_images = root / inputs.get('test_images', 'test')
        classes = inputs.get('classes')
        self.classes_file = root / classes if classes else None
        hidden = inputs.get('hidden_test_labels')
        self.hidden_test_labels = root / hidden if hidden else None
        self.lists = root / 'lists'
        settings = m.get('preprocess', {})
        self.valid_size = settings.get('valid_size')
        self.num_folds = None if self.valid_size else settings.get('folds', 5)

    def classes(self) -> list[str]:
        return listed_classes(self.m, self.lists / 'classes.txt')

    def split_lists(self, run: Run, fold: int) -> tuple[str, str]:
        """``(train list, val list)`` names of a fold (holdout: fold 0 = train.txt/val.txt)."""
        if self.valid_size:
            return 'train.txt', 'val.txt'
        return run.train_list.format(fold=fold), f'val_fold{fold}.txt'


def prepare_data(m: Manifest, pipe: Pipeline, p: SportsPaths) -> None:
    """The lists (checked images; nothing half-written)."""
    required = [p.train_folder] if p.train_folder else [p.train_csv, p.train_images]
    for path in inputs_to_check(m, (*required, p.test_csv, p.test_images)):
        if not path.exists():
            raise InputError(f'{m.name}: missing {path} (data contract: '
                             f'docs/solutions/sports.md); set DATA_ROOT to your data folder')
    if p.valid_size and m.folds != [0]:
        raise InputError(f'{m.path}: a holdout split (preprocess.valid_size) has one fold, 0; '
                         f'got folds {m.folds}')
    # A folder's mtime changes when images are added or removed: the lists are rebuilt then.
    inputs = [f for f in (p.train_csv, p.test_csv, p.classes_file, m.path) if f]
    inputs += [p.train_images, p.test_images]
    if p.train_folder:
        inputs += [d for d in p.train_folder.iterdir() if d.is_dir()]
    pipe.stage('preprocess lists', lambda: preprocess(m, p), inputs=inputs,
               outputs=[p.lists / 'split.json', p.lists / 'test.txt', p.lists / 'train_ids.txt'])


def list_options(m: Manifest, p: SportsPaths) -> dict[str, Any]:
    """The arguments of ``prepare_images`` for this dataset (the preflight checks the same).

    Every image is fully decoded (in parallel, cached by path, size and mtime in the user's
    podium cache) unless ``preprocess=dict(decode=False)``.
    """
    from custom_modules.utils.image_check import decode_cache_for

    settings = m.get('preprocess', {})
    return dict(
        train_csv=p.train_csv, image_dir=None if p.train_folder else p.train_images,
        folder=p.train_folder, classes=p.classes_file, valid_size=p.valid_size,
        folds=p.num_folds, seed=settings.get('seed', 0), test_csv=p.test_csv,
        test_dir=p.test_images, decode=settings.get('decode', True),
        decode_cache=decode_cache_for(p.root))


def preprocess(m: Manifest, p: SportsPaths) -> dict:
    from custom_modules.data_prep.image_lists import prepare_images

    lists = prepare_images(p.lists, **list_options(m, p))
    return {'classes': len(lists.classes), 'images': len(lists.samples)}


def num_classes_keys(config: Path) -> list[str]:
    """Where a config keeps its class count (TimmClassifier: on the model itself)."""
    from mmengine.config import Config

    cfg = Config.fromfile(str(config))
    keys = ['model.num_classes' if cfg.model.get('type') == 'TimmClassifier'
            else 'model.head.num_classes']
    if cfg.get('data_preprocessor') is not None:
        keys.append('data_preprocessor.num_classes')
    return keys


def wiring(run: Run, p: SportsPaths, fold: int) -> dict[str, Any]:
    """``--cfg-options`` that point a run's config at this dataset and fold."""
    if run.kind not in KINDS:
        raise InputError(f'run {run.name}: unknown kind {run.kind!r} ({", ".join(KINDS)})')
    lists = p.lists.resolve()
    train_list, val_list = p.split_lists(run, fold)
    options: dict[str, Any] = {key: len(p.classes()) for key in num_classes_keys(run.config)}
    splits = {'train': (train_list, p.train_images), 'val': (val_list, p.train_images),
              'test': ('test.txt', p.test_images)}
    for split, (ann, images) in splits.items():
        options[f'{split}_dataloader.dataset.ann_file'] = str(lists / ann)
        options[f'{split}_dataloader.dataset.data_prefix'] = str(images.resolve())
        options[f'{split}_dataloader.dataset.classes'] = str(lists / 'classes.txt')
    for evaluator in ('val_evaluator', 'test_evaluator'):
        options[f'{evaluator}.train_ann_file'] = str(lists / train_list)
    return options


def write_report(wd: Path, dump: Path, classes: list[str], train_list: Path) -> dict:
    """Per-class report of a validation dump beside the baseline: ``val_report.{json,txt}``."""
    from custom_modules.evaluation.classification_report import (
        class_counts_from_list,
        classification_report,
        format_report,
        report_json,
    )
    from custom_modules.predictions import dump_labels, load_dump
    from custom_modules.utils.atomic import atomic_write_text

    y_true, y_pred = dump_labels(load_dump(dump), len(classes), str(dump))
    report = classification_report(y_true, y_pred, len(classes),
                                   class_counts_from_list(train_list, len(classes)))
    text = format_report(report, classes)
    atomic_write_text(wd / 'val_report.json', report_json(report, classes) + '\n')
    atomic_write_text(wd / 'val_report.txt', text + '\n')
    print(text, flush=True)
    return {'accuracy': report.accuracy, 'macro_f1': report.macro_f1,
            'baseline_acc': report.baseline_accuracy, 'baseline_f1': report.baseline_macro_f1}


def train_all(m: Manifest, gpus: int, pipe: Pipeline) -> None:
    from custom_modules.visualization import plot_confusion_matrix

    p = SportsPaths(m)
    prepare_data(m, pipe, p)
    classes = p.classes()
    reports = []
    for fold in m.folds:
        for run in m.runs:
            wd = run_dir(m, run, fold)
            train_list, val_list = (p.lists / name for name in p.split_lists(run, fold))
            done = train_step(m, pipe, run, fold, gpus, wiring(run, p, fold), inputs=[train_list],
                              metrics=lambda wd=wd, run=run: launch.best_val_metrics(
                                  wd, VAL_METRICS,  # the scores of the best checkpoint's epoch
                                  launch.save_best_metric(run.config, run.cfg_options)))

            def do_validate(run=run, wd=wd, fold=fold, val_list=val_list,
                            train_list=train_list) -> dict:
                dump = val_dump(m, run, fold, gpus, wiring(run, p, fold), {
                    'test_dataloader.dataset.ann_file': str(val_list.resolve()),
                    'test_dataloader.dataset.data_prefix': str(p.train_images.resolve())})
                plot_confusion_matrix(dump, classes, wd / 'confusion_matrix.png')
                return write_report(wd, dump, classes, train_list)

            pipe.stage(f'validate {run.name} fold{fold}', do_validate,
                       inputs=[done], outputs=[wd / 'confusion_matrix.png', wd / 'val_report.txt',
                                               *val_tta_outputs(m, run, fold)],
                       metrics=lambda wd=wd: report_metrics(wd / 'val_report.json'))
            reports.append((run, fold, wd))

    summary = m.work_dir / 'validation_report.txt'
    pipe.stage('validation report', lambda: write_summary(summary, reports),
               inputs=[wd / 'val_report.json' for _, _, wd in reports], outputs=[summary])
    cv_stages(m, pipe, m.runs, sports_source(p))  # oof.csv per run, cv_report, fitted weights
    tta_oof_step(m, pipe, [(run, fold) for run, fold, _ in reports], lambda: len(p.classes()))


def report_metrics(path: Path) -> dict[str, float]:
    """The headline scores of a ``val_report.json`` (for the stage table)."""
    data = json.loads(path.read_text())
    return {'accuracy': data['accuracy'], 'macro_f1': data['macro_f1'],
            'baseline_acc': data['baseline_accuracy'], 'baseline_f1': data['baseline_macro_f1']}


def write_summary(path: Path, reports: list[tuple[Run, int, Path]]) -> dict:
    """One table over every run and fold: accuracy and macro F1 beside their baselines."""
    from custom_modules.utils.atomic import atomic_write_text

    rows = [('run', 'fold', 'accuracy', 'baseline', 'macro F1', 'baseline', 'report')]
    for run, fold, wd in reports:
        d = json.loads((wd / 'val_report.json').read_text())
        rows.append((run.name, str(fold), f'{d["accuracy"]:.4f}', f'{d["baseline_accuracy"]:.4f}',
                     f'{d["macro_f1"]:.4f}', f'{d["baseline_macro_f1"]:.4f}',
                     str(wd / 'val_report.txt')))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    text = '\n'.join('  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    atomic_write_text(path, 'Validation (baseline: each class drawn with its training share)\n'
                      + text + '\n')
    print(path.read_text(), flush=True)
    return {'runs': len(reports)}


def test_ids_by_path(p: SportsPaths) -> tuple[list[str], dict[str, str]]:
    """test.csv's ids in order, and absolute image path -> id (from test.txt / test_ids.txt)."""
    ids = read_lines(p.lists / 'test_ids.txt')
    paths = [line.rsplit(' ', 1)[0] for line in
             (p.lists / 'test.txt').read_text(encoding='utf-8').splitlines() if line.strip()]
    if len(paths) != len(ids):
        raise StageFailed(f'{p.lists}: test.txt has {len(paths)} lines, test_ids.txt {len(ids)}; '
                          'rebuild the lists (FORCE=1)')
    root = p.test_images.resolve()
    return ids, {os.path.normpath(root / rel): i for rel, i in zip(paths, ids)}


def load_test_dump(dump: Path, by_path: dict[str, str]) -> tuple[list[str], Any]:
    """``(ids, probs [N, C])`` of a test dump, each row's id found from its image path.

    Paths, not stems: ``a.jpg`` and ``a.png`` may both be test images.
    """
    import numpy as np

    from custom_modules.predictions import as_probabilities, get_field, load_dump, to_numpy

    ids, rows = [], []
    for n, sample in enumerate(load_dump(dump)):
        path, score = get_field(sample, 'img_path'), get_field(sample, 'pred_score')
        if path is None or score is None:
            raise StageFailed(f'{dump}: sample #{n} has no img_path or pred_score')
        key = os.path.normpath(path)
        if key not in by_path:
            raise StageFailed(f'{dump}: sample #{n} ({path}) is not in the test list')
        ids.append(by_path[key])
        rows.append(to_numpy(score).reshape(-1))
    return ids, as_probabilities(np.stack(rows), str(dump))


def inference_all(m: Manifest, gpus: int, pipe: Pipeline) -> Path:
    import numpy as np

    from custom_modules.predictions import ensemble, run_file_weights, save_predictions
    from custom_modules.utils.atomic import atomic_write_csv

    p = SportsPaths(m)
    prepare_data(m, pipe, p)
    dumps = infer_runs(m, pipe, m.runs, gpus, lambda run, fold: wiring(run, p, fold),
                       p.lists / 'test.txt')

    classes = p.classes()
    ensembled = m.work_dir / 'ensemble.npz'
    submission = m.work_dir / 'submission.csv'

    def do_submission() -> dict:
        ids, by_path = test_ids_by_path(p)
        preds = [load_test_dump(dump, by_path) for _, dump in dumps]
        run_weights = ensemble_run_weights(m, m.runs)  # fitted on OOF, or the manifest's
        weights = run_file_weights([(run.name, run_weights[run.name]) for run, _ in dumps])
        got_ids, probs = ensemble(preds, weights=weights, names=[str(d) for _, d in dumps])
        missing = set(ids) - set(got_ids)
        if missing or len(got_ids) != len(ids):
            raise StageFailed(f'the test predictions miss {len(missing)} of test.csv\'s '
                              f'{len(ids)} ids, e.g. {sorted(missing)[:3]}')
        order = {i: k for k, i in enumerate(got_ids)}
        probs = probs[[order[i] for i in ids]]  # test.csv's order
        save_predictions(ensembled, ids, probs, classes=classes,
                         sources=[str(d) for _, d in dumps], weights=weights)
        atomic_write_csv(submission, ([i, classes[k]] for i, k in zip(ids, probs.argmax(axis=1))),
                         header=['image_id', 'label'])
        metrics: dict[str, Any] = {'rows': len(ids), 'models': len(dumps),
                                   'mean_top1_prob': float(np.max(probs, 1).mean())}
        if p.hidden_test_labels and p.hidden_test_labels.is_file():
            metrics['test_acc'] = submission_accuracy(submission, p.hidden_test_labels)
        return metrics

    pipe.stage('ensemble + submission', do_submission,
               inputs=[d for _, d in dumps] + [p.lists / 'test_ids.txt', m.path,
                                               *weights_input(m)],
               outputs=[submission, ensembled])
    return submission
