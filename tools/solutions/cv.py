"""Cross-validation after training: out-of-fold (OOF) tables, CV report, fitted ensemble weights.

Per run, every trained fold's validation dump (``val_preds.pkl``, from the stage
``validate <run> fold<k>``) is matched to that fold's validation list BY ID (the image path, the
video stem; never by position) -> ``<work_dir>/<run>/oof.csv``. Over the runs, the stage
``cv report`` writes ``ensemble_weights.json`` (fitted on the OOF predictions when the manifest
says ``ensemble = dict(weights='oof')`` and every fold is trained; else the runs' ``weight``,
with the reason), ``oof_ensemble.csv`` (the runs' OOF probabilities mixed with those weights)
and ``cv_report.json``/``.txt``. Inference takes its run weights from :func:`ensemble_run_weights`.
Used by the sports and action flows (their classifiers and recognizers).
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from custom_modules.utils.errors import PodiumError
from custom_modules.utils.validation import duplicated, list_some, read_lines

from .manifest import Manifest, Run
from .stages import Pipeline, StageFailed
from .steps import run_dir

ValRows = tuple[Path, dict[str, tuple[str, str]]]
"""A fold's validation list and, in its order, each row's key -> (sample id, true class name)."""


@dataclass
class FoldSource:
    """How a flow's validation lists and dumps name their samples.

    Attributes:
        classes: the class list (classes.txt order).
        val_rows: ``(run, fold)`` -> the fold's validation list and its rows by key.
        dump_rows: a validation dump -> ``(keys [N], probabilities [N, C])``.
        train_ids: every training sample id (train_ids.txt).
        inputs: the files the mapping is read from (inputs of the OOF stages).
    """

    classes: Callable[[], list[str]]
    val_rows: Callable[[Run, int], ValRows]
    dump_rows: Callable[[Path], tuple[list[str], np.ndarray]]
    train_ids: Callable[[], list[str]]
    inputs: list[Path]


def oof_file(m: Manifest, run: Run) -> Path:
    return m.work_dir / run.name / 'oof.csv'


def cv_files(m: Manifest) -> dict[str, Path]:
    """The files of the stage ``cv report``."""
    names = ('cv_report.json', 'cv_report.txt', 'oof_ensemble.csv', 'ensemble_weights.json')
    return {name: m.work_dir / name for name in names}


def partial_note(m: Manifest) -> str | None:
    """None when every fold of the split is trained; else ``partial: folds [..] of 0..K-1``."""
    settings = m.get('preprocess', {})
    if settings.get('valid_size'):
        return ('partial: holdout split (preprocess.valid_size), the OOF predictions cover the '
                'validation images only')
    k = settings.get('folds', 5)
    if sorted(set(m.folds)) != list(range(k)):
        return (f'partial: folds {sorted(m.folds)} of 0..{k - 1} trained '
                '(FOLDS=all trains every one)')
    return None


def fold_oof(src: FoldSource, run: Run, fold: int, dump: Path) -> tuple[list, list, np.ndarray]:
    """``(ids, labels, probs)`` of one fold's validation dump, in its list's order, by key."""
    val_list, rows = src.val_rows(run, fold)
    keys, probs = src.dump_rows(dump)
    errors, predicted = [], set(keys)
    if dup := duplicated(keys):
        errors.append(f'{len(dup)} sample(s) predicted twice {list_some(dup)}')
    if extra := [k for k in keys if k not in rows]:
        errors.append(f'{len(extra)} sample(s) not in {val_list} {list_some(extra)}')
    if missing := [k for k in rows if k not in predicted]:
        errors.append(f'{len(missing)} sample(s) of {val_list} not predicted {list_some(missing)}')
    if errors:
        raise StageFailed(f'{dump} ({run.name} fold{fold}): ' + '; '.join(errors)
                          + '; validate the fold again (FORCE=1)')
    at = {k: i for i, k in enumerate(keys)}
    return ([rows[k][0] for k in rows], [rows[k][1] for k in rows],
            np.asarray(probs)[[at[k] for k in rows]])


def build_oof(m: Manifest, run: Run, src: FoldSource) -> dict:
    """Writes ``<work_dir>/<run>/oof.csv`` from the trained folds; checks every id once."""
    from custom_modules.predictions import check_coverage, write_oof

    ids, folds, labels, probs = [], [], [], []
    for fold in m.folds:
        f_ids, f_labels, f_probs = fold_oof(src, run, fold, run_dir(m, run, fold) / 'val_preds.pkl')
        ids += f_ids
        labels += f_labels
        folds += [fold] * len(f_ids)
        probs.append(f_probs)
    note = partial_note(m)
    expected = (src.train_ids() if note is None else
                [row[0] for fold in m.folds for row in src.val_rows(run, fold)[1].values()])
    try:
        check_coverage(ids, expected, f'{run.name} ({oof_file(m, run)})', folds=m.folds)
    except PodiumError as err:
        raise StageFailed(str(err)) from None
    probs = np.concatenate(probs)
    write_oof(oof_file(m, run), ids, folds, labels, probs, src.classes())
    index = {c: i for i, c in enumerate(src.classes())}
    acc = float(np.mean(probs.argmax(1) == np.array([index[lb] for lb in labels])))
    return {'samples': len(ids), 'oof_acc': acc}


def choose_weights(mode: str, names: Sequence[str], manifest: Sequence[float],
                   probs: Sequence[np.ndarray], targets: np.ndarray, note: str | None) -> dict:
    """The ensemble weights and their OOF scores beside equal weights (ensemble_weights.json)."""
    from custom_modules.evaluation.cv_report import scores
    from custom_modules.predictions import normalised_weights
    from custom_modules.predictions.weights_fit import fit_weights

    equal = np.full(len(names), 1.0 / len(names))
    if mode == 'oof' and note is None and len(names) > 1:
        w, method, reason = fit_weights(probs, targets), 'oof', None
    else:
        w, method = normalised_weights(manifest, names), 'manifest'
        if mode != 'oof':
            reason = ("the manifest's run weights (ensemble = dict(weights='oof') fits them on "
                      'the OOF predictions)')
        elif note is not None:
            reason = f"{note}: fitted weights need every fold, the manifest's are used"
        else:
            reason = 'one run: nothing to weigh'

    def mixed(weights: np.ndarray) -> dict:
        return scores(targets, sum(wi * p for wi, p in zip(weights, probs)))

    return {'method': method, 'reason': reason, 'metric': 'log_loss',
            'weights': {n: float(x) for n, x in zip(names, w)},
            'equal': {n: float(x) for n, x in zip(names, equal)},
            'oof_fitted': mixed(w), 'oof_equal': mixed(equal)}


def weights_lines(choice: dict) -> list[str]:
    """Two printed lines: the weights used and equal weights, each with its OOF scores."""
    def line(title: str, weights: dict, s: dict) -> str:
        shown = ' '.join(f'{n}={w:.3f}' for n, w in weights.items())
        return (f'[podium] {title}: {shown}  OOF log loss {s["log_loss"]:.4f}, '
                f'accuracy {s["accuracy"]:.4f}')
    used = ('ensemble weights (fitted on the OOF predictions, least log loss)'
            if choice['method'] == 'oof' else f'ensemble weights (manifest; {choice["reason"]})')
    return [line(used, choice['weights'], choice['oof_fitted']),
            line('equal weights', choice['equal'], choice['oof_equal'])]


def write_cv(m: Manifest, runs: Sequence[Run]) -> dict:
    """ensemble_weights.json, oof_ensemble.csv, cv_report.json/.txt from the runs' oof.csv."""
    from custom_modules.evaluation.cv_report import cv_scores, format_cv_report
    from custom_modules.predictions import read_oof, write_oof
    from custom_modules.utils.atomic import atomic_write_json, atomic_write_text

    oofs = [read_oof(oof_file(m, run)) for run in runs]
    ref = oofs[0]
    for run, oof in zip(runs[1:], oofs[1:]):
        if set(oof.ids) != set(ref.ids) or oof.classes != ref.classes:
            raise StageFailed(f'{oof_file(m, run)} and {oof_file(m, runs[0])} hold different '
                              'samples or classes: train every run on the same folds')
    aligned = [ref] + [oof.select(ref.ids) for oof in oofs[1:]]
    targets, note = ref.targets, partial_note(m)
    names = [run.name for run in runs]
    choice = choose_weights(m.ensemble_weights, names, [run.weight for run in runs],
                            [o.probs for o in aligned], targets, note)
    mix = sum(choice['weights'][n] * o.probs for n, o in zip(names, aligned))
    out = cv_files(m)
    write_oof(out['oof_ensemble.csv'], ref.ids, ref.folds, ref.labels, mix, ref.classes)
    report = {'metric': 'accuracy', 'complete': note is None, 'note': note,
              'folds_trained': sorted(m.folds),
              'runs': {n: cv_scores(targets, o.probs, ref.folds) for n, o in zip(names, aligned)},
              'ensemble': {**cv_scores(targets, mix, ref.folds), 'method': choice['method'],
                           'weights': choice['weights']}}
    atomic_write_json(out['ensemble_weights.json'], choice)
    text = '\n'.join([format_cv_report(report), *weights_lines(choice)])
    atomic_write_json(out['cv_report.json'], report)
    atomic_write_text(out['cv_report.txt'], text + '\n')
    print(text, flush=True)
    return {'oof_acc': report['ensemble']['oof']['accuracy'],
            'oof_log_loss': report['ensemble']['oof']['log_loss']}


