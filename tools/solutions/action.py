"""The action flow (DESIGN.md): extract -> preprocess -> train runs -> infer -> ensemble -> rules.

Every stage is skipped when its outputs are complete and newer than its inputs, so re-running
after a crash continues; an interrupted training resumes from its last checkpoint.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from custom_modules.evaluation.submission_accuracy import submission_accuracy
from custom_modules.utils.errors import InputError
from custom_modules.utils.validation import duplicated, list_some, read_lines

from . import launch
from .manifest import Manifest, Run
from .stages import Pipeline
from .steps import infer_runs, run_dir, train_step, val_dump

VAL_METRICS = {'recognizer': ('acc/top1', 'acc/mean1'), 'detector': ('coco/bbox_mAP', )}


class ActionPaths:
    """Where the action flow reads and writes, from the manifest's inputs."""

    def __init__(self, m: Manifest) -> None:
        inputs = m.get('inputs', {})
        root = m.data_root
        self.root = root
        self.train_csv = root / inputs.get('train_csv', 'train.csv')
        self.sample_submission = root / inputs.get('sample_submission', 'sample_submission.csv')
        self.train_videos = root / inputs.get('train_videos', 'train')
        self.test_videos = root / inputs.get('test_videos', 'test')
        boxes = inputs.get('boxes_csv')
        self.boxes_csv = root / boxes if boxes else None
        classes = inputs.get('classes')
        self.classes_file = root / classes if classes else None
        det_classes = inputs.get('det_classes')
        self.det_classes_file = root / det_classes if det_classes else None
        hidden = inputs.get('hidden_test_labels')
        self.hidden_test_labels = root / hidden if hidden else None
        self.rawframes = root / 'rawframes'
        self.lists = root / 'lists'

    @property
    def has_boxes(self) -> bool:
        return self.boxes_csv is not None and self.boxes_csv.is_file()

    def classes(self) -> list[str]:
        return read_lines(self.lists / 'classes.txt')

    def det_classes(self) -> list[str]:
        return read_lines(self.lists / 'det_classes.txt')


def prepare_data(m: Manifest, pipe: Pipeline, p: ActionPaths) -> None:
    """Demo data on first use, frame extraction (resumable), then the lists."""
    if m.get('demo_data'):
        from custom_modules.demo_data.action_demo import generate

        pipe.stage('generate demo data', lambda: {'generated': int(generate(p.root))})
    for required in (p.train_csv, p.sample_submission, p.train_videos, p.test_videos):
        if not required.exists():
            raise InputError(f'{m.name}: missing {required} (data contract: '
                             f'docs/solutions/action.md); set DATA_ROOT to your data folder')
    pipe.stage('extract frames', lambda: extract(m, p))
    # The frame records change only when a video is (re-)extracted.
    inputs = [p.train_csv, p.sample_submission, m.path, *p.rawframes.glob('*/meta.json')]
    inputs += [f for f in (p.boxes_csv, p.classes_file, p.det_classes_file) if f]
    outputs = [p.lists / 'split.json', p.lists / 'test.txt']
    if p.has_boxes:
        outputs.append(p.lists / 'det_test.json')
    pipe.stage('preprocess lists', lambda: preprocess(m, p), inputs=inputs, outputs=outputs)


def extract(m: Manifest, p: ActionPaths) -> dict:
    from custom_modules.data_prep.frame_extraction import extract_videos
    from custom_modules.data_prep.frame_records import ExtractOptions
    from custom_modules.utils.video import find_videos

    videos = find_videos(p.train_videos) + find_videos(p.test_videos)
    clashes = duplicated(v.stem for v in videos)
    if clashes:
        raise InputError(f'video names must be unique across {p.train_videos} and '
                         f'{p.test_videos} (they name the frame folders): {list_some(clashes)}')
    options = ExtractOptions(**m.get('extract', {}).get('options', {}))
    report = extract_videos(videos, p.rawframes, options,
                            workers=m.get('extract', {}).get('workers'))
    if not report.ok:
        bad = '; '.join(f'{r.video}: {r.reason}' for r in report.failed[:5])
        raise InputError(f'{len(report.failed)} videos could not be decoded ({bad}); see '
                         f'{p.rawframes / "extract_report.json"}')
    return {'videos': len(videos)}


def preprocess(m: Manifest, p: ActionPaths) -> dict:
    from custom_modules.data_prep.action_lists import prepare_action

    settings = m.get('preprocess', {})
    lists = prepare_action(
        p.train_csv, p.rawframes, p.lists, classes=p.classes_file,
        folds=settings.get('folds', 5), seed=settings.get('seed', 0),
        oversample=settings.get('oversample'), sample_submission=p.sample_submission,
        boxes_csv=p.boxes_csv if p.has_boxes else None,
        det_classes=p.det_classes_file if p.has_boxes else None,
        det_id_start=settings.get('det_id_start', 1))
    return {'classes': len(lists.classes)}


