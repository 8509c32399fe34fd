"""Apply a manifest's postprocessing rules to predictions and write the submission CSV.

Rules are data, not code: a list of dicts applied in order on top of the (ensembled) class
probabilities, each changing the current prediction of a sample or leaving it alone::

    postprocess_rules = [
        # top-1 is `cls` with prob < min_prob -> the most probable other class (top-2)
        dict(type='threshold_fallback', cls='putup_umbrella', min_prob=0.95),
        # prediction is `src` and `dst` is among the k most probable classes -> `dst`
        dict(type='topk_substitute', src='jay_walk', dst='driveway_walk', k=3),
        # more than `min_count` detector boxes of `det_class` with score > `min_score` over the
        # video's frames, and prediction in `when_pred_in` (omit: any) -> `then`
        dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=20,
             when_pred_in=['driveway_walk', 'jay_walk'], then='ride_kick'),
    ]

New rule types subclass :class:`Rule` and register with ``@register_rule('name')``.

The submission follows sample_submission's order and header (``video_filename,class``); its ids
are matched to prediction ids exactly or by stem (``abc.mp4`` <-> ``abc``). Every sample_submission
id must get exactly one prediction and every prediction must belong to one id. Which rule changed
which sample goes to ``postprocess_changes.csv`` beside the submission.

Example::

    python tools/postprocess.py work_dirs/action/ensemble.npz \
        --sample-submission data/action/sample_submission.csv \
        --manifest configs/solutions/action.py \
        --det-pkl work_dirs/action/det.pkl --det-classes data/action/annotations/boxes_coco.json \
        --out work_dirs/action/submission.csv
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import pickle
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

if __package__ in (None, ''):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from tools.ensemble import (
    DEFAULT_ID_KEYS,
    PredictionError,
    atomic_write,
    get_field,
    list_some,
    load_predictions,
    read_lines,
    read_podium_predictions,
    to_numpy,
)

logger = logging.getLogger(__name__)

DEFAULT_RULES_KEY = 'postprocess_rules'
CHANGES_NAME = 'postprocess_changes.csv'

DetScores = Mapping[str, Mapping[str, np.ndarray]]
"""Per video stem, per detector class name: the scores of all its boxes over the video's frames."""


class PostprocessError(PredictionError):
    """Rules, detections or the submission cannot be made consistent."""


# --------------------------------------------------------------------------------------- rules
@dataclasses.dataclass
class Sample:
    """What a rule may look at for one sample."""

    sample_id: str
    probs: np.ndarray  # [C]
    order: np.ndarray  # [C] class indices, most probable first (ties: lower index first)
    det_scores: Mapping[str, np.ndarray]  # detector class name -> box scores in this video


class Rule:
    """A postprocessing rule: maps (current prediction, sample) to a new prediction.

    Subclasses are dataclasses whose fields are the rule's config keys (besides ``type``).
    """

    type: ClassVar[str] = ''
    needs_detections: ClassVar[bool] = False

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        """Check the config against the class lists and resolve names to indices."""

    def apply(self, pred: int, sample: Sample) -> int:
        """Return the new prediction (class index) for ``sample``."""
        raise NotImplementedError

    def describe(self) -> str:
        """``type(k=v, ...)``, for logs and the changes CSV."""
        fields = ', '.join(f'{f.name}={getattr(self, f.name)!r}' for f in dataclasses.fields(self))
        return f'{self.type}({fields})'


RULES: dict[str, type[Rule]] = {}


def register_rule(name: str) -> Callable[[type[Rule]], type[Rule]]:
    """Class decorator adding a rule type to :data:`RULES` under ``name``."""

    def wrap(cls: type[Rule]) -> type[Rule]:
        if name in RULES:
            raise KeyError(f'rule type {name!r} is already registered')
        cls.type = name
        RULES[name] = cls
        return cls

    return wrap


def _class_index(classes: Sequence[str], name: Any, what: str) -> int:
    if name not in classes:
        raise PostprocessError(f'{what} {name!r} is not a known class {list_some(classes, 50)}')
    return list(classes).index(name)


