"""Apply a manifest's rules to predictions, write the submission and the audit CSV.

Rules are data, not code: a list of dicts applied in order on top of the (ensembled) class
probabilities, each changing the current prediction of a sample or leaving it alone. The action
manifest's (the origin's rules, in the origin's order)::

    postprocess_rules = [
        # top-1 is `cls` with prob < min_prob -> the most probable other class (top-2)
        dict(type='threshold_fallback', cls='putup_umbrella', min_prob=0.95),
        # prediction is `src` and `dst` is among the candidates -> `dst`; the candidates are
        # among='topk' (default): the k most probable classes; among='current_and_runners_up':
        # the current prediction and the 2nd..k-th most probable classes of the original scores
        dict(type='topk_substitute', src='jay_walk', dst='driveway_walk', k=3,
             among='current_and_runners_up'),
        ...  # normal -> jay_walk, ride_kick -> driveway_walk, fighting -> driveway_walk
        # more than `min_count` detector boxes of `det_class` with score > `min_score` over the
        # video's frames, and prediction in `when_pred_in` (omit: any) -> `then`
        dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=20,
             when_pred_in=['driveway_walk', 'jay_walk'], then='ride_kick', group='detectors'),
        dict(type='detector_count', det_class='fall_down', min_score=0.5, min_count=10,
             when_pred_in=['driveway_walk', 'jay_walk', 'normal'], then='fall_down',
             group='detectors'),
    ]

Any rule may carry ``group='name'``: consecutive rules of one group all read the prediction as it
was before the group (so the fall_down rule above sees the prediction after the substitutions,
not the ride_kick rule's change), and where several of them change it the last one in list order
wins (fall_down over ride_kick). Without ``group`` each rule reads the previous rule's result.
Rules that need detections are set aside with :func:`~.registry.split_rules` when there are none.

The submission follows sample_submission's order and header (``video_filename,class``); its ids
are matched to prediction ids exactly or by stem (``abc.mp4`` <-> ``abc``). Every sample_submission
id must get exactly one prediction and every prediction must belong to one id. Which rule changed
which sample goes to ``postprocess_changes.csv`` beside the submission.
"""
from __future__ import annotations

import csv
import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from custom_modules.predictions import DEFAULT_ID_KEYS, load_predictions, read_prediction_npz
from custom_modules.utils.atomic import atomic_write
from custom_modules.utils.validation import list_some

from .base import PostprocessError, Rule, Sample
from .detections import DetScores, load_detection_scores, video_key
from .registry import build_rules
from .submission import match_ids, read_sample_submission, write_submission

logger = logging.getLogger(__name__)

CHANGES_NAME = 'postprocess_changes.csv'


@dataclasses.dataclass
class Change:
    """One rule changing one sample's prediction."""

    sample_id: str
    rule_index: int
    rule: str
    before: str
    after: str
    prob_before: float
    prob_after: float


def apply_rules(ids: Sequence[str], probs: np.ndarray, classes: Sequence[str],
                rules: Sequence[Rule],
                det_scores: DetScores | None = None) -> tuple[np.ndarray, list[Change]]:
    """Run ``rules`` in order over every sample, starting from the argmax.

    A rule reads the previous rule's result, except within a group (consecutive rules with the
    same ``group``): each of those reads the prediction from before the group, and the last one
    that changes it wins.

    Returns:
        final class indices [N] and every change made, in sample then rule order.
    """
    probs = np.asarray(probs)
    if probs.shape != (len(ids), len(classes)):
        raise PostprocessError(f'probs of shape {probs.shape} for {len(ids)} ids and '
                               f'{len(classes)} classes')
    det_scores = det_scores or {}
    if any(r.needs_detections for r in rules):
        unseen = [i for i in ids if video_key(i, det_scores) is None]
        if unseen:
            logger.warning('%d of %d samples have no frames in the detections (counted as 0 '
                           'boxes): %s', len(unseen), len(ids), list_some(unseen))
    order = np.argsort(-probs, axis=1, kind='stable')
    preds = order[:, 0].copy()
    changes = []
    for n, sid in enumerate(ids):
        key = video_key(sid, det_scores)
        sample = Sample(sid, probs[n], order[n], det_scores[key] if key is not None else {})
        group, seen = None, int(preds[n])
        for r, rule in enumerate(rules):
            if rule.group is None or rule.group != group:  # a new group (or none): read the last
                group, seen = rule.group, int(preds[n])
            new = int(rule.apply(seen, sample))
            if new != seen and new != preds[n]:
                number = r if rule.number is None else rule.number
                changes.append(Change(sid, number, rule.describe(), classes[preds[n]],
                                      classes[new], float(probs[n, preds[n]]),
                                      float(probs[n, new])))
                preds[n] = new
    return preds, changes


