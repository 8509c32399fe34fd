"""Each postprocessing rule judged on the out-of-fold (OOF) predictions, its grid searched there.

The rules run exactly as for the test submission (:func:`~.apply.apply_rules`, groups included),
on the OOF ensemble's probabilities, whose true labels are known. For each rule, in manifest
order: the rows it changes and the metric before and after it (the rules before it applied);
a rule whose metric after is lower is flagged ``hurts``. A rule with a ``grid``
(:mod:`.grid`) is tried with every candidate, the rules before it applied, and keeps the best by
the metric (ties: the manifest's values when among the best, else the first); the rules after it
run with that choice.

Rules that need detections use the detector's out-of-fold predictions (the fold-k detector on
the fold-k validation videos). They are judged on the samples of the folds whose detector
predicted, and are ``off`` without any. Writes ``rules_oof.json`` and ``rules_oof.txt``.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from custom_modules.evaluation.classification_report import confusion, prf_from_matrix
from custom_modules.utils.atomic import atomic_write_json, atomic_write_text
from custom_modules.utils.validation import list_some

from .apply import apply_rules
from .base import PostprocessError
from .detections import DetScores, video_key
from .grid import as_json, candidates, check_grid
from .registry import POSTPROCESS_RULES, _where, build_rules, check_groups, make_rule

logger = logging.getLogger(__name__)

METRICS = ('accuracy', 'macro_f1')
TIE = 1e-12  # metric differences below this are ties


@dataclasses.dataclass
class OofDetections:
    """The detector's out-of-fold boxes: per video, per detector class, the box scores.

    ``folds``: the folds whose detector predicted its validation videos (``scores`` holds those
    videos only; a video of these folds without boxes counts 0).
    """

    scores: DetScores
    det_classes: list[str]
    folds: list[int]


@dataclasses.dataclass
class RuleRow:
    """One rule's effect on the OOF predictions (``before``/``after``: the chosen metric)."""

    number: int
    rule: str
    changed: int | None
    before: float | None
    after: float | None
    hurts: bool
    grid: dict[str, list[float]] | None = None
    chosen: dict[str, float] | None = None
    macro_f1_before: float | None = None
    macro_f1_after: float | None = None
    samples: int | None = None
    note: str = ''
    candidates: list[dict[str, Any]] | None = None


@dataclasses.dataclass
class RulesAudit:
    """Every rule's row, the chosen rule configs and the metric without and with all rules."""

    metric: str
    rows: list[RuleRow]
    rules: list[dict[str, Any]]  # the manifest's configs, as given
    chosen_rules: list[dict[str, Any]]  # the same with the grid choices put in
    samples: int
    before: float
    after: float

    def to_json(self) -> dict[str, Any]:
        return {'metric': self.metric, 'samples': self.samples, 'before': self.before,
                'after': self.after, 'rows': [dataclasses.asdict(r) for r in self.rows],
                'rules': as_json(self.rules), 'chosen_rules': as_json(self.chosen_rules)}


def scores(preds: np.ndarray, targets: np.ndarray, num_classes: int) -> dict[str, float]:
    """Accuracy and macro F1 of class indices against the true ones."""
    if not len(targets):
        return {'accuracy': float('nan'), 'macro_f1': float('nan')}
    _, _, _, macro = prf_from_matrix(confusion(targets, preds, num_classes))
    return {'accuracy': float(np.mean(preds == targets)), 'macro_f1': macro}


class _Judge:
    """Runs rule lists over the OOF samples and scores the result on a subset."""

    def __init__(self, ids: Sequence[str], targets: np.ndarray, probs: np.ndarray,
                 classes: Sequence[str], detections: OofDetections | None) -> None:
        self.ids, self.targets, self.probs, self.classes = list(ids), targets, probs, classes
        self.det_classes = detections.det_classes if detections else None
        # Every sample gets an entry (none: 0 boxes), so apply_rules has nothing to warn about.
        known = detections.scores if detections else {}
        self.det_scores = {}
        for sid in self.ids:
            key = video_key(sid, known)
            self.det_scores[sid] = known[key] if key is not None else {}

    def predict(self, chain: Sequence[tuple[int, dict]]) -> np.ndarray:
        """Final class indices after the rules of ``chain`` ((number, config), in order)."""
        rules = build_rules([c for _, c in chain], self.classes, self.det_classes,
                            [n for n, _ in chain])
        preds, _ = apply_rules(self.ids, self.probs, self.classes, rules, self.det_scores)
        return preds

    def score(self, preds: np.ndarray, mask: np.ndarray) -> dict[str, float]:
        return scores(preds[mask], self.targets[mask], len(self.classes))


