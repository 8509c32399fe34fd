"""tools/solutions/rules_oof.py: the detector's OOF stages, the rules judged, the choice reused."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from custom_modules.predictions.oof import write_oof
from tests.custom_modules.postprocess.cases import det_dump
from tools.solutions import rules_oof
from tools.solutions.manifest import Manifest, Run
from tools.solutions.stages import Pipeline

CLASSES = ['move_down', 'move_up']
RULE = dict(type='detector_count', det_class='box', min_score=0.5, min_count=2,
            when_pred_in=['move_up'], then='move_down', grid=dict(min_count=[0, 2]))


def manifest(tmp_path: Path, folds: list[int], rules=(RULE,)) -> Manifest:
    path = tmp_path / 'm.py'
    path.write_text('# manifest\n')
    det = Run('detector', 'detector', path, needs_boxes=True)
    raw = {'postprocess_rules': [dict(r) for r in rules], 'rules_detector': 'detector',
           'preprocess': {'folds': 2}}
    return Manifest('t', path, 'action', tmp_path / 'data', tmp_path / 'work', folds, [det], raw)


def test_no_oof_yet_is_a_skipped_stage_with_its_reason(tmp_path):
    m, pipe = manifest(tmp_path, [0]), Pipeline()
    rules_oof.judge_on_oof(m, pipe, lambda: CLASSES, lambda: ['box'], {}, 'no boxes')
    assert [(r.name, r.status, r.note) for r in pipe.records] == [
        ('rules on OOF', 'skipped', 'no OOF yet (train with FOLDS=all)')]
    assert not (m.work_dir / 'rules_oof.json').exists()
    assert rules_oof.rules_for_submission(m)[0]['min_count'] == 2  # the manifest's value


def test_detector_predicts_each_folds_validation_frames(tmp_path, monkeypatch):
    m = manifest(tmp_path, [1])
    (rules_oof.run_dir(m, m.runs[0], 0)).mkdir(parents=True)
    (rules_oof.run_dir(m, m.runs[0], 0) / 'done.json').write_text('{}')  # trained earlier
    calls = []
    monkeypatch.setattr(rules_oof, 'val_dump', lambda m, run, fold, gpus, wiring, split:
                        calls.append((fold, split, wiring)))
    dumps = rules_oof.detect_oof(m, Pipeline(), m.runs[0], tmp_path / 'lists', 1,
                                 lambda run, fold: {'fold': fold})
    assert sorted(dumps) == [0, 1]
    assert [(f, Path(s['test_dataloader.dataset.ann_file']).name, w) for f, s, w in calls] == [
        (0, 'det_oof_fold0.json', {'fold': 0}), (1, 'det_oof_fold1.json', {'fold': 1})]
    assert dumps[1] == m.work_dir / 'detector' / 'fold1' / 'val_preds.pkl'


def test_rules_judged_with_the_folds_that_have_detections(tmp_path):
    m = manifest(tmp_path, [0, 1])
    ids, folds = ['a.mp4', 'b.mp4', 'c.mp4', 'd.mp4'], [0, 0, 1, 1]
    probs = np.array([[0.3, 0.7], [0.3, 0.7], [0.3, 0.7], [0.8, 0.2]])
    write_oof(m.work_dir / 'oof_ensemble.csv', ids, folds,
              ['move_down', 'move_up', 'move_down', 'move_down'], probs, CLASSES)
    dump = det_dump(tmp_path / 'fold0.pkl', {'a/img_00001.jpg': [(0, 0.9)],
                                             'b/img_00001.jpg': []})
    dumps = {0: dump, 1: tmp_path / 'missing_fold1.pkl'}
    pipe = Pipeline()
    rules_oof.judge_on_oof(m, pipe, lambda: CLASSES, lambda: ['box'], dumps, 'no boxes')
    data = json.loads((m.work_dir / 'rules_oof.json').read_text())
    row = data['rows'][0]
    # fold 0 only: min_count 0 turns a (1 box) right; b (no box, right already) stays
    assert row['chosen'] == {'min_count': 0} and row['samples'] == 2
    assert (row['before'], row['after'], row['changed']) == (0.5, 1.0, 1)
    assert 'judged on folds [0] only' in row['note']
    metrics = pipe.records[-1].metrics  # c stays wrong: its fold has no detections
    assert (metrics['oof_before'], metrics['oof_after']) == (0.5, 0.75)
    assert rules_oof.rules_for_submission(m)[0]['min_count'] == 0  # the choice is used