def cv_stages(m: Manifest, pipe: Pipeline, runs: Sequence[Run], src: FoldSource) -> None:
    """Stages ``oof <run>`` (one per run) and ``cv report``, after the validate stages."""
    from custom_modules.predictions import read_oof

    if not runs:
        return
    for run in runs:
        oof = oof_file(m, run)
        if oof.exists() and not pipe.dry_run:  # made from other folds: make it again
            try:
                stale = read_oof(oof).fold_ids != sorted(m.folds)
            except PodiumError:
                stale = True
            if stale:
                oof.unlink()
        dumps = [run_dir(m, run, fold) / 'val_preds.pkl' for fold in m.folds]
        pipe.stage(f'oof {run.name}', lambda run=run: build_oof(m, run, src),
                   inputs=[*dumps, *src.inputs], outputs=[oof])
    pipe.stage('cv report', lambda: write_cv(m, runs), inputs=[oof_file(m, r) for r in runs]
               + [m.path], outputs=list(cv_files(m).values()))


def fold_cv_stage(m: Manifest, pipe: Pipeline, runs: Sequence[Run],
                  fold_metrics: Callable[[Run, int], dict], inputs: Sequence[Path],
                  metric: str) -> None:
    """Stage ``cv report`` of a flow without OOF tables (crash, localize): each run's validation
    scores per fold, their mean and std (``cv_report.json``/``.txt``; no ``oof`` entries)."""
    from custom_modules.evaluation.cv_report import fold_summary, format_cv_report
    from custom_modules.utils.atomic import atomic_write_json, atomic_write_text

    out = cv_files(m)

    def do_report() -> dict:
        note = partial_note(m)
        note = ('per-fold validation scores only (this flow writes no OOF table)'
                + (f'; {note}' if note else ''))
        blocks = {}
        for run in runs:
            per_fold = {str(f): fold_metrics(run, f) for f in m.folds}
            if all(per_fold.values()):
                blocks[run.name] = fold_summary(per_fold)
        report = {'metric': metric, 'complete': False, 'note': note,
                  'folds_trained': sorted(m.folds), 'runs': blocks, 'ensemble': None}
        text = format_cv_report(report)
        atomic_write_json(out['cv_report.json'], report)
        atomic_write_text(out['cv_report.txt'], text + '\n')
        print(text, flush=True)
        return {f'{n}_mean_{metric.split("/")[-1]}': b['mean'][metric]
                for n, b in blocks.items() if metric in b['mean']}

    pipe.stage('cv report', do_report, inputs=[*inputs, m.path],
               outputs=[out['cv_report.json'], out['cv_report.txt']])