def _best(tried: list[tuple[dict, dict[str, float]]], metric: str,
          own: dict[str, Any]) -> dict[str, float]:
    """The candidate with the best metric; on a tie the manifest's own values, else the first."""
    top = max(s[metric] for _, s in tried)
    best = [values for values, s in tried if s[metric] >= top - TIE]
    return own if own in best else best[0]


def _detector_scope(oof_folds: np.ndarray, detections: OofDetections | None) -> tuple[
        np.ndarray, str]:
    """Which samples the detector rules are judged on, and the note saying so."""
    if detections is None:
        return np.zeros(len(oof_folds), bool), ''
    present = sorted({int(f) for f in oof_folds})
    mask = np.isin(oof_folds, detections.folds)
    missing = [f for f in present if f not in detections.folds]
    if not missing:
        return mask, ''
    note = (f'judged on folds {sorted(set(detections.folds) & set(present))} only: no '
            f'out-of-fold detections for folds {missing}')
    return mask, note


def judge_rules(ids: Sequence[str], folds: Sequence[int], targets: Sequence[int],
                probs: np.ndarray, classes: Sequence[str],
                rule_cfgs: Sequence[Mapping[str, Any]] | None,
                detections: OofDetections | None = None, *, metric: str = 'accuracy',
                off_reason: str = 'no detections', where: str = 'postprocess_rules'
                ) -> RulesAudit:
    """Judge ``rule_cfgs`` (manifest order) on OOF predictions; see the module docstring.

    Args:
        ids, folds, targets, probs, classes: the OOF samples, the fold that predicted each, the
            true class indices and the probabilities [N, C] in ``classes`` order.
        rule_cfgs: the manifest's rules (``grid`` allowed).
        detections: the detector's out-of-fold boxes; None: the detector rules are off.
        metric: what decides ``hurts`` and the grid choice (``accuracy`` or ``macro_f1``).
        off_reason: why there are no detections (the note of the rules that are off).
        where: the manifest, named in errors with the rule number.
    """
    if metric not in METRICS:
        raise PostprocessError(f'{where}: metric must be one of {METRICS}, got {metric!r}')
    cfgs = [dict(c) if isinstance(c, Mapping) else c for c in rule_cfgs or []]
    probs, targets = np.asarray(probs, np.float64), np.asarray(targets, np.int64)
    folds = np.asarray(folds, np.int64)
    if probs.shape != (len(ids), len(classes)) or len({len(ids), len(folds), len(targets)}) > 1:
        raise PostprocessError(f'{where}: {len(ids)} ids, {len(folds)} folds, {len(targets)} '
                               f'labels and probabilities of shape {probs.shape}')
    try:
        check_groups(cfgs)
    except PostprocessError as e:
        raise PostprocessError(f'{where}: {e}') from e
    det_mask, det_note = _detector_scope(folds, detections)
    if detections is not None and not det_mask.any():
        present = sorted(set(folds.tolist()))
        detections, off_reason = None, f'no out-of-fold detections for the folds {present}'
    judge = _Judge(ids, targets, probs, classes, detections)
    everyone = np.ones(len(ids), bool)
    chain: list[tuple[int, dict]] = []
    preds = judge.predict(chain)
    start = judge.score(preds, everyone)[metric]
    rows, chosen_cfgs = [], []
    for number, cfg in enumerate(cfgs):
        try:
            rule = make_rule(cfg, POSTPROCESS_RULES)
            grid = check_grid(cfg, type(rule))
        except PostprocessError as e:
            raise PostprocessError(f'{where}: {_where(cfg, number)}: {e}') from e
        if rule.needs_detections and detections is None:
            rows.append(RuleRow(number, rule.describe(), None, None, None, False, grid,
                                note=f'off: {off_reason}'))
            chosen_cfgs.append(dict(cfg))
            continue
        mask = det_mask if rule.needs_detections else everyone
        tried = []
        for values in candidates(grid) if grid else [{}]:
            try:
                trial = judge.predict(chain + [(number, {**cfg, **values})])
            except PostprocessError as e:
                raise PostprocessError(f'{where}: grid {values}: {e}') from e
            tried.append((values, judge.score(trial, mask)))
        own = {p: cfg.get(p, getattr(rule, p)) for p in grid} if grid else {}
        chosen = _best(tried, metric, own)
        chain.append((number, {**cfg, **chosen}))
        chosen_cfgs.append({**cfg, **chosen})
        after_preds = judge.predict(chain)
        before, after = judge.score(preds, mask), judge.score(after_preds, mask)
        rows.append(RuleRow(
            number, make_rule(chain[-1][1], POSTPROCESS_RULES).describe(),
            int(np.count_nonzero(after_preds[mask] != preds[mask])), before[metric],
            after[metric], bool(after[metric] < before[metric] - TIE), grid,
            chosen if grid else None, before['macro_f1'], after['macro_f1'], int(mask.sum()),
            det_note if rule.needs_detections else '',
            [{'values': v, **s} for v, s in tried] if grid else None))
        preds = after_preds
    final = judge.score(preds, everyone)[metric]
    return RulesAudit(metric, rows, cfgs, chosen_cfgs, len(ids), start, final)


