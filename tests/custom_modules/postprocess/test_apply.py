"""postprocess() in the library: refusals that write nothing, rules read from manifests."""
from __future__ import annotations

import json
import pickle
import sys

import numpy as np
import pytest

from custom_modules.postprocess import PostprocessError, load_rules, postprocess

from .cases import CLASSES, ORIGIN_RULES, make_action_case, write_ss


@pytest.fixture
def action_case(tmp_path):
    """Predictions listed in an order unlike sample_submission's, detections, and a manifest."""
    return make_action_case(tmp_path)


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
        pickle.dump([{'sample_id': 'v1', 'pred_score': np.full(9, 1 / 9)}], f)
    with pytest.raises(PostprocessError, match='has no class names'):
        postprocess(dump, action_case['ss'], out)
    with pytest.raises(PostprocessError, match='9 scores per sample for 8 classes'):
        postprocess(dump, action_case['ss'], out, classes=CLASSES[:8])


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