def wiring(run: Run, p: ActionPaths, fold: int) -> dict[str, Any]:
    """``--cfg-options`` that point a run's config at this dataset and fold."""
    frames = str(p.rawframes.resolve()) + '/'
    lists = p.lists.resolve()
    if run.kind == 'recognizer':
        options: dict[str, Any] = {'model.cls_head.num_classes': len(p.classes())}
        splits = {'train': run.train_list.format(fold=fold), 'val': f'val_fold{fold}.txt',
                  'test': 'test.txt'}
        for split, ann in splits.items():
            options[f'{split}_dataloader.dataset.ann_file'] = str(lists / ann)
            options[f'{split}_dataloader.dataset.data_prefix.img'] = frames
        return options
    if run.kind == 'detector':
        det_classes = p.det_classes()
        options = {'model.roi_head.bbox_head.num_classes': len(det_classes),
                   'val_evaluator.ann_file': str(lists / f'det_val_fold{fold}.json')}
        splits = {'train': f'det_train_fold{fold}.json', 'val': f'det_val_fold{fold}.json',
                  'test': 'det_test.json'}
        for split, ann in splits.items():
            options[f'{split}_dataloader.dataset.data_root'] = ''
            options[f'{split}_dataloader.dataset.ann_file'] = str(lists / ann)
            options[f'{split}_dataloader.dataset.data_prefix.img'] = frames
            options[f'{split}_dataloader.dataset.metainfo.classes'] = det_classes
        return options
    raise InputError(f'run {run.name}: unknown kind {run.kind!r} (recognizer, detector)')


def active_runs(m: Manifest, p: ActionPaths) -> list[Run]:
    runs = []
    for run in m.runs:
        if run.needs_boxes and not p.has_boxes:
            print(f'[podium] {run.name}: skipped, no boxes CSV in {m.data_root}', flush=True)
            continue
        runs.append(run)
    return runs


def train_all(m: Manifest, gpus: int, pipe: Pipeline) -> None:
    from custom_modules.visualization import plot_confusion_matrix

    p = ActionPaths(m)
    prepare_data(m, pipe, p)
    for fold in m.folds:
        for run in active_runs(m, p):
            wd = run_dir(m, run, fold)
            train_list = p.lists / (run.train_list.format(fold=fold) if run.kind == 'recognizer'
                                    else f'det_train_fold{fold}.json')
            train_step(m, pipe, run, fold, gpus, wiring(run, p, fold), inputs=[train_list],
                       metrics=lambda wd=wd, run=run: launch.best_val_metrics(
                           wd, VAL_METRICS.get(run.kind, ())))
            if run.kind != 'recognizer':
                continue

            def do_validate(run=run, wd=wd, fold=fold) -> dict:
                val_list = str((p.lists / f'val_fold{fold}.txt').resolve())
                dump = val_dump(m, run, fold, gpus, wiring(run, p, fold),
                                {'test_dataloader.dataset.ann_file': val_list})
                scores = plot_confusion_matrix(dump, p.lists / 'classes.txt',
                                               wd / 'confusion_matrix.png')
                return {k: float(v) for k, v in scores.items() if isinstance(v, (int, float))}

            pipe.stage(f'validate {run.name} fold{fold}', do_validate,
                       inputs=[wd / 'done.json'], outputs=[wd / 'confusion_matrix.png'])


def inference_all(m: Manifest, gpus: int, pipe: Pipeline) -> Path:
    import numpy as np

    from custom_modules.postprocess import postprocess
    from custom_modules.predictions import (
        ensemble,
        load_predictions,
        run_file_weights,
        save_predictions,
        save_top1_csv,
    )

    p = ActionPaths(m)
    prepare_data(m, pipe, p)
    runs = active_runs(m, p)
    dumps: dict[str, list[Path]] = {}
    for run, dump in infer_runs(m, pipe, runs, gpus, lambda run, fold: wiring(run, p, fold),
                                p.lists / 'test.txt'):
        dumps.setdefault(run.name, []).append(dump)

    recognizers = [r for r in runs if r.kind == 'recognizer']
    if not recognizers:
        raise InputError(f'{m.path}: no recognizer run to predict classes with')
    ensembled = m.work_dir / 'ensemble.npz'
    classes = p.classes()

    files = [(run, dump) for run in recognizers for dump in dumps[run.name]]

    def do_ensemble() -> dict:
        preds = [load_predictions(dump) for _, dump in files]
        weights = run_file_weights([(run.name, run.weight) for run, _ in files])
        names = [str(dump) for _, dump in files]
        ids, probs = ensemble(preds, weights=weights, names=names)
        save_predictions(ensembled, ids, probs, classes=classes, sources=names, weights=weights)
        save_top1_csv(ensembled.with_suffix('.csv'), ids, probs, classes)
        return {'models': len(preds), 'mean_top1_prob': float(np.max(probs, 1).mean())}

    pipe.stage('ensemble', do_ensemble, inputs=[d for _, d in files], outputs=[ensembled])

    submission = m.work_dir / 'submission.csv'
    detector = m.get('rules_detector')
    det_dump = dumps[detector][0] if detector in dumps else None
    rules = m.get('postprocess_rules', [])

    def do_postprocess() -> dict:
        det_classes = p.det_classes() if det_dump else None
        names, changes = postprocess(ensembled, p.sample_submission, submission, rules=rules,
                                     classes=classes, det_pkl=det_dump, det_classes=det_classes)
        metrics: dict[str, Any] = {'rows': len(names), 'changed_by_rules': len(changes)}
        if p.hidden_test_labels and p.hidden_test_labels.is_file():
            metrics['test_acc'] = submission_accuracy(submission, p.hidden_test_labels)
        return metrics

    inputs = [ensembled, p.sample_submission, m.path] + ([det_dump] if det_dump else [])
    pipe.stage('postprocess + submission', do_postprocess, inputs=inputs, outputs=[submission])
    return submission