def write_changes(path: str | Path, id_column: str, changes: Sequence[Change]) -> None:
    """Write the audit CSV: one row per (sample, rule) that changed a prediction."""
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow([id_column, 'rule_index', 'rule', 'before', 'after', 'prob_before',
                         'prob_after'])
        for c in changes:
            writer.writerow([c.sample_id, c.rule_index, c.rule, c.before, c.after,
                             f'{c.prob_before:.6f}', f'{c.prob_after:.6f}'])


def _read_scores(pred_path: Path, classes: Sequence[str] | None,
                 id_keys: Sequence[str]) -> tuple[list[str], np.ndarray, list[str]]:
    """Ids, probabilities and class names of a prediction file, checked against ``classes``."""
    if pred_path.suffix == '.npz':
        ids, probs, file_classes = read_prediction_npz(pred_path)
    else:
        (ids, probs), file_classes = load_predictions(pred_path, id_keys), None
    if classes is not None and file_classes is not None and list(classes) != file_classes:
        raise PostprocessError(f'{pred_path}: classes {list_some(file_classes)} differ from the '
                               f'given classes {list_some(classes)}')
    classes = list(classes) if classes is not None else file_classes
    if classes is None:
        raise PostprocessError(f'{pred_path}: has no class names; pass classes (--classes)')
    if len(classes) != probs.shape[1]:
        raise PostprocessError(f'{pred_path}: {probs.shape[1]} scores per sample for '
                               f'{len(classes)} classes')
    return ids, probs, classes


def postprocess(pred_path: str | Path, sample_submission: str | Path, out: str | Path,
                rules: Sequence[Mapping[str, Any]] = (), classes: Sequence[str] | None = None,
                det_pkl: str | Path | None = None, det_classes: Sequence[str] | None = None,
                id_keys: Sequence[str] = DEFAULT_ID_KEYS,
                changes_path: str | Path | None = None,
                off: Sequence[tuple[int, str, str]] = ()) -> tuple[list[str], list[Change]]:
    """Predictions (+ detections) -> rules -> checked submission CSV and changes CSV.

    Args:
        pred_path: a podium ``.npz`` (:mod:`custom_modules.predictions`) or a DumpResults ``.pkl``.
        sample_submission: its first column gives the ids and their order.
        out: submission CSV to write.
        rules: rule configs (module docstring), applied in order.
        classes: class names in label order; needed when the prediction file has none.
        det_pkl, det_classes: detector DumpResults and its class names (for detector rules).
        changes_path: audit CSV (default ``postprocess_changes.csv`` beside ``out``).
        off: the manifest's rules set aside by :func:`~.registry.split_rules` (number,
            description, reason); ``rules`` are then the active ones, which keep their numbers.

    Returns:
        the predicted class names in sample_submission order, and the changes made.
    """
    pred_path = Path(pred_path)
    ids, probs, classes = _read_scores(pred_path, classes, id_keys)
    if (det_pkl is None) != (det_classes is None):
        raise PostprocessError('detections need both the dump (det_pkl) and det_classes')
    off_numbers = {number for number, _, _ in off}
    numbers = [i for i in range(len(rules) + len(off_numbers)) if i not in off_numbers]
    built = build_rules(rules, classes, det_classes, numbers)
    sub = read_sample_submission(sample_submission)
    row_of = match_ids(sub, ids, str(pred_path))
    det_scores = load_detection_scores(det_pkl, det_classes) if det_pkl is not None else None

    ids = [ids[p] for p in row_of]  # from here on, sample_submission order
    preds, changes = apply_rules(ids, probs[row_of], classes, built, det_scores)
    to_sub = dict(zip(ids, sub.ids))  # report changes under the submission's ids
    changes = [dataclasses.replace(c, sample_id=to_sub[c.sample_id]) for c in changes]
    names = [classes[k] for k in preds]
    out = Path(out)
    write_changes(changes_path or out.with_name(CHANGES_NAME), sub.header[0], changes)
    write_submission(out, sub, names, classes)

    per_rule = Counter(c.rule_index for c in changes)
    lines = [(rule.number, f'{rule.describe()}: {per_rule[rule.number]} changed')
             for rule in built]
    lines += [(number, f'{text}: off, {reason}') for number, text, reason in off]
    for number, line in sorted(lines):
        logger.info('rule #%d %s', number, line)
    logger.info('%d of %d samples changed by rules; %s -> %s', len({c.sample_id for c in changes}),
                len(names), dict(sorted(Counter(names).items())), out)
    return names, changes