def _number(value: Any, what: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PostprocessError(f'{what} must be a number, got {value!r}')
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise PostprocessError(f'{what} must be in [{lo}, {hi}], got {value!r}')
    return float(value)


@register_rule('threshold_fallback')
@dataclasses.dataclass
class ThresholdFallback(Rule):
    """Prediction is ``cls`` with probability < ``min_prob``: take the most probable other class."""

    cls: str
    min_prob: float

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        self._k = _class_index(classes, self.cls, 'cls')
        _number(self.min_prob, 'min_prob', 0.0, 1.0)

    def apply(self, pred: int, sample: Sample) -> int:
        if pred != self._k or sample.probs[pred] >= self.min_prob:
            return pred
        others = sample.order[sample.order != self._k]
        return int(others[0]) if others.size else pred


@register_rule('topk_substitute')
@dataclasses.dataclass
class TopkSubstitute(Rule):
    """Prediction is ``src`` and ``dst`` is among the ``k`` most probable classes: take ``dst``."""

    src: str
    dst: str
    k: int

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        self._src = _class_index(classes, self.src, 'src')
        self._dst = _class_index(classes, self.dst, 'dst')
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise PostprocessError(f'k must be a positive integer, got {self.k!r}')

    def apply(self, pred: int, sample: Sample) -> int:
        if pred == self._src and self._dst in sample.order[:self.k]:
            return self._dst
        return pred


@register_rule('detector_count')
@dataclasses.dataclass
class DetectorCount(Rule):
    """More than ``min_count`` boxes of ``det_class`` scoring > ``min_score`` in the video, and the
    prediction in ``when_pred_in`` (None: any): predict ``then``."""

    det_class: str
    min_score: float
    min_count: int
    then: str
    when_pred_in: list[str] | None = None
    needs_detections: ClassVar[bool] = True

    def bind(self, classes: Sequence[str], det_classes: Sequence[str] | None) -> None:
        if det_classes is None:
            raise PostprocessError('needs detections: pass the detector dump and its classes '
                                   '(--det-pkl, --det-classes)')
        _class_index(det_classes, self.det_class, 'det_class')
        self._then = _class_index(classes, self.then, 'then')
        _number(self.min_score, 'min_score', 0.0, 1.0)
        _number(self.min_count, 'min_count', 0)
        if self.when_pred_in is None:
            self._when = None
        elif isinstance(self.when_pred_in, str):
            raise PostprocessError(f'when_pred_in must be a list of classes, '
                                   f'got {self.when_pred_in!r}')
        else:
            self._when = {_class_index(classes, c, 'when_pred_in') for c in self.when_pred_in}

    def count(self, sample: Sample) -> int:
        scores = sample.det_scores.get(self.det_class)
        return 0 if scores is None else int(np.count_nonzero(scores > self.min_score))

    def apply(self, pred: int, sample: Sample) -> int:
        if self._when is not None and pred not in self._when:
            return pred
        return self._then if self.count(sample) > self.min_count else pred


def build_rules(cfgs: Sequence[Mapping[str, Any]] | None, classes: Sequence[str],
                det_classes: Sequence[str] | None = None) -> list[Rule]:
    """Build rules from their configs and check every class name they use, before any work."""
    rules = []
    for i, cfg in enumerate(cfgs or []):
        if not isinstance(cfg, Mapping) or 'type' not in cfg:
            raise PostprocessError(f'rule #{i}: expected a dict with a type, got {cfg!r}')
        kwargs = dict(cfg)
        name = kwargs.pop('type')
        if name not in RULES:
            raise PostprocessError(f'rule #{i}: unknown type {name!r} (known: {sorted(RULES)})')
        try:
            rule = RULES[name](**kwargs)
            rule.bind(classes, det_classes)
        except TypeError as e:
            fields = [f.name for f in dataclasses.fields(RULES[name])]
            raise PostprocessError(f'rule #{i} ({name}): {e}; its keys are {fields}') from e
        except PostprocessError as e:
            raise PostprocessError(f'rule #{i} ({name}): {e}') from e
        rules.append(rule)
    return rules


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


def _video_key(sample_id: str, det_scores: DetScores) -> str | None:
    for key in (sample_id, Path(sample_id).stem):
        if key in det_scores:
            return key
    return None


def apply_rules(ids: Sequence[str], probs: np.ndarray, classes: Sequence[str],
                rules: Sequence[Rule],
                det_scores: DetScores | None = None) -> tuple[np.ndarray, list[Change]]:
    """Run ``rules`` in order over every sample, starting from the argmax.

    Returns:
        final class indices [N] and every change made, in sample then rule order.
    """
    probs = np.asarray(probs)
    if probs.shape != (len(ids), len(classes)):
        raise PostprocessError(f'probs of shape {probs.shape} for {len(ids)} ids and '
                               f'{len(classes)} classes')
    det_scores = det_scores or {}
    if any(r.needs_detections for r in rules):
        unseen = [i for i in ids if _video_key(i, det_scores) is None]
        if unseen:
            logger.warning('%d of %d samples have no frames in the detections (counted as 0 '
                           'boxes): %s', len(unseen), len(ids), list_some(unseen))
    order = np.argsort(-probs, axis=1, kind='stable')
    preds = order[:, 0].copy()
    changes = []
    for n, sid in enumerate(ids):
        key = _video_key(sid, det_scores)
        sample = Sample(sid, probs[n], order[n], det_scores[key] if key is not None else {})
        for r, rule in enumerate(rules):
            new = int(rule.apply(int(preds[n]), sample))
            if new != preds[n]:
                changes.append(Change(sid, r, rule.describe(), classes[preds[n]], classes[new],
                                      float(probs[n, preds[n]]), float(probs[n, new])))
                preds[n] = new
    return preds, changes


# ---------------------------------------------------------------------------------- detections
def read_class_names(path: str | Path) -> list[str]:
    """Class names in label order from a text file (one per line) or a JSON file.

    JSON may be a list of names, ``{"classes": [...]}``, or a COCO file whose ``categories`` are
    listed in the detector's label order (the order of the config's ``metainfo.classes``).
    """
    path = Path(path)
    if path.suffix != '.json':
        return read_lines(path)
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError) as e:
        raise PostprocessError(f'{path}: cannot read JSON: {e}') from e
    if isinstance(data, Mapping) and 'categories' in data:
        names = [c.get('name') for c in data['categories']]
    elif isinstance(data, Mapping) and 'classes' in data:
        names = data['classes']
    else:
        names = data
    if (not isinstance(names, list) or not names
            or not all(isinstance(n, str) and n for n in names)):
        raise PostprocessError(f'{path}: expected a list of class names, categories or classes')
    dup = [n for n, c in Counter(names).items() if c > 1]
    if dup:
        raise PostprocessError(f'{path}: duplicate class names {list_some(dup)}')
    return names


