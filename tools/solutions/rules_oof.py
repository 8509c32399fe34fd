"""The action flow's rules judged on out-of-fold (OOF) predictions, and their use at inference.

Training ends with (after the OOF ensemble, ``oof_ensemble.csv``, exists):

- ``detect oof <detector> fold<k>``: the fold-k detector (manifest ``rules_detector``) on every
  frame of the fold-k validation videos (``lists/det_oof_fold{k}.json``, made as det_test.json),
  so each training video's box counts come from a detector that never trained on it;
- ``rules on OOF``: each rule's rows changed and metric before/after, grids searched
  (custom_modules/postprocess/oof_audit.py) -> ``rules_oof.json`` + ``rules_oof.txt``.

Inference makes the submission with the values chosen there (:func:`rules_for_submission`);
without a ``rules_oof.json`` made for the manifest's rules, with the manifest's values, and says
so.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from custom_modules.utils.errors import InputError

from .manifest import Manifest, Run
from .stages import Pipeline, StageRecord
from .steps import run_dir, val_dump

OOF_ENSEMBLE = 'oof_ensemble.csv'
RULES_OOF = 'rules_oof.json'
NO_OOF = 'no OOF yet (train with FOLDS=all)'


def num_folds(m: Manifest) -> int:
    return int(m.get('preprocess', {}).get('folds', 5))


def detector_run(m: Manifest, has_boxes: bool) -> Run | None:
    """The run the detector rules count boxes of, when there is one with boxes to train on."""
    name = m.get('rules_detector')
    return next((r for r in m.runs if r.name == name), None) if has_boxes else None


def detector_folds(m: Manifest, det: Run) -> list[int]:
    """The folds whose detector exists: trained in this run, or earlier (its ``done.json``)."""
    return [k for k in range(num_folds(m))
            if k in m.folds or (run_dir(m, det, k) / 'done.json').is_file()]


def detect_oof(m: Manifest, pipe: Pipeline, det: Run, lists: Path, gpus: int,
               wiring: Callable[[Run, int], Mapping[str, Any]]) -> dict[int, Path]:
    """Stage ``detect oof <det> fold<k>`` per existing fold; returns ``{fold: dump}``."""
    dumps = {}
    for k in detector_folds(m, det):
        frames = (lists / f'det_oof_fold{k}.json').resolve()
        wd = run_dir(m, det, k)
        dump = wd / 'val_preds.pkl'

        def do_detect(k=k, frames=frames) -> dict:
            val_dump(m, det, k, gpus, wiring(det, k),
                     {'test_dataloader.dataset.ann_file': str(frames)})
            return {}

        pipe.stage(f'detect oof {det.name} fold{k}', do_detect,
                   inputs=[wd / 'done.json', frames], outputs=[dump])
        dumps[k] = dump
    return dumps


def judge_on_oof(m: Manifest, pipe: Pipeline, classes: Callable[[], list[str]],
                 det_classes: Callable[[], list[str]], dumps: Mapping[int, Path],
                 off_reason: str) -> None:
    """Stage ``rules on OOF``: skipped (with a line) until ``oof_ensemble.csv`` exists."""
    oof_csv = m.work_dir / OOF_ENSEMBLE
    rules = m.get('postprocess_rules', [])
    all_folds = set(m.folds) >= set(range(num_folds(m)))
    if not rules or (not oof_csv.is_file() and not (pipe.dry_run and all_folds)):
        note = 'no postprocess_rules' if not rules else NO_OOF
        print(f'[podium] rules on OOF: skipped, {note}', flush=True)
        pipe.records.append(StageRecord('rules on OOF', 'skipped', 0.0, note=note))
        return

    def do_judge() -> dict:
        from custom_modules.postprocess import OofDetections, judge_oof, load_detection_scores
        from custom_modules.predictions import read_oof

        oof = read_oof(oof_csv)
        if list(oof.classes) != list(classes()):
            raise InputError(f'{oof_csv}: classes {oof.classes} differ from those of the lists '
                             f'{classes()}: train again (FORCE=1)')
        present = {k: d for k, d in dumps.items() if d.is_file()}
        detections = None
        if present:
            scores: dict = {}
            for dump in present.values():
                scores.update(load_detection_scores(dump, det_classes()))
            detections = OofDetections(scores, det_classes(), sorted(present))
        audit = judge_oof(oof, rules, m.work_dir, detections, off_reason=off_reason,
                          where=str(m.path))
        print((m.work_dir / 'rules_oof.txt').read_text(encoding='utf-8'), flush=True)
        return {'oof_before': audit.before, 'oof_after': audit.after,
                'hurting_rules': sum(r.hurts for r in audit.rows)}

    pipe.stage('rules on OOF', do_judge, inputs=[oof_csv, m.path, *dumps.values()],
               outputs=[m.work_dir / RULES_OOF, m.work_dir / 'rules_oof.txt'])


def rules_on_oof(m: Manifest, pipe: Pipeline, p: Any, gpus: int,
                 wiring: Callable[[Run, int], Mapping[str, Any]], off_reason: str) -> None:
    """The detector's OOF boxes, then the rules judged (``p``: the flow's ActionPaths)."""
    from custom_modules.postprocess import POSTPROCESS_RULES

    det = detector_run(m, p.has_boxes)
    types = [r.get('type') for r in m.get('postprocess_rules', []) if isinstance(r, Mapping)]
    needs_boxes = any(getattr(POSTPROCESS_RULES.module_dict.get(t), 'needs_detections', False)
                      for t in types if isinstance(t, str))
    dumps = detect_oof(m, pipe, det, p.lists, gpus, wiring) if det and needs_boxes else {}
    judge_on_oof(m, pipe, p.classes, p.det_classes, dumps, off_reason)


def rules_for_submission(m: Manifest) -> list[dict]:
    """The manifest's rules with the values chosen on OOF (a line says which, or why not)."""
    from custom_modules.postprocess import rules_for_test

    rules, line = rules_for_test(m.get('postprocess_rules', []), m.work_dir / RULES_OOF)
    print(f'[podium] {line}', flush=True)
    return rules
