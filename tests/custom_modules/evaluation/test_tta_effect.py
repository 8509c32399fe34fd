"""tta_effect: OOF accuracy and log loss without and with TTA, pooled over folds, by sample id."""
from __future__ import annotations

import math
import pickle
from pathlib import Path

import pytest
import torch

from custom_modules.evaluation.tta_effect import format_tta_effect, tta_effect
from custom_modules.predictions import PredictionError


def dump(path: Path, rows: list[tuple[str, int, list[float]]]) -> Path:
    """A DumpResults-like pickle: sample_id, gt_label, pred_score."""
    path.write_bytes(pickle.dumps([
        {'sample_id': sid, 'gt_label': torch.tensor([label]), 'pred_score': torch.tensor(score)}
        for sid, label, score in rows]))
    return path


def test_effect_pools_folds_and_matches_rows_by_id(tmp_path):
    fold0 = (dump(tmp_path / 'p0.pkl', [('a', 0, [0.6, 0.4]), ('b', 1, [0.7, 0.3])]),
             dump(tmp_path / 't0.pkl', [('b', 1, [0.4, 0.6]), ('a', 0, [0.8, 0.2])]))
    fold1 = (dump(tmp_path / 'p1.pkl', [('c', 1, [0.2, 0.8]), ('d', 0, [0.5, 0.5])]),
             dump(tmp_path / 't1.pkl', [('c', 1, [0.4, 0.6]), ('d', 0, [0.9, 0.1])]))
    effect = tta_effect({0: fold0, 1: fold1}, num_classes=2)
    assert effect['metric'] == 'accuracy' and effect['folds'] == [0, 1]
    assert effect['samples'] == 4
    assert effect['without'] == pytest.approx(0.75)  # b wrong; d a tie -> class 0
    assert effect['with'] == pytest.approx(1.0) and effect['delta'] == pytest.approx(0.25)
    plain = -(math.log(0.6) + math.log(0.3) + math.log(0.8) + math.log(0.5)) / 4
    tta = -(math.log(0.8) + math.log(0.6) + math.log(0.6) + math.log(0.9)) / 4
    assert effect['log_loss']['without'] == pytest.approx(plain, rel=1e-6)
    assert effect['log_loss']['with'] == pytest.approx(tta, rel=1e-6)
    assert effect['log_loss']['delta'] == pytest.approx(tta - plain, rel=1e-5)
    assert '+0.2500' in format_tta_effect({'tiny': effect})


def test_dumps_of_different_samples_are_refused(tmp_path):
    pair = (dump(tmp_path / 'p.pkl', [('a', 0, [0.6, 0.4])]),
            dump(tmp_path / 't.pkl', [('z', 0, [0.6, 0.4])]))
    with pytest.raises(PredictionError, match='different samples'):
        tta_effect({0: pair}, num_classes=2)