def load_detection_scores(det_pkl: str | Path, det_classes: Sequence[str]) -> dict[
        str, dict[str, np.ndarray]]:
    """Group a detector's DumpResults pickle by video: ``{video stem: {class: scores}}``.

    Each dumped frame has ``img_path`` = ``.../rawframes/<video stem>/img_00001.jpg`` and
    ``pred_instances`` with ``scores`` and ``labels`` (indices into ``det_classes``).
    """
    det_pkl = Path(det_pkl)
    try:
        with open(det_pkl, 'rb') as f:
            frames = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as e:
        raise PostprocessError(f'{det_pkl}: cannot unpickle: {e}') from e
    if not isinstance(frames, (list, tuple)):
        raise PostprocessError(f'{det_pkl}: expected a list of frames (DumpResults), '
                               f'got {type(frames).__name__}')
    parts: dict[str, dict[int, list[np.ndarray]]] = defaultdict(lambda: defaultdict(list))
    for n, frame in enumerate(frames):
        img_path = get_field(frame, 'img_path')
        inst = get_field(frame, 'pred_instances')
        if not img_path or inst is None:
            raise PostprocessError(f'{det_pkl}: frame #{n} needs img_path and pred_instances')
        video = Path(str(img_path)).parent.name
        scores, labels = get_field(inst, 'scores'), get_field(inst, 'labels')
        if scores is None or labels is None:
            raise PostprocessError(f'{det_pkl}: frame #{n} ({img_path}) has no scores/labels')
        scores = to_numpy(scores).reshape(-1)
        labels = to_numpy(labels).reshape(-1).astype(np.int64)
        if scores.shape != labels.shape:
            raise PostprocessError(f'{det_pkl}: frame #{n} ({img_path}): {scores.size} scores '
                                   f'for {labels.size} labels')
        if labels.size and (labels.min() < 0 or labels.max() >= len(det_classes)):
            raise PostprocessError(f'{det_pkl}: frame #{n} ({img_path}): label {labels.max()} '
                                   f'outside the {len(det_classes)} detector classes')
        per_class = parts[video]  # a frame without boxes still marks its video as seen
        for lab in np.unique(labels):
            per_class[int(lab)].append(scores[labels == lab])
    return {video: {det_classes[lab]: np.concatenate(s) for lab, s in per_class.items()}
            for video, per_class in parts.items()}


