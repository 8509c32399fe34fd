"""tools/postprocess.py: every rule (the origin's included), detection counts, submission checks."""
from __future__ import annotations

import csv
import dataclasses
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tools.ensemble import save_predictions
from tools.postprocess import (
    RULES,
    PostprocessError,
    Rule,
    apply_rules,
    build_rules,
    count_detections,
    load_detection_scores,
    load_rules,
    main,
    match_ids,
    postprocess,
    read_class_names,
    read_sample_submission,
    register_rule,
    write_submission,
)

CLASSES = ['driveway_walk', 'fall_down', 'jay_walk', 'normal', 'putup_umbrella', 'ride_kick']
DET_CLASSES = ['person', 'ride_kick', 'fall_down']
C = {name: k for k, name in enumerate(CLASSES)}

# The origin's rules (DESIGN.md, "The action flow", step 6), as data.
ORIGIN_RULES = [
    dict(type='threshold_fallback', cls='putup_umbrella', min_prob=0.95),
    dict(type='topk_substitute', src='jay_walk', dst='driveway_walk', k=3),
    dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=20,
         when_pred_in=['driveway_walk', 'jay_walk'], then='ride_kick'),
    dict(type='detector_count', det_class='fall_down', min_score=0.5, min_count=10,
         when_pred_in=['driveway_walk', 'jay_walk', 'normal'], then='fall_down'),
]


def probs_row(**named: float) -> np.ndarray:
    """A probability row with the named classes set and the rest sharing what is left."""
    row = np.zeros(len(CLASSES))
    for name, p in named.items():
        row[C[name]] = p
    rest = [k for k in range(len(CLASSES)) if CLASSES[k] not in named]
    row[rest] = (1.0 - row.sum()) / len(rest)
    return row


def run(rule_cfgs, rows, det_scores=None):
    """Apply rules to {id: row}; return {id: class name} and the changes."""
    rules = build_rules(rule_cfgs, CLASSES, DET_CLASSES)
    ids = list(rows)
    preds, changes = apply_rules(ids, np.stack([rows[i] for i in ids]), CLASSES, rules,
                                 det_scores)
    return {i: CLASSES[k] for i, k in zip(ids, preds)}, changes


# ------------------------------------------------------------------------------- single rules
def test_threshold_fallback():
    rule = [ORIGIN_RULES[0]]
    got, changes = run(rule, {
        'unsure': probs_row(putup_umbrella=0.6, normal=0.3),
        'sure': probs_row(putup_umbrella=0.96, normal=0.02),
        'at_threshold': probs_row(putup_umbrella=0.95, normal=0.03),
        'other_top1': probs_row(normal=0.5, putup_umbrella=0.4),
    })
    assert got == {'unsure': 'normal', 'sure': 'putup_umbrella', 'at_threshold': 'putup_umbrella',
                   'other_top1': 'normal'}
    assert [(c.sample_id, c.before, c.after) for c in changes] == [
        ('unsure', 'putup_umbrella', 'normal')]
    assert changes[0].prob_before == pytest.approx(0.6)
    assert changes[0].prob_after == pytest.approx(0.3)


def test_topk_substitute():
    rule = [ORIGIN_RULES[1]]
    got, _ = run(rule, {
        'second': probs_row(jay_walk=0.5, driveway_walk=0.3),
        'third': probs_row(jay_walk=0.5, normal=0.2, driveway_walk=0.15, ride_kick=0.1),
        'fourth': probs_row(jay_walk=0.5, normal=0.2, ride_kick=0.15, fall_down=0.1,
                            driveway_walk=0.04),
        'not_src': probs_row(normal=0.5, driveway_walk=0.3),
    })
    assert got == {'second': 'driveway_walk', 'third': 'driveway_walk', 'fourth': 'jay_walk',
                   'not_src': 'normal'}


def scores(ride_kick=(), fall_down=(), person=()):
    return {'ride_kick': np.array(ride_kick, float), 'fall_down': np.array(fall_down, float),
            'person': np.array(person, float)}


def test_detector_count_ride_kick():
    rule = [ORIGIN_RULES[2]]
    walk = probs_row(driveway_walk=0.6)
    got, changes = run(rule, {'v21': walk, 'v20': walk, 'v_low': walk, 'v_normal':
                              probs_row(normal=0.6), 'v_none': walk}, det_scores={
        'v21': scores(ride_kick=[0.95] * 21),
        'v20': scores(ride_kick=[0.95] * 20 + [0.9] * 5),  # 0.9 is not "> 0.9"
        'v_low': scores(ride_kick=[0.5] * 100, person=[0.99] * 50),
        'v_normal': scores(ride_kick=[0.99] * 50),  # prediction not in when_pred_in
    })
    assert got == {'v21': 'ride_kick', 'v20': 'driveway_walk', 'v_low': 'driveway_walk',
                   'v_normal': 'normal', 'v_none': 'driveway_walk'}
    assert len(changes) == 1 and 'ride_kick' in changes[0].rule


