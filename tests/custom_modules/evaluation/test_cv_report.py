"""CV report: per-fold scores, mean, std, and the OOF scores over every sample at once."""
import numpy as np
import pytest

from custom_modules.evaluation.cv_report import cv_scores, format_cv_report, log_loss, scores


def test_scores_of_a_small_table():
    y = np.array([0, 1, 1, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    s = scores(y, probs)
    assert s['accuracy'] == 0.75
    # F1: class 0 = 2*1/(1+2), class 1 = 2*1/(2+1), class 2 = 1
    assert s['macro_f1'] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert s['log_loss'] == pytest.approx(-np.mean(np.log([0.8, 0.7, 0.3, 0.8])))


def test_log_loss_clips_zero_and_renormalises_rows():
    assert log_loss(np.array([0]), np.array([[0.0, 1.0]])) == pytest.approx(-np.log(1e-15))
    assert log_loss(np.array([1]), np.array([[2.0, 2.0]])) == pytest.approx(np.log(2))


def test_cv_scores_per_fold_mean_std_and_pooled_oof():
    y = np.array([0, 0, 1, 1, 0, 1])
    folds = np.array([0, 0, 0, 1, 1, 1])
    probs = np.eye(2)[[0, 0, 1, 0, 1, 1]] * 0.8 + 0.1  # fold 0 all right, fold 1 one of 3
    block = cv_scores(y, probs, folds)
    assert set(block['folds']) == {'0', '1'}
    assert block['folds']['0']['accuracy'] == 1.0
    assert block['folds']['1']['accuracy'] == pytest.approx(1 / 3)
    assert block['mean']['accuracy'] == pytest.approx(2 / 3)
    assert block['std']['accuracy'] == pytest.approx(1 / 3)  # population std of (1, 1/3)
    assert block['oof']['accuracy'] == pytest.approx(4 / 6)
    assert set(block['oof']) == {'accuracy', 'macro_f1', 'log_loss'}
    text = format_cv_report({'metric': 'accuracy', 'note': 'partial: folds [0, 1] of 0..3',
                             'runs': {'tiny': block}, 'ensemble': block})
    lines = text.splitlines()
    assert lines[1] == 'partial: folds [0, 1] of 0..3'
    assert any(line.split()[:3] == ['tiny', '1', '0.3333'] for line in lines)
    assert any(line.split()[:3] == ['ensemble', 'OOF', '0.6667'] for line in lines)