def ensemble_run_weights(m: Manifest, runs: Sequence[Run]) -> dict[str, float]:
    """Each run's weight for the test ensemble: the fitted ones (ensemble_weights.json) when
    the manifest asks for them and they were fitted, else the runs' ``weight`` (a line says why)."""
    manifest = {run.name: run.weight for run in runs}
    if m.ensemble_weights != 'oof':
        return manifest
    path = cv_files(m)['ensemble_weights.json']
    data = json.loads(path.read_text()) if path.is_file() else None
    if data is None:
        why = f'no {path} (made by training with every fold: FOLDS=all)'
    elif data.get('method') != 'oof':
        why = data.get('reason') or 'not fitted'
    elif set(data['weights']) != set(manifest):
        why = f'{path} weighs runs {sorted(data["weights"])}, this inference {sorted(manifest)}'
    else:
        fitted = {n: float(data['weights'][n]) for n in manifest}
        shown = ' '.join(f'{n}={w:.3f}' for n, w in fitted.items())
        print(f'[podium] ensemble: weights fitted on the OOF predictions ({path}): {shown}',
              flush=True)
        return fitted
    print(f"[podium] ensemble: the manifest's run weights ({why})", flush=True)
    return manifest


def weights_input(m: Manifest) -> list[Path]:
    """ensemble_weights.json as an input of the ensemble stage (when weights='oof')."""
    path = cv_files(m)['ensemble_weights.json']
    return [path] if m.ensemble_weights == 'oof' and path.is_file() else []