def count_detections(det_scores: DetScores, det_class: str, min_score: float) -> dict[str, int]:
    """Per video: how many boxes of ``det_class`` score strictly above ``min_score``."""
    return {video: int(np.count_nonzero(per.get(det_class, np.empty(0)) > min_score))
            for video, per in det_scores.items()}


# ---------------------------------------------------------------------------------- submission
@dataclasses.dataclass
class SampleSubmission:
    """A sample_submission CSV: its two-column header and ids, in file order."""

    path: Path
    header: list[str]
    ids: list[str]


def read_sample_submission(path: str | Path) -> SampleSubmission:
    """Read sample_submission; its ids must be unique and unique by stem too."""
    path = Path(path)
    try:
        with open(path, newline='', encoding='utf-8-sig') as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise PostprocessError(f'{path}: cannot read: {e}') from e
    if not rows or len(rows[0]) != 2:
        raise PostprocessError(f'{path}: expected a header of two columns (id,class), '
                               f'got {rows[0] if rows else "an empty file"}')
    header, ids = [h.strip() for h in rows[0]], []
    for line, row in enumerate(rows[1:], start=2):
        if not row or not row[0].strip():
            raise PostprocessError(f'{path}: row {line}: empty id')
        ids.append(row[0].strip())
    if not ids:
        raise PostprocessError(f'{path}: no rows')
    for what, keys in (('ids', ids), ('id stems', [Path(i).stem for i in ids])):
        seen: dict[str, int] = {}
        for line, key in enumerate(keys, start=2):
            if key in seen:
                raise PostprocessError(f'{path}: duplicate/ambiguous {what}: rows {seen[key]} and '
                                       f'{line} ({ids[seen[key] - 2]!r}, {ids[line - 2]!r})')
            seen[key] = line
    return SampleSubmission(path, header, ids)


def match_ids(sub: SampleSubmission, pred_ids: Sequence[str],
              source: str = 'predictions') -> np.ndarray:
    """For each sample_submission row, the index of its prediction (exact id, else stem)."""
    exact = {i: n for n, i in enumerate(sub.ids)}
    by_stem = {Path(i).stem: n for n, i in enumerate(sub.ids)}
    row_of = np.full(len(sub.ids), -1, dtype=np.int64)
    extra, dup = [], []
    for p, pid in enumerate(pred_ids):
        n = exact.get(pid, by_stem.get(pid))
        if n is None:
            extra.append(pid)
        elif row_of[n] >= 0:
            dup.append(f'{sub.ids[n]} <- {pred_ids[row_of[n]]}, {pid}')
        else:
            row_of[n] = p
    missing = [sub.ids[n] for n in np.flatnonzero(row_of < 0)]
    problems = []
    if missing:
        problems.append(f'{len(missing)} ids without a prediction {list_some(missing)}')
    if extra:
        problems.append(f'{len(extra)} predictions for no id {list_some(extra)}')
    if dup:
        problems.append(f'{len(dup)} ids predicted more than once {list_some(dup)}')
    if problems:
        raise PostprocessError(f'{source} vs {sub.path}: ' + '; '.join(problems))
    return row_of


def write_submission(path: str | Path, sub: SampleSubmission, names: Sequence[str],
                     classes: Sequence[str]) -> None:
    """Write ``names`` (one class name per sample_submission row, in its order) atomically."""
    if len(names) != len(sub.ids):
        raise PostprocessError(f'{path}: {len(names)} predictions for {len(sub.ids)} rows of '
                               f'{sub.path}')
    valid = set(classes)
    bad = [f'{i}={c!r}' for i, c in zip(sub.ids, names) if c not in valid]
    if bad:
        raise PostprocessError(f'{path}: unknown classes for {list_some(bad)}')
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(sub.header)
        writer.writerows(zip(sub.ids, names))


