"""Newton, full-matrix AdaGrad and Shampoo: against transcriptions of their papers' algorithms (SciPy's matrix
functions, float64, 1e-6 over 120 steps), against torch.optim.Adagrad where they coincide, and for the
property that defines them: a rotation of the problem rotates the path."""

import numpy as np
import pytest
import scipy.linalg as sla
import torch

from adamlab import optim as O
from adamlab.optim.preconditioning import matrix_power, shampoo_init

STEPS = 120


def rotation(d, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


def test_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(5, 5))
    A, b = B @ B.T + 0.1 * np.eye(5), rng.normal(size=5)
    theta = rng.normal(size=5)
    new = O.newton_step(theta, A @ theta - b, A)
    np.testing.assert_allclose(A @ new, b, atol=1e-10)


@pytest.mark.filterwarnings("ignore:Matrix is singular")
@pytest.mark.parametrize("lr,eps", [(0.01, 1e-10), (0.5, 1e-3), (0.1, 1.0)])
def test_full_matrix_adagrad_matches_its_definition_and_torch_adagrad_on_axis_gradients(lr, eps):
    rng = np.random.default_rng(1)
    d = 4
    grads = rng.normal(size=(STEPS, d)) * rng.choice([1e-3, 1.0, 100.0], size=d)
    theta0 = rng.normal(size=d)
    theta, G, ref, S = theta0, np.zeros((d, d)), theta0, np.zeros((d, d))
    for g in grads:
        theta, G = O.full_matrix_adagrad_step(theta, g, G, lr=lr, eps=eps)
        S = S + np.outer(g, g)  # Duchi et al. (2011): x <- x - eta (delta I + G_t^{1/2})^{-1} g_t
        ref = ref - lr * np.linalg.solve(eps * np.eye(d) + np.real(sla.sqrtm(S)), g)
        np.testing.assert_allclose(theta, ref, rtol=0, atol=1e-6 * max(1.0, np.abs(ref).max()))
    # Gradients along one axis at a time keep G diagonal: the rule is then torch.optim.Adagrad.
    axis_grads = np.zeros((STEPS, d))
    axis_grads[np.arange(STEPS), rng.integers(0, d, size=STEPS)] = rng.normal(size=STEPS)
    p = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.Adagrad([p], lr=lr, eps=eps)
    theta, G = theta0, np.zeros((d, d))
    for g in axis_grads:
        p.grad = torch.tensor(g)
        opt.step()
        theta, G = O.full_matrix_adagrad_step(theta, g, G, lr=lr, eps=eps)
        np.testing.assert_allclose(theta, p.detach().numpy(), rtol=0, atol=1e-10)


def test_full_matrix_adagrad_is_rotation_equivariant_and_diagonal_adagrad_is_not():
    d, Q = 3, rotation(3, 2)
    grads = np.random.default_rng(3).normal(size=(50, d)) * [10.0, 1.0, 0.1]
    theta, G, rtheta, rG = np.ones(d), np.zeros((d, d)), Q @ np.ones(d), np.zeros((d, d))
    diag, s, rdiag, rs = np.ones(d), np.zeros(d), Q @ np.ones(d), np.zeros(d)
    for g in grads:
        theta, G = O.full_matrix_adagrad_step(theta, g, G, lr=0.1, eps=1e-3)
        rtheta, rG = O.full_matrix_adagrad_step(rtheta, Q @ g, rG, lr=0.1, eps=1e-3)
        diag, s = O.adagrad_step(diag, g, s, lr=0.1, eps=1e-3)
        rdiag, rs = O.adagrad_step(rdiag, Q @ g, rs, lr=0.1, eps=1e-3)
    np.testing.assert_allclose(rtheta, Q @ theta, atol=1e-9)
    assert np.abs(rdiag - Q @ diag).max() > 1e-2


def shampoo_paper(W0, grads, lr, eps):
    """Gupta et al. 2018, Algorithm 1, with SciPy's fractional matrix power."""
    m, n = W0.shape
    L, R, W, path = eps * np.eye(m), eps * np.eye(n), W0, []
    for G in grads:
        L, R = L + G @ G.T, R + G.T @ G
        W = W - lr * np.real(sla.fractional_matrix_power(L, -0.25)) @ G @ np.real(sla.fractional_matrix_power(R, -0.25))
        path.append(W)
    return np.array(path)


@pytest.mark.parametrize("shape", [(3, 5), (6, 2)])
@pytest.mark.parametrize("lr,eps", [(0.1, 1e-4), (1.0, 1e-2), (0.01, 1.0)])
def test_shampoo_matches_algorithm_1(lr, eps, shape):
    rng = np.random.default_rng(4)
    grads = rng.normal(size=(STEPS, *shape)) * rng.choice([0.01, 1.0, 10.0], size=shape)
    W0 = rng.normal(size=shape)
    expected = shampoo_paper(W0, grads, lr, eps)
    W, (L, R), path = W0, shampoo_init(shape, eps), []
    for G in grads:
        W, L, R = O.shampoo_step(W, G, L, R, lr=lr)
        path.append(W)
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-6 * max(1.0, np.abs(expected).max()))


def test_shampoo_is_rotation_equivariant_on_both_sides():
    U, V = rotation(3, 5), rotation(4, 6)
    grads = np.random.default_rng(7).normal(size=(30, 3, 4))
    W, (L, R) = np.ones((3, 4)), shampoo_init((3, 4), 1e-3)
    rW, (rL, rR) = U @ np.ones((3, 4)) @ V.T, shampoo_init((3, 4), 1e-3)
    for G in grads:
        W, L, R = O.shampoo_step(W, G, L, R, lr=0.1)
        rW, rL, rR = O.shampoo_step(rW, U @ G @ V.T, rL, rR, lr=0.1)
    np.testing.assert_allclose(rW, U @ W @ V.T, atol=1e-9)


def test_matrix_power():
    S = np.array([[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(matrix_power(S, 0.5) @ matrix_power(S, 0.5), S, atol=1e-12)
    np.testing.assert_allclose(matrix_power(S, -1.0), np.linalg.inv(S), atol=1e-12)