def test_detector_count_fall_down_and_when_pred_in_default():
    got, _ = run([ORIGIN_RULES[3]], {
        'normal': probs_row(normal=0.7), 'jay': probs_row(jay_walk=0.7),
        'umbrella': probs_row(putup_umbrella=0.7), 'few': probs_row(normal=0.7)}, det_scores={
        'normal': scores(fall_down=[0.6] * 11), 'jay': scores(fall_down=[0.51] * 11),
        'umbrella': scores(fall_down=[0.9] * 50), 'few': scores(fall_down=[0.9] * 10)})
    assert got == {'normal': 'fall_down', 'jay': 'fall_down', 'umbrella': 'putup_umbrella',
                   'few': 'normal'}
    any_pred = dict(ORIGIN_RULES[3], when_pred_in=None)
    got, _ = run([any_pred], {'umbrella': probs_row(putup_umbrella=0.7)},
                 det_scores={'umbrella': scores(fall_down=[0.9] * 50)})
    assert got == {'umbrella': 'fall_down'}


def test_detector_rule_matches_video_stem():
    got, _ = run([ORIGIN_RULES[3]], {'clip.mp4': probs_row(normal=0.7)},
                 det_scores={'clip': scores(fall_down=[0.9] * 11)})
    assert got == {'clip.mp4': 'fall_down'}


def test_rules_chain_in_order():
    # umbrella unsure -> jay_walk (top-2) -> driveway_walk (top-3) -> ride_kick (detector)
    row = probs_row(putup_umbrella=0.5, jay_walk=0.3, driveway_walk=0.15)
    got, changes = run(ORIGIN_RULES, {'v': row}, det_scores={'v': scores(ride_kick=[0.99] * 30)})
    assert got == {'v': 'ride_kick'}
    assert [(c.rule_index, c.before, c.after) for c in changes] == [
        (0, 'putup_umbrella', 'jay_walk'), (1, 'jay_walk', 'driveway_walk'),
        (2, 'driveway_walk', 'ride_kick')]


def test_registry_accepts_new_rule_types():
    assert {'threshold_fallback', 'topk_substitute', 'detector_count'} <= set(RULES)
    try:
        @register_rule('test_always')
        @dataclasses.dataclass
        class Always(Rule):
            then: str

            def bind(self, classes, det_classes):
                self._k = classes.index(self.then)

            def apply(self, pred, sample):
                return self._k

        got, changes = run([dict(type='test_always', then='normal')],
                           {'a': probs_row(jay_walk=0.9)})
        assert got == {'a': 'normal'} and changes[0].rule == "test_always(then='normal')"
        with pytest.raises(KeyError, match='already registered'):
            register_rule('test_always')(Always)
    finally:
        RULES.pop('test_always', None)


@pytest.mark.parametrize('cfg, match', [
    (dict(type='threshold_fallback', cls='umbrella', min_prob=0.9), "cls 'umbrella' is not"),
    (dict(type='topk_substitute', src='jay_walk', dst='drive', k=3), "dst 'drive' is not"),
    (dict(type='topk_substitute', src='jay_walk', dst='normal', k=0), 'k must be'),
    (dict(type='detector_count', det_class='kick', min_score=0.9, min_count=2, then='normal'),
     "det_class 'kick' is not"),
    (dict(type='detector_count', det_class='ride_kick', min_score=0.9, min_count=2,
          then='normal', when_pred_in=['walking']), "when_pred_in 'walking' is not"),
    (dict(type='threshold_fallback', cls='normal', min_prob=1.5), 'min_prob must be'),
    (dict(type='threshold_fallback', cls='normal', min_prob=0.5, extra=1), "keys are"),
    (dict(type='threshold_fallback', cls='normal'), 'min_prob'),
    (dict(type='majority_vote'), "unknown type 'majority_vote'"),
    (dict(cls='normal'), 'expected a dict with a type'),
])
def test_bad_rules_refused_at_load(cfg, match):
    with pytest.raises(PostprocessError, match=match) as err:
        build_rules([ORIGIN_RULES[0], cfg], CLASSES, DET_CLASSES)
    assert str(err.value).startswith('rule #1')


def test_detector_rule_needs_detections():
    with pytest.raises(PostprocessError, match='rule #0.*needs detections'):
        build_rules([ORIGIN_RULES[2]], CLASSES, None)


