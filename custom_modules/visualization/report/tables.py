"""The report's tables: stages, cross-validation, ensemble weights, rules on OOF, TTA.

Each ``*_section`` reads its file from the work dir (formats: ``docs/tools.md#run-report``) and
returns HTML; an absent file gives one line saying it was not produced and how to produce it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .html import heading, missing, para, table
from .source import (
    CV_FILE,
    MODES,
    RULES_FILE,
    STAGES_FILE,
    TTA_FILE,
    WEIGHTS_FILE,
    read_json,
)


def metric_keys(dicts: Iterable[Mapping[str, Any] | None], first: str | None = None) -> list[str]:
    """Every key of ``dicts`` in order of appearance, ``first`` (the headline metric) first
    when present."""
    keys: list[str] = []
    for d in dicts:
        keys += [k for k in (d or {}) if k not in keys]
    if first in keys:
        keys.remove(first)
        keys.insert(0, first)
    return keys


def _fold_order(key: str) -> tuple[int, str]:
    return (int(key), '') if str(key).isdigit() else (1 << 30, str(key))


def stages_section(work_dir: Path, solution: str) -> str:
    """One table per runner mode: stage, status, seconds, metrics, note."""
    parts = []
    for mode in MODES:
        name = STAGES_FILE.format(mode=mode)
        data, problem = read_json(work_dir / name)
        parts.append(heading(mode))
        if problem:
            parts.append(missing(problem))
        elif data is None:
            parts.append(missing(f'not produced: no {mode} run has finished here yet ({name}; '
                                 f'bash {mode}.sh N {solution})'))
        else:
            seconds = [float(r.get('seconds') or 0) for r in data]
            rows = [(r.get('name'), r.get('status'), f'{s:.1f} s', r.get('metrics') or {},
                     r.get('note') or '') for r, s in zip(data, seconds)]
            parts.append(table(['stage', 'status', 'time', 'metrics', 'note'],
                               [*rows, ('total', '', f'{sum(seconds):.1f} s', '', '')],
                               row_classes=['bad' if r[1] in ('failed', 'interrupted') else ''
                                            for r in rows]
                               + ['total'], name=f'stages-{mode}'))
    return ''.join(parts)


def _mean_std(mean: Any, std: Any) -> str:
    if not isinstance(mean, (int, float)):
        return '-'
    return f'{mean:.4f} ± {std:.4f}' if isinstance(std, (int, float)) else f'{mean:.4f}'


def cv_section(work_dir: Path, solution: str) -> str:
    """Per run: each fold's metrics, mean ± std and the OOF metrics; then the ensemble's OOF."""
    data, problem = read_json(work_dir / CV_FILE)
    if problem:
        return missing(problem)
    if data is None:
        return missing(f'not produced: {CV_FILE} is written after training every fold '
                       f"(FOLDS=all bash train.sh N {solution}, or folds='all' in the manifest)")
    metric = data.get('metric')
    parts = [para(f'headline metric: {metric}; OOF = scored once over every out-of-fold '
                  'prediction')]
    if data.get('note'):
        parts.append(para(str(data['note'])))
    for run, block in data.get('runs', {}).items():
        parts += [heading(f'run {run}'), _cv_table(block, metric, f'cv-{run}')]
    ensemble = data.get('ensemble') or {}
    parts.append(heading('ensemble'))
    if ensemble.get('oof') or ensemble.get('folds'):
        parts.append(_cv_table(ensemble, metric, 'cv-ensemble'))
    else:
        parts.append(missing('not produced: no ensemble OOF in the CV report (one run only?)'))
    return ''.join(parts)


def _cv_table(block: Mapping[str, Any], metric: str | None, name: str) -> str:
    """Rows: each fold, mean ± std (when folds are there), OOF (when there)."""
    folds = block.get('folds') or {}
    mean, std, oof = block.get('mean') or {}, block.get('std') or {}, block.get('oof') or {}
    keys = metric_keys([*folds.values(), mean, oof], metric)
    rows: list[list[Any]] = [[f'fold {k}', *(folds[k].get(m) for m in keys)]
                             for k in sorted(folds, key=_fold_order)]
    classes = [''] * len(rows)
    if mean:
        rows.append(['mean ± std', *(_mean_std(mean.get(m), std.get(m)) for m in keys)])
        classes.append('total')
    if oof:
        rows.append(['OOF', *(oof.get(m) for m in keys)])
        classes.append('total')
    return table(['', *keys], rows, row_classes=classes, name=name)


def weights_section(work_dir: Path, solution: str) -> str:
    """The weights the test predictions used beside equal weights, with both OOF scores."""
    data, problem = read_json(work_dir / WEIGHTS_FILE)
    if problem:
        return missing(problem)
    if data is None:
        return missing(f"not produced: {WEIGHTS_FILE} is written by inference with ensemble = "
                       f"dict(weights='oof') in the manifest, after training every fold "
                       f'(FOLDS=all bash train.sh N {solution})')
    method, metric = data.get('method'), data.get('metric')
    line = (f'weights fitted on the OOF predictions (by {metric})' if method == 'oof' else
            f"the manifest's weights ({method})")
    parts = [para(line + (f': {data["reason"]}' if data.get('reason') else ''))]
    weights, equal = data.get('weights') or {}, data.get('equal') or {}
    runs = metric_keys([weights, equal])
    parts.append(table(['run', 'used' if method != 'oof' else 'fitted', 'equal'],
                       [[r, weights.get(r), equal.get(r)] for r in runs], name='weights'))
    fitted, even = data.get('oof_fitted') or {}, data.get('oof_equal') or {}
    if fitted or even:
        keys = metric_keys([fitted, even], metric)
        parts.append(table(['OOF score', *keys],
                           [['fitted weights', *(fitted.get(k) for k in keys)],
                            ['equal weights', *(even.get(k) for k in keys)]],
                           name='weights-oof'))
    return ''.join(parts)


def rules_section(work_dir: Path, solution: str) -> str:
    """Each postprocessing rule on the OOF predictions, in order; a rule that hurts in red."""
    data, problem = read_json(work_dir / RULES_FILE)
    if problem:
        return missing(problem)
    if data is None:
        return missing(f'not produced: {RULES_FILE} needs the OOF predictions of every fold '
                       f'(FOLDS=all bash train.sh N {solution}) and postprocessing rules in '
                       'the manifest')
    rows, classes = [], []
    for r in data.get('rows', []):
        before, after = r.get('before'), r.get('after')
        delta = after - before if isinstance(before, (int, float)) and \
            isinstance(after, (int, float)) else None
        rows.append([r.get('number'), r.get('rule'), r.get('changed'), before, after, delta,
                     r.get('hurts'), r.get('grid'), r.get('chosen'), r.get('note') or ''])
        classes.append('bad' if r.get('hurts') else '')
    if not rows:
        return missing(f'{RULES_FILE}: no rules')
    line = f'metric: {data.get("metric")}; each rule applied after the ones above it'
    if isinstance(data.get('before'), (int, float)) and isinstance(data.get('after'), (int, float)):
        line += (f'; all rules: {data["before"]:.4f} -> {data["after"]:.4f}'
                 + (f' over {data["samples"]} samples' if data.get('samples') else ''))
    return para(line) + table(['#', 'rule', 'rows changed', 'before', 'after', 'delta', 'hurts',
                               'grid', 'chosen', 'note'], rows, row_classes=classes,
                              name='rules')


def tta_section(work_dir: Path, solution: str) -> str:
    """Each run's OOF metric without and with test-time augmentation."""
    data, problem = read_json(work_dir / TTA_FILE)
    if problem:
        return missing(problem)
    if data is None:
        return missing(f'not produced: {TTA_FILE} is written when the manifest switches '
                       f'test-time augmentation on and every fold is trained (FOLDS=all)')
    rows = []
    for run, r in data.items():
        folds, samples = r.get('folds'), r.get('samples')
        rows.append([run, r.get('metric'), r.get('without'), r.get('with'), r.get('delta'),
                     folds, samples])
        # other metrics measured alike: {"log_loss": {"without": .., "with": .., "delta": ..}}
        rows += [[run, key, v.get('without'), v.get('with'), v.get('delta'), folds, samples]
                 for key, v in r.items() if isinstance(v, dict) and 'with' in v]
    return table(['run', 'metric', 'without TTA', 'with TTA', 'delta', 'folds', 'samples'],
                 rows, name='tta')
