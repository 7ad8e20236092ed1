"""adamlab.problems.regression: losses and gradients against torch autograd, minibatching, SGD on digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from adamlab.problems import regression as R


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits()
    X = R.add_bias(bunch.data / 16.0)
    return X, bunch.target, R.one_hot(bunch.target, 10)


def _random_problem(seed=0, n=37, d=6, k=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, k, size=n)
    return X, y, R.one_hot(y, k), rng.normal(size=(d, k))


def test_add_bias_and_one_hot():
    X = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(R.add_bias(X), [[0, 1, 1], [2, 3, 1], [4, 5, 1]])
    np.testing.assert_array_equal(R.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


def test_least_squares_against_autograd():
    X, _, Y, W = _random_problem()
    loss, grad = R.least_squares(W, X, Y)
    Wt = torch.tensor(W, requires_grad=True)
    ref = 0.5 * ((torch.tensor(X) @ Wt - torch.tensor(Y)) ** 2).sum() / len(X)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-14)
    np.testing.assert_allclose(grad, Wt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_softmax_cross_entropy_against_torch():
    X, y, Y, W = _random_problem(seed=1)
    W = 5.0 * W  # large logits: checks the max-shift
    loss, grad = R.softmax_cross_entropy(W, X, Y)
    Wt = torch.tensor(W, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(torch.tensor(X) @ Wt, torch.tensor(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, Wt.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_softmax_is_stable_and_normalised():
    P = R.softmax(np.array([[1000.0, 1000.0], [-1000.0, 0.0]]))
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[0], [0.5, 0.5])


def test_inputs_are_not_modified():
    X, _, Y, W = _random_problem(seed=2)
    copies = [a.copy() for a in (X, Y, W)]
    R.least_squares(W, X, Y)
    R.softmax_cross_entropy(W, X, Y)
    R.minibatch_sgd(R.least_squares, W, X, Y, lr=0.01, batch_size=5, epochs=2)
    for a, c in zip((X, Y, W), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("batch_size", [1, 7, 10, 37, 50])
def test_minibatches_cover_every_index_once(batch_size):
    batches = list(R.minibatches(37, batch_size, np.random.default_rng(0)))
    assert sorted(np.concatenate(batches).tolist()) == list(range(37))
    assert all(len(b) == batch_size for b in batches[:-1])
    assert len(batches) == -(-37 // batch_size)


def test_minibatches_drop_last_and_reshuffle():
    rng = np.random.default_rng(0)
    first = list(R.minibatches(10, 4, rng, drop_last=True))
    second = list(R.minibatches(10, 4, rng, drop_last=True))
    assert [len(b) for b in first] == [4, 4]
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    with pytest.raises(ValueError):
        next(R.minibatches(10, 0, rng))


def test_epoch_average_of_minibatch_gradients_is_the_full_gradient():
    X, _, Y, W = _random_problem(seed=3, n=40)
    _, full = R.least_squares(W, X, Y)
    grads = [R.least_squares(W, X[idx], Y[idx])[1] for idx in R.minibatches(40, 8, np.random.default_rng(4))]
    np.testing.assert_allclose(np.mean(grads, axis=0), full, rtol=1e-12, atol=1e-14)


def test_minibatch_gradient_variance_scales_as_one_over_batch_size(digits):
    X, _, Y = digits
    W = np.zeros((X.shape[1], 10))
    _, full = R.least_squares(W, X, Y)
    rng = np.random.default_rng(0)

    def spread(b):
        return np.mean(
            [
                np.sum((R.least_squares(W, X[i], Y[i])[1] - full) ** 2)
                for i in (rng.choice(len(X), b, replace=False) for _ in range(300))
            ]
        )

    ratio = spread(4) / spread(64)
    n = len(X)
    expected = (n - 4) / (n - 1) * 64 / ((n - 64) / (n - 1) * 4)  # sampling without replacement
    assert ratio == pytest.approx(expected, rel=0.25)


def test_sgd_on_least_squares_approaches_the_solution(digits):
    X, _, Y = digits
    W_star = np.linalg.lstsq(X, Y, rcond=None)[0]
    f_star = R.least_squares(W_star, X, Y)[0]
    W0 = np.zeros((X.shape[1], 10))
    result = R.minibatch_sgd(R.least_squares, W0, X, Y, lr=lambda t: 0.1 / (1 + t / 500), batch_size=32, epochs=15)
    gaps = result.losses - f_star
    assert len(result.losses) == 16
    assert gaps[1] < 0.5 * gaps[0]
    assert gaps[-1] < 0.1 * gaps[0]


def test_sgd_trains_softmax_regression_on_digits(digits):
    X, y, Y = digits
    W0 = np.zeros((X.shape[1], 10))
    result = R.minibatch_sgd(R.softmax_cross_entropy, W0, X, Y, lr=0.5, batch_size=32, epochs=5, seed=1)
    assert result.losses[0] == pytest.approx(np.log(10))
    assert result.losses[-1] < 0.3
    assert R.accuracy(result.W, X, y) > 0.93


def test_sgd_is_repeatable_and_counts_steps():
    X, _, Y, W = _random_problem(seed=5, n=20)
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.01

    a = R.minibatch_sgd(R.least_squares, W, X, Y, lr=schedule, batch_size=6, epochs=2, seed=3)
    b = R.minibatch_sgd(R.least_squares, W, X, Y, lr=0.01, batch_size=6, epochs=2, seed=3)
    np.testing.assert_array_equal(a.W, b.W)
    assert seen == list(range(8))  # ceil(20 / 6) = 4 steps per epoch