# ---------------------------------------------------------------------------------- detections
def det_dump(path: Path, frames: dict[str, list[tuple[int, float]]]) -> Path:
    """A MMDetection DumpResults-like pickle: one dict per frame path, (label, score) per box."""
    samples = []
    for frame, boxes in frames.items():
        n = len(boxes)
        samples.append({'img_path': f'data/action/rawframes/{frame}', 'img_id': 0,
                        'pred_instances': {
                            'bboxes': torch.zeros((n, 4)),
                            'scores': torch.tensor([s for _, s in boxes], dtype=torch.float32),
                            'labels': torch.tensor([lab for lab, _ in boxes], dtype=torch.int64)}})
    with open(path, 'wb') as f:
        pickle.dump(samples, f)
    return path


def test_count_detections_groups_by_video(tmp_path):
    path = det_dump(tmp_path / 'det.pkl', {
        'v1/img_00001.jpg': [(1, 0.95), (1, 0.5), (0, 0.99)],
        'v1/img_00002.jpg': [(1, 0.92), (2, 0.7)],
        'v2/img_00001.jpg': [(2, 0.6), (2, 0.4)],
        'v3/img_00001.jpg': [],
    })
    det = load_detection_scores(path, DET_CLASSES)
    assert sorted(det) == ['v1', 'v2', 'v3']
    assert count_detections(det, 'ride_kick', 0.9) == {'v1': 2, 'v2': 0, 'v3': 0}
    assert count_detections(det, 'fall_down', 0.5) == {'v1': 1, 'v2': 1, 'v3': 0}


def test_detection_label_out_of_range(tmp_path):
    path = det_dump(tmp_path / 'det.pkl', {'v1/img_00001.jpg': [(3, 0.9)]})
    with pytest.raises(PostprocessError, match=r'det.pkl: frame #0 .*v1/img_00001.jpg.*label 3'):
        load_detection_scores(path, DET_CLASSES)


def test_read_class_names_coco_and_txt(tmp_path):
    coco = tmp_path / 'c.json'
    coco.write_text(json.dumps({'categories': [{'id': 5, 'name': 'ball'},
                                               {'id': 2, 'name': 'box'}]}))
    assert read_class_names(coco) == ['ball', 'box']
    txt = tmp_path / 'c.txt'
    txt.write_text('a\n\nb\n')
    assert read_class_names(txt) == ['a', 'b']


# ---------------------------------------------------------------------------------- submission
def write_ss(path: Path, ids: list[str]) -> Path:
    path.write_text('video_filename,class\n' + ''.join(f'{i},normal\n' for i in ids))
    return path


def test_match_ids_order_follows_sample_submission(tmp_path):
    sub = read_sample_submission(write_ss(tmp_path / 'ss.csv', ['c.mp4', 'a.mp4', 'b.mp4']))
    assert match_ids(sub, ['a', 'b', 'c']).tolist() == [2, 0, 1]
    assert match_ids(sub, ['b.mp4', 'c', 'a']).tolist() == [1, 2, 0]  # exact or stem


@pytest.mark.parametrize('pred_ids, match', [
    (['a', 'b'], r"1 ids without a prediction \['c.mp4'\]"),
    (['a', 'b', 'c', 'd'], r"1 predictions for no id \['d'\]"),
    (['a', 'b', 'c', 'a.mp4'], r'1 ids predicted more than once'),
])
def test_match_ids_refusals(tmp_path, pred_ids, match):
    sub = read_sample_submission(write_ss(tmp_path / 'ss.csv', ['c.mp4', 'a.mp4', 'b.mp4']))
    with pytest.raises(PostprocessError, match=match):
        match_ids(sub, pred_ids, 'ens.npz')


def test_sample_submission_refusals(tmp_path):
    with pytest.raises(PostprocessError, match=r'ss.csv: duplicate/ambiguous ids: rows 2 and 4'):
        read_sample_submission(write_ss(tmp_path / 'ss.csv', ['a.mp4', 'b.mp4', 'a.mp4']))
    with pytest.raises(PostprocessError, match=r'ambiguous id stems: rows 2 and 3'):
        read_sample_submission(write_ss(tmp_path / 'ss.csv', ['a.mp4', 'a.avi']))
    bad = tmp_path / 'bad.csv'
    bad.write_text('video_filename\na.mp4\n')
    with pytest.raises(PostprocessError, match='two columns'):
        read_sample_submission(bad)


def test_write_submission_refuses_unknown_class(tmp_path):
    sub = read_sample_submission(write_ss(tmp_path / 'ss.csv', ['a.mp4', 'b.mp4']))
    out = tmp_path / 'submission.csv'
    with pytest.raises(PostprocessError, match=r"unknown classes for \[\"b.mp4='skate'\"\]"):
        write_submission(out, sub, ['normal', 'skate'], CLASSES)
    assert not out.exists()