def _num(x: float | None) -> str:
    return '-' if x is None else f'{x:.4f}'


def format_audit(audit: RulesAudit) -> str:
    """The rules table (one line per rule, then its grid and notes), for the console and .txt."""
    lines = [f'rules judged on out-of-fold predictions ({audit.samples} samples, metric '
             f'{audit.metric}): {audit.before:.4f} without rules -> {audit.after:.4f} with them',
             f'{"#":>3}  {"changed":>7}  {"before":>7}  {"after":>7}  {"delta":>8}  '
             f'{"macroF1 before":>14}  {"after":>7}  {"flag":<5}  rule']
    for r in audit.rows:
        delta = '-' if r.after is None else f'{r.after - r.before:+.4f}'
        changed = '-' if r.changed is None else str(r.changed)
        flag = 'HURTS' if r.hurts else ('off' if r.after is None else '')
        lines.append(f'{r.number:>3}  {changed:>7}  {_num(r.before):>7}  {_num(r.after):>7}  '
                     f'{delta:>8}  {_num(r.macro_f1_before):>14}  {_num(r.macro_f1_after):>7}  '
                     f'{flag:<5}  {r.rule}')
        if r.grid:
            lines.append(f'{"":>5}grid {r.grid} -> chosen {r.chosen} by {audit.metric}')
            lines += [f'{"":>7}{c["values"]}: {audit.metric} {c[audit.metric]:.4f}'
                      for c in r.candidates or []]
        if r.note:
            lines.append(f'{"":>5}{r.note}')
    if not audit.rows:
        lines.append('    (no rules)')
    return '\n'.join(lines)


def write_audit(audit: RulesAudit, work_dir: str | Path, name: str = 'rules_oof') -> Path:
    """``<work_dir>/rules_oof.json`` and ``rules_oof.txt``; returns the JSON's path."""
    work_dir = Path(work_dir)
    atomic_write_text(work_dir / f'{name}.txt', format_audit(audit) + '\n')
    atomic_write_json(work_dir / f'{name}.json', audit.to_json())
    return work_dir / f'{name}.json'


def judge_oof(oof: Any, rule_cfgs: Sequence[Mapping[str, Any]] | None, work_dir: str | Path,
              detections: OofDetections | None = None, **kwargs: Any) -> RulesAudit:
    """:func:`judge_rules` on an ``OofPredictions`` (:mod:`custom_modules.predictions.oof`),
    written to ``work_dir``, the table logged."""
    unknown = sorted(set(oof.labels) - set(oof.classes))
    if unknown:
        raise PostprocessError(f'OOF labels not among the classes: {list_some(unknown)}')
    audit = judge_rules(oof.ids, oof.folds, oof.targets, oof.probs, oof.classes, rule_cfgs,
                        detections, **kwargs)
    write_audit(audit, work_dir)
    logger.info('%s', format_audit(audit))
    return audit
