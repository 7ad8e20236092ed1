"""Steps with a full preconditioning matrix: Newton, full-matrix AdaGrad and Shampoo.

The per-coordinate methods divide each coordinate of the gradient by its own number: a
diagonal preconditioner, which cannot undo a rotation. These rules multiply the gradient by a
full matrix instead, and so treat a rotated problem exactly as the unrotated one. They cost
what a matrix costs (memory :math:`d^2`, time up to :math:`d^3`), which is why deep learning
uses the factored form, Shampoo, or none. Pure NumPy, float64, inputs never modified.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def matrix_power(S: Array, p: float, floor: float = 0.0) -> Array:
    r"""The power :math:`S^p = Q\,\mathrm{diag}(\lambda^p)\,Q^\top` of a symmetric positive semi-definite matrix.

    Eigenvalues below ``floor`` are raised to it first (needed for negative ``p``).
    """
    lam, Q = np.linalg.eigh((S + S.T) / 2)
    return (Q * np.maximum(lam, floor) ** p) @ Q.T


def newton_step(theta: Array, grad: Array, hessian: Array, *, lr: float = 1.0) -> Array:
    r"""Newton's method, :math:`\theta \leftarrow \theta - \alpha H^{-1} g` (one step solves a quadratic when α = 1)."""
    return theta - lr * np.linalg.solve(hessian, grad)


def full_matrix_adagrad_step(
    theta: Array, grad: Array, G: Array, *, lr: float = 0.01, eps: float = 1e-10
) -> tuple[Array, Array]:
    r"""Full-matrix AdaGrad (Duchi et al., 2011): the sum of outer products replaces the sum of squares.

    .. math::
        G_t = G_{t-1} + g_t g_t^\top, \qquad \theta_t = \theta_{t-1} - \alpha\,(\varepsilon I + G_t^{1/2})^{-1} g_t

    With ``G`` kept diagonal this is :func:`adamlab.optim.adagrad_step` (``torch.optim.Adagrad``).
    ``G`` starts at zero. Reference: https://jmlr.org/papers/v12/duchi11a.html
    """
    G = G + np.outer(grad, grad)
    root = matrix_power(G, 0.5)
    return theta - lr * np.linalg.solve(eps * np.eye(len(grad)) + root, grad), G


def shampoo_init(shape: tuple[int, int], eps: float = 1e-4) -> tuple[Array, Array]:
    r"""Shampoo's two statistics, :math:`L_0 = \varepsilon I_m` and :math:`R_0 = \varepsilon I_n`."""
    m, n = shape
    return eps * np.eye(m), eps * np.eye(n)


def shampoo_step(W: Array, G: Array, L: Array, R: Array, *, lr: float) -> tuple[Array, Array, Array]:
    r"""Shampoo for a matrix parameter (Gupta et al., 2018, Algorithm 1).

    .. math::
        L_t = L_{t-1} + G_tG_t^\top, \qquad R_t = R_{t-1} + G_t^\top G_t, \qquad
        W_{t+1} = W_t - \eta\, L_t^{-1/4} G_t R_t^{-1/4}

    An :math:`m \times n` matrix keeps :math:`m^2 + n^2` numbers instead of full-matrix AdaGrad's
    :math:`(mn)^2`; the preconditioner is the Kronecker product :math:`L_t^{1/4} \otimes R_t^{1/4}`.
    Reference: https://arxiv.org/abs/1802.09568
    """
    L = L + G @ G.T
    R = R + G.T @ G
    return W - lr * matrix_power(L, -0.25) @ G @ matrix_power(R, -0.25), L, R