# -------------------------------------------------------------------------------- end to end
@pytest.fixture
def action_case(tmp_path):
    """Predictions listed in an order unlike sample_submission's, detections, and a manifest."""
    ss = write_ss(tmp_path / 'sample_submission.csv', ['v3.mp4', 'v1.mp4', 'v2.mp4', 'v4.mp4'])
    rows = {'v1': probs_row(putup_umbrella=0.6, normal=0.3),
            'v2': probs_row(jay_walk=0.5, driveway_walk=0.3),
            'v3': probs_row(jay_walk=0.7, normal=0.2, ride_kick=0.06, fall_down=0.03),
            'v4': probs_row(normal=0.8)}
    pred = tmp_path / 'ens.npz'
    save_predictions(pred, list(rows), np.stack(list(rows.values())), classes=CLASSES)
    det = det_dump(tmp_path / 'det.pkl', {
        **{f'v3/img_{t:05d}.jpg': [(1, 0.95)] for t in range(1, 23)},  # 22 ride_kick boxes
        'v4/img_00001.jpg': [(2, 0.6)] * 5})  # 5 fall_down boxes: too few
    det_classes = tmp_path / 'det_classes.txt'
    det_classes.write_text('\n'.join(DET_CLASSES) + '\n')
    manifest = tmp_path / 'action.py'
    manifest.write_text(f'postprocess_rules = {ORIGIN_RULES!r}\nother = 1\n')
    return dict(ss=ss, pred=pred, det=det, det_classes=det_classes, manifest=manifest)


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))


def test_postprocess_cli_end_to_end(tmp_path, action_case, capsys):
    out = tmp_path / 'work' / 'submission.csv'
    rc = main([str(action_case['pred']), '--sample-submission', str(action_case['ss']),
               '--out', str(out), '--manifest', str(action_case['manifest']),
               '--det-pkl', str(action_case['det']),
               '--det-classes', str(action_case['det_classes'])])
    assert rc == 0, capsys.readouterr().err
    assert read_rows(out) == [['video_filename', 'class'], ['v3.mp4', 'ride_kick'],
                              ['v1.mp4', 'normal'], ['v2.mp4', 'driveway_walk'],
                              ['v4.mp4', 'normal']]
    changes = read_rows(out.parent / 'postprocess_changes.csv')
    assert changes[0][:4] == ['video_filename', 'rule_index', 'rule', 'before']
    assert [(r[0], r[1], r[3], r[4]) for r in changes[1:]] == [
        ('v3.mp4', '2', 'jay_walk', 'ride_kick'),
        ('v1.mp4', '0', 'putup_umbrella', 'normal'),
        ('v2.mp4', '1', 'jay_walk', 'driveway_walk')]
    assert sorted(p.name for p in out.parent.iterdir()) == ['postprocess_changes.csv',
                                                            'submission.csv']


def test_postprocess_refuses_missing_id_and_writes_nothing(tmp_path, action_case):
    ss = write_ss(tmp_path / 'ss5.csv', ['v3.mp4', 'v1.mp4', 'v2.mp4', 'v4.mp4', 'v5.mp4'])
    out = tmp_path / 'work' / 'submission.csv'
    with pytest.raises(PostprocessError, match=r"without a prediction \['v5.mp4'\]"):
        postprocess(action_case['pred'], ss, out)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_postprocess_class_list_checks(tmp_path, action_case):
    out = tmp_path / 'submission.csv'
    with pytest.raises(PostprocessError, match='differ from the given classes'):
        postprocess(action_case['pred'], action_case['ss'], out, classes=CLASSES[::-1])
    dump = tmp_path / 'preds.pkl'
    with open(dump, 'wb') as f:
        pickle.dump([{'sample_id': 'v1', 'pred_score': np.full(6, 1 / 6)}], f)
    with pytest.raises(PostprocessError, match='has no class names'):
        postprocess(dump, action_case['ss'], out)
    with pytest.raises(PostprocessError, match='6 scores per sample for 5 classes'):
        postprocess(dump, action_case['ss'], out, classes=CLASSES[:5])


def test_load_rules_py_json_and_dotted_key(tmp_path, action_case):
    assert load_rules(action_case['manifest']) == ORIGIN_RULES
    assert load_rules(action_case['manifest'], 'nothing_here') == []
    js = tmp_path / 'm.json'
    js.write_text(json.dumps({'postprocess': {'rules': ORIGIN_RULES[:1]}}))
    assert load_rules(js, 'postprocess.rules') == ORIGIN_RULES[:1]
    js.write_text(json.dumps({'postprocess_rules': {'type': 'x'}}))
    with pytest.raises(PostprocessError, match='must be a list'):
        load_rules(js)


def test_load_rules_without_mmengine(monkeypatch, action_case):
    monkeypatch.setitem(sys.modules, 'mmengine.config', None)  # import fails: plain Python read
    assert load_rules(action_case['manifest']) == ORIGIN_RULES