# ---- the flows' sources -------------------------------------------------------------------

def train_id_map(lists: Path, key: Callable[[str], str]) -> dict[str, str]:
    """``key(a train_all.txt line)`` -> that line's train_ids.txt id (same order)."""
    ids_file = lists / 'train_ids.txt'
    if not ids_file.is_file():
        raise StageFailed(f'{ids_file} is missing (lists made by an older podium): rebuild the '
                          'lists with FORCE=1')
    lines, ids = read_lines(lists / 'train_all.txt'), read_lines(ids_file)
    if len(lines) != len(ids):
        raise StageFailed(f'{lists}: train_all.txt has {len(lines)} lines, train_ids.txt '
                          f'{len(ids)}; rebuild the lists with FORCE=1')
    return {key(line): i for line, i in zip(lines, ids)}


def sports_source(p) -> FoldSource:
    """Sports (``SportsPaths``): keys are absolute image paths (``a.jpg`` and ``a.png`` differ)."""
    from custom_modules.predictions import as_probabilities, get_field, load_dump, to_numpy

    root = p.train_images.resolve()

    def key(rel: str) -> str:
        return os.path.normpath(root / rel)

    def val_rows(run: Run, fold: int) -> ValRows:
        val_list = p.lists / p.split_lists(run, fold)[1]
        ids, classes = train_id_map(p.lists, lambda line: key(line.rsplit(' ', 1)[0])), p.classes()
        rows = {}
        for line in read_lines(val_list):
            rel, target = line.rsplit(' ', 1)
            rows[key(rel)] = (ids[key(rel)], classes[int(target)])
        return val_list, rows

    def dump_rows(dump: Path) -> tuple[list[str], np.ndarray]:
        keys, scores = [], []
        for n, sample in enumerate(load_dump(dump)):
            path, score = get_field(sample, 'img_path'), get_field(sample, 'pred_score')
            if path is None or score is None:
                raise StageFailed(f'{dump}: sample #{n} has no img_path or pred_score')
            keys.append(os.path.normpath(path))
            scores.append(to_numpy(score).reshape(-1))
        return keys, as_probabilities(np.stack(scores), str(dump))

    return FoldSource(p.classes, val_rows, dump_rows, lambda: read_lines(p.lists / 'train_ids.txt'),
                      [p.lists / 'split.json', p.lists / 'train_ids.txt'])


def action_source(p) -> FoldSource:
    """Action (``ActionPaths``): keys are video stems (a dump's ``frame_dir``, a list's first
    field)."""
    from custom_modules.predictions import load_predictions

    def stem(line: str) -> str:  # `frame_dir total_frames label` -> the frame folder's name
        return Path(line.rsplit(' ', 2)[0]).name

    def val_rows(run: Run, fold: int) -> ValRows:
        val_list = p.lists / f'val_fold{fold}.txt'
        ids, classes = train_id_map(p.lists, stem), p.classes()
        rows = {}
        for line in read_lines(val_list):
            rows[stem(line)] = (ids[stem(line)], classes[int(line.rsplit(' ', 1)[1])])
        return val_list, rows

    def dump_rows(dump: Path) -> tuple[list[str], np.ndarray]:
        keys, probs = load_predictions(dump)
        return [str(k) for k in keys], probs

    return FoldSource(p.classes, val_rows, dump_rows, lambda: read_lines(p.lists / 'train_ids.txt'),
                      [p.lists / 'split.json', p.lists / 'train_ids.txt'])
