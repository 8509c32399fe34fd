"""Ensemble weights fitted on OOF predictions: on the simplex, and better than equal weights."""
import numpy as np
import pytest

from custom_modules.evaluation.cv_report import log_loss
from custom_modules.predictions import PredictionError
from custom_modules.predictions.weights_fit import fit_weights, project_to_simplex


def _models(n=600, c=4, seed=0):
    """A good model, a noisy one and a useless uniform one, on the same samples."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    good = np.full((n, c), 0.1 / (c - 1))
    good[np.arange(n), y] = 0.9
    flip = rng.random(n) < 0.15  # the good model is confidently wrong on 15%
    good[flip] = np.roll(good[flip], 1, axis=1)
    noisy = rng.dirichlet(np.ones(c), n) * 0.5 + 0.5 * np.eye(c)[y]
    uniform = np.full((n, c), 1.0 / c)
    return y, [good, noisy, uniform]


def _loss(y, models, w):
    return log_loss(y, sum(wi * p for wi, p in zip(w, models)))


def test_fitted_weights_beat_equal_weights_and_lie_on_the_simplex():
    y, models = _models()
    w = fit_weights(models, y)
    assert w.shape == (3, ) and np.all(w >= 0) and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert _loss(y, models, w) < _loss(y, models, np.full(3, 1 / 3)) - 0.02
    for k in range(3):  # no single model does better either
        assert _loss(y, models, w) <= _loss(y, models, np.eye(3)[k]) + 1e-9


def test_fit_recovers_the_minimum_of_a_known_mixture():
    """The data drawn from 0.7 * A + 0.3 * B: the fitted weights are near (0.7, 0.3) and the
    loss is within a hair of a fine grid search's best."""
    rng = np.random.default_rng(1)
    n, c = 20000, 3
    a = rng.dirichlet(np.ones(c) * 0.5, n)
    b = rng.dirichlet(np.ones(c) * 0.5, n)
    truth = 0.7 * a + 0.3 * b
    y = np.array([rng.choice(c, p=row) for row in truth])
    w = fit_weights([a, b], y)
    assert w == pytest.approx([0.7, 0.3], abs=0.05)
    grid = min(_loss(y, [a, b], [t, 1 - t]) for t in np.linspace(0, 1, 201))
    assert _loss(y, [a, b], w) <= grid + 1e-6


def test_a_useless_model_gets_no_weight_and_one_model_gets_all():
    y, (good, _, uniform) = _models()
    w = fit_weights([uniform, good], y)
    assert w[1] > 0.8
    assert fit_weights([good], y).tolist() == [1.0]


def test_projection_onto_the_simplex():
    assert project_to_simplex(np.array([0.2, 0.8])) == pytest.approx([0.2, 0.8])
    assert project_to_simplex(np.array([2.0, 0.0])) == pytest.approx([1.0, 0.0])
    assert project_to_simplex(np.array([0.5, 0.5, -3])) == pytest.approx([0.5, 0.5, 0.0])


def test_mismatched_inputs_are_refused():
    y, (good, noisy, _) = _models()
    with pytest.raises(PredictionError, match='one shape'):
        fit_weights([good, noisy[:10]], y)
    with pytest.raises(PredictionError, match='targets'):
        fit_weights([good], y[:10])
    with pytest.raises(PredictionError, match='no models'):
        fit_weights([], y)
