"""Linear and softmax regression in NumPy: losses with exact gradients, and minibatch SGD.

The two models of the SGD chapter, small enough to read in one sitting. Weights
are a matrix ``W`` of shape ``(features, classes)``; inputs ``X`` carry a column
of ones for the bias (see :func:`add_bias`). Every function is pure: inputs are
never modified. ``tests/problems/test_regression.py`` checks the gradients against torch's
autograd in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

Array = np.ndarray
LossGrad = Callable[[Array, Array, Array], tuple[float, Array]]
"""``loss_grad(W, X, Y) -> (loss, dloss/dW)``, the mean over the rows of ``X``."""


def add_bias(X: Array) -> Array:
    """Append a column of ones, so that the last row of ``W`` is the bias."""
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def one_hot(y: Array, classes: int) -> Array:
    """Integer labels -> float64 rows with a single 1."""
    out = np.zeros((len(y), classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def least_squares(W: Array, X: Array, Y: Array) -> tuple[float, Array]:
    r"""Mean squared error of a linear model, halved, and its gradient.

    .. math::
        f(W) = \frac{1}{2n}\lVert XW - Y\rVert_F^2, \qquad \nabla f(W) = \frac{1}{n} X^\top (XW - Y)

    A quadratic in ``W`` with Hessian :math:`X^\top X / n` (per column of ``W``):
    the gradient-descent chapter's theory applies exactly.
    """
    residual = X @ W - Y
    n = X.shape[0]
    return 0.5 * float(np.sum(residual**2)) / n, X.T @ residual / n


def softmax(logits: Array) -> Array:
    """Row-wise softmax, shifted by the row maximum so that ``exp`` cannot overflow."""
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def softmax_cross_entropy(W: Array, X: Array, Y: Array) -> tuple[float, Array]:
    r"""Multinomial logistic regression: mean cross-entropy and its gradient.

    ``Y`` is one-hot (see :func:`one_hot`). With :math:`P = \mathrm{softmax}(XW)`,

    .. math::
        f(W) = -\frac{1}{n}\sum_i \log P_{i, y_i}, \qquad \nabla f(W) = \frac{1}{n} X^\top (P - Y)

    Convex in ``W``; the same loss as ``torch.nn.functional.cross_entropy``.
    """
    logits = X @ W
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = X.shape[0]
    return -float(np.sum(Y * log_p)) / n, X.T @ (np.exp(log_p) - Y) / n


def accuracy(W: Array, X: Array, y: Array) -> float:
    """Fraction of rows whose largest score ``X @ W`` is at the true label ``y``."""
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def minibatches(n: int, batch_size: int, rng: np.random.Generator, drop_last: bool = False) -> Iterator[Array]:
    """Indices of one epoch: a fresh random permutation of ``range(n)`` cut into batches.

    Every example is used exactly once per epoch (sampling *without* replacement).
    The last batch is smaller when ``batch_size`` does not divide ``n``, unless
    ``drop_last`` (as in ``torch.utils.data.DataLoader``).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


class SGDResult(NamedTuple):
    """Final weights and the full-data loss after each epoch (``losses[0]`` is before training)."""

    W: Array
    losses: Array


def minibatch_sgd(
    loss_grad: LossGrad,
    W0: Array,
    X: Array,
    Y: Array,
    *,
    lr: float | Callable[[int], float],
    batch_size: int,
    epochs: int,
    seed: int = 0,
) -> SGDResult:
    r"""Minibatch SGD, :math:`W \leftarrow W - \alpha_t \nabla f_{B_t}(W)`, for ``epochs`` passes over the data.

    ``lr`` is a constant or a schedule ``lr(t)`` of the 0-based step number ``t``
    (see :mod:`adamlab.lab.schedules`). One epoch is ``ceil(n / batch_size)`` steps.
    Returns the final weights and the full-data loss after every epoch.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    rate = lr if callable(lr) else (lambda t: lr)
    rng = np.random.default_rng(seed)
    W = np.array(W0, dtype=np.float64)
    losses = [loss_grad(W, X, Y)[0]]
    t = 0
    for _ in range(epochs):
        for idx in minibatches(len(X), batch_size, rng):
            _, grad = loss_grad(W, X[idx], Y[idx])
            W = W - rate(t) * grad
            t += 1
        losses.append(loss_grad(W, X, Y)[0])
    return SGDResult(W, np.array(losses))
