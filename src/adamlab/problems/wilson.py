r"""Wilson et al. (2017), Section 3.3: a least-squares problem on which adaptive methods generalize badly.

The data (their construction, verbatim up to 0-based indexing). Each label
:math:`y_i \in \{-1, +1\}` is :math:`+1` with probability :math:`p > 1/2`. Each
point :math:`x_i \in \mathbb{R}^{6N}` (for :math:`N` points in all) has

- feature 1 equal to the label :math:`y_i` (so the data are linearly separable),
- features 2 and 3 equal to 1 (shared by every point),
- its own block of *unique* features starting at :math:`4 + 5(i-1)`: one feature set
  to 1 when :math:`y_i = +1`, five when :math:`y_i = -1` (that is, features
  :math:`4 + 5(i-1), \dots, 4 + 5(i-1) + 2(1 - y_i)`),
- zeros elsewhere.

Training minimizes :math:`\tfrac{1}{2n}\lVert Xw - y\rVert^2` from :math:`w_0 = 0`
with more features than points, so there are infinitely many exact solutions, and
which one an optimizer reaches decides how it classifies new points (their unique
features are new, so only features 1–3 matter). Gradient descent and SGD stay in the
row space of :math:`X` and reach the minimum-norm solution, which puts most of its
weight on feature 1: zero test error. Their Lemma 3.1: if
:math:`X\operatorname{sign}(X^\top y) = c\,y` for a scalar :math:`c` (here
:math:`c = 4` whenever positives outnumber negatives), AdaGrad, RMSProp and Adam
from zero converge to :math:`w \propto \operatorname{sign}(X^\top y)`, which weighs
features 1, 2 and 3 equally, so every new point scores
:math:`\tau(y + 2) > 0` and is labelled :math:`+1`: test error :math:`\approx 1 - p`.

Reference: https://arxiv.org/abs/1705.08292
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..optim.transforms import Optimizer

Array = np.ndarray


class Problem(NamedTuple):
    """Training and test points of one draw; the test points' unique features never occur in training."""

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array


def features(y: Array) -> Array:
    """The design matrix for labels ``y`` (entries ±1), shape ``(N, 6N)``, as in Wilson et al. (2017), §3.3."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or not np.all(np.abs(y) == 1):
        raise ValueError("y must be a 1-D array of labels -1 and +1")
    n = len(y)
    X = np.zeros((n, 6 * n))
    X[:, 0] = y
    X[:, 1:3] = 1.0
    for i, label in enumerate(y):
        start = 3 + 5 * i  # the paper's 4 + 5(i - 1), 1-based
        X[i, start : start + (1 if label > 0 else 5)] = 1.0
    return X


def make_problem(n_train: int, n_test: int, p: float, seed: int = 0) -> Problem:
    """Draw ``n_train + n_test`` labels (+1 with probability ``p``), build the features, split them."""
    if not 0.5 < p < 1.0:
        raise ValueError(f"p must be in (1/2, 1), got {p}")
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n_train + n_test) < p, 1.0, -1.0)
    X = features(y)
    return Problem(X[:n_train], y[:n_train], X[n_train:], y[n_train:])


def loss_grad(w: Array, X: Array, y: Array) -> tuple[float, Array]:
    r"""Least squares :math:`\tfrac{1}{2n}\lVert Xw - y\rVert^2` and its gradient :math:`X^\top(Xw - y)/n`."""
    residual = X @ w - y
    return 0.5 * float(residual @ residual) / len(y), X.T @ residual / len(y)


def fit(optimizer: Optimizer, X: Array, y: Array, steps: int, *, batch_size: int | None = None, seed: int = 0) -> Array:
    """Run ``optimizer`` from ``w = 0`` for ``steps`` steps, full batch or on random minibatches."""
    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1])
    state = optimizer.init(w)
    for _ in range(steps):
        if batch_size is None:
            _, g = loss_grad(w, X, y)
        else:
            idx = rng.choice(len(y), size=batch_size, replace=False)
            _, g = loss_grad(w, X[idx], y[idx])
        w, state = optimizer.step(w, g, state)
    return w


def error(w: Array, X: Array, y: Array) -> float:
    """Fraction of points whose predicted sign is wrong (a score of exactly 0 counts as wrong)."""
    return float(np.mean(np.sign(X @ w) != y))


def min_norm_solution(X: Array, y: Array) -> Array:
    """The exact solution of smallest Euclidean norm, :math:`X^\\top (X X^\\top)^{-1} y` (where GD/SGD from 0 go)."""
    return np.linalg.pinv(X) @ y


def sign_solution(X: Array, y: Array) -> Array:
    """The exact solution along :math:`\\operatorname{sign}(X^\\top y)` (Lemma 3.1), scaled so that :math:`Xw = y`."""
    u = np.sign(X.T @ y)
    scores = X @ u
    c = scores[0] / y[0]
    if not np.allclose(scores, c * y):
        raise ValueError("X sign(X^T y) is not a multiple of y: the lemma's condition fails for this draw")
    return u / c