def write_changes(path: str | Path, id_column: str, changes: Sequence[Change]) -> None:
    """Write the audit CSV: one row per (sample, rule) that changed a prediction."""
    with atomic_write(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow([id_column, 'rule_index', 'rule', 'before', 'after', 'prob_before',
                         'prob_after'])
        for c in changes:
            writer.writerow([c.sample_id, c.rule_index, c.rule, c.before, c.after,
                             f'{c.prob_before:.6f}', f'{c.prob_after:.6f}'])


# ---------------------------------------------------------------------------------- top level
def load_rules(manifest: str | Path, key: str = DEFAULT_RULES_KEY) -> list[dict[str, Any]]:
    """The rule list stored under ``key`` (dots walk into dicts) in a ``.py`` or ``.json`` file.

    ``.py`` manifests are read with mmengine's Config (``_base_`` works) when it is installed.
    A manifest without the key has no rules.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise PostprocessError(f'{manifest}: no such manifest')
    try:
        if manifest.suffix == '.json':
            data: Any = json.loads(manifest.read_text(encoding='utf-8'))
        else:
            try:
                from mmengine.config import Config
                data = Config.fromfile(str(manifest)).to_dict()
            except ImportError:
                import runpy
                data = runpy.run_path(str(manifest))
    except Exception as e:  # a broken manifest: report which file, whatever the parser raised
        raise PostprocessError(f'{manifest}: cannot read manifest: {e}') from e
    for part in key.split('.'):
        if not isinstance(data, Mapping) or part not in data:
            logger.info('%s: no %r; no rules applied', manifest, key)
            return []
        data = data[part]
    if not isinstance(data, (list, tuple)):
        raise PostprocessError(f'{manifest}: {key} must be a list of rule dicts')
    return [dict(r) if isinstance(r, Mapping) else r for r in data]


def postprocess(pred_path: str | Path, sample_submission: str | Path, out: str | Path,
                rules: Sequence[Mapping[str, Any]] = (), classes: Sequence[str] | None = None,
                det_pkl: str | Path | None = None, det_classes: Sequence[str] | None = None,
                id_keys: Sequence[str] = DEFAULT_ID_KEYS,
                changes_path: str | Path | None = None) -> tuple[list[str], list[Change]]:
    """Predictions (+ detections) -> rules -> checked submission CSV and changes CSV.

    Args:
        pred_path: a podium ``.npz`` (see tools/ensemble.py) or a DumpResults ``.pkl``.
        sample_submission: its first column gives the ids and their order.
        out: submission CSV to write.
        rules: rule configs (module docstring), applied in order.
        classes: class names in label order; needed when the prediction file has none.
        det_pkl, det_classes: detector DumpResults and its class names (for detector rules).
        changes_path: audit CSV (default ``postprocess_changes.csv`` beside ``out``).

    Returns:
        the predicted class names in sample_submission order, and the changes made.
    """
    pred_path = Path(pred_path)
    if pred_path.suffix == '.npz':
        ids, probs, file_classes = read_podium_predictions(pred_path)
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
    if (det_pkl is None) != (det_classes is None):
        raise PostprocessError('detections need both the dump (det_pkl) and det_classes')
    built = build_rules(rules, classes, det_classes)
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
    for r, rule in enumerate(built):
        logger.info('rule #%d %s: %d changed', r, rule.describe(), per_rule[r])
    logger.info('%d of %d samples changed by rules; %s -> %s', len({c.sample_id for c in changes}),
                len(names), dict(sorted(Counter(names).items())), out)
    return names, changes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('pred', help='podium .npz (tools/ensemble.py) or a DumpResults .pkl')
    parser.add_argument('--sample-submission', required=True, help='ids and their order')
    parser.add_argument('--out', required=True, help='submission CSV to write')
    parser.add_argument('--classes', help='class names, one per line (if PRED has none)')
    parser.add_argument('--manifest', help='solution manifest (.py or .json) holding the rules')
    parser.add_argument('--rules-key', default=DEFAULT_RULES_KEY,
                        help='where the rules are in the manifest (default: %(default)s)')
    parser.add_argument('--det-pkl', help='detector DumpResults pickle over the test frames')
    parser.add_argument('--det-classes', help='detector class names: .txt, or .json (COCO)')
    parser.add_argument('--id-key', nargs='+', default=list(DEFAULT_ID_KEYS),
                        help='sample keys tried in order for the id (default: %(default)s)')
    parser.add_argument('--changes', help=f'audit CSV (default: {CHANGES_NAME} beside OUT)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='[postprocess] %(message)s')
    try:
        rules = load_rules(args.manifest, args.rules_key) if args.manifest else []
        classes = read_lines(args.classes) if args.classes else None
        det_classes = read_class_names(args.det_classes) if args.det_classes else None
        postprocess(args.pred, args.sample_submission, args.out, rules, classes, args.det_pkl,
                    det_classes, args.id_key, args.changes)
    except PredictionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
