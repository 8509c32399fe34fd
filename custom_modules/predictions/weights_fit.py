"""Ensemble weights fitted on out-of-fold predictions: non-negative, summing to 1, least log loss.

The ensemble is the weighted mean of the models' class probabilities, so its log loss is
``-mean_i log(sum_m w_m q_im)`` with ``q_im`` the probability model ``m`` gives sample ``i``'s
true class: convex in ``w``. Projected gradient descent on the simplex with a backtracking line
search finds the minimum (numpy only; a handful of models, any number of samples).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .samples import PredictionError

EPS = 1e-15  # probabilities are clipped here before the log (as scikit-learn's log_loss did)


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """The point of ``{w >= 0, sum w = 1}`` nearest to ``v`` (sort-based Euclidean projection)."""
    v = np.asarray(v, dtype=np.float64)
    u = np.sort(v)[::-1]
    cum = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    rho = np.flatnonzero(u - cum / k > 0)[-1]
    return np.maximum(v - cum[rho] / (rho + 1), 0.0)


def true_class_probs(probs: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
    """``q [N, M]``: the probability each model gives each sample's true class (clipped)."""
    targets = np.asarray(targets, dtype=np.int64)
    if not probs:
        raise PredictionError('no models to weigh')
    shapes = {np.asarray(p).shape for p in probs}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise PredictionError(f'every model needs probabilities of one shape [N, C], got {shapes}')
    n, c = next(iter(shapes))
    if targets.shape != (n, ) or n == 0 or targets.min() < 0 or targets.max() >= c:
        raise PredictionError(f'{targets.shape[0]} targets in 0..{c - 1} needed for {n} samples')
    rows = np.arange(n)
    return np.clip(np.stack([np.asarray(p, np.float64)[rows, targets] for p in probs], 1), EPS, 1)


def mixture_log_loss(q: np.ndarray, w: np.ndarray) -> float:
    """Log loss of the weighted mean, from the true-class probabilities ``q [N, M]``."""
    return float(-np.mean(np.log(np.clip(q @ w, EPS, None))))


def fit_weights(probs: Sequence[np.ndarray], targets: np.ndarray, iterations: int = 500,
                tol: float = 1e-10) -> np.ndarray:
    """Weights ``[M]`` (>= 0, sum 1) of the models' probabilities with the least mixed log loss.

    Args:
        probs: one ``[N, C]`` probability array per model, rows aligned (same samples, same order).
        targets: the true class index of each sample ``[N]``.
        iterations: most gradient steps.
        tol: stop when a step changes the loss by less than this.
    """
    q = true_class_probs(probs, targets)
    m = q.shape[1]
    w = np.full(m, 1.0 / m)
    loss, step = mixture_log_loss(q, w), 1.0
    for _ in range(iterations):
        grad = -np.mean(q / (q @ w)[:, None], axis=0)
        while True:  # backtracking: shrink the step until the loss goes down enough
            cand = project_to_simplex(w - step * grad)
            cand_loss = mixture_log_loss(q, cand)
            if cand_loss <= loss - 1e-4 * float(grad @ (w - cand)) or step < 1e-12:
                break
            step *= 0.5
        if cand_loss > loss:  # no descent step left: at the minimum
            break
        done = loss - cand_loss < tol
        w, loss, step = cand, cand_loss, min(step * 2.0, 1e6)
        if done:
            break
    return w / w.sum()
