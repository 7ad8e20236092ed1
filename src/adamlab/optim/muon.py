"""Muon: momentum whose update matrix is orthogonalised by a Newton–Schulz iteration.

For a weight matrix, Muon keeps a momentum buffer as SGD does, then replaces the update
:math:`M = U\\Sigma V^\\top` by (approximately) :math:`UV^\\top`: every singular value becomes
about 1, so no direction of the matrix dominates the step. The orthogonalisation is a few
steps of an odd matrix polynomial (no SVD). The rule is that of ``torch.optim.Muon``
(momentum as an EMA, Nesterov by default, decoupled weight decay, the "original" learning-rate
adjustment), in float64: torch runs the Newton–Schulz iteration in bfloat16 whatever the
parameter's dtype, so ``tests/optim/test_muon.py`` checks this module against torch's own code
with that one cast removed, and against the unmodified optimizer to bfloat16's precision.

Reference: K. Jordan et al. (2024), https://kellerjordan.github.io/posts/muon/
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch.optim.Muon's (a, b, c)


def newton_schulz(
    G: Array, steps: int = 5, coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7
) -> Array:
    r"""Approximately orthogonalise ``G``: :math:`U\Sigma V^\top \mapsto U\,p(\Sigma)\,V^\top`, p(σ) ≈ 1.

    .. math::
        X_0 = G/\max(\lVert G\rVert_F, \varepsilon), \qquad
        X_{k+1} = aX_k + \big(b\,X_kX_k^\top + c\,(X_kX_k^\top)^2\big)X_k

    Each step maps every singular value :math:`\sigma \mapsto a\sigma + b\sigma^3 + c\sigma^5`
    and leaves the singular vectors alone. A wide matrix is iterated as it is, a tall one transposed
    (torch's ``_zeropower_via_newtonschulz``, without its cast to bfloat16).
    """
    if G.ndim != 2:
        raise ValueError(f"Newton-Schulz orthogonalises a matrix, got shape {G.shape}")
    a, b, c = coefficients
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    X = X / max(np.linalg.norm(X), eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def polar_factor(G: Array) -> Array:
    r"""The exact orthogonalisation :math:`UV^\top` of :math:`G = U\Sigma V^\top` (by an SVD), for comparison."""
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    return U @ Vt


def adjusted_lr(lr: float, shape: tuple[int, ...], adjust_lr_fn: str | None = None) -> float:
    r"""torch's learning-rate adjustment for an :math:`A \times B` matrix.

    ``"original"`` (the default, Jordan's): :math:`\alpha\sqrt{\max(1, A/B)}`;
    ``"match_rms_adamw"`` (Moonshot's): :math:`0.2\,\alpha\sqrt{\max(A, B)}`.
    """
    A, B = shape[:2]
    if adjust_lr_fn in (None, "original"):
        return lr * float(np.sqrt(max(1.0, A / B)))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * float(np.sqrt(max(A, B)))
    raise ValueError(f"adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {adjust_lr_fn!r}")


def muon_step(
    theta: Array,
    grad: Array,
    buf: Array,
    *,
    lr: float = 1e-3,
    momentum: float = 0.95,
    nesterov: bool = True,
    weight_decay: float = 0.1,
    ns_steps: int = 5,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    eps: float = 1e-7,
    adjust_lr_fn: str | None = None,
) -> tuple[Array, Array]:
    r"""One Muon step on a weight matrix, as ``torch.optim.Muon`` (with float64 Newton–Schulz).

    .. math::
        B_t = \mu B_{t-1} + (1-\mu) G_t, \qquad
        M_t = (1-\mu) G_t + \mu B_t \text{ (Nesterov) or } B_t, \\
        \theta_t = (1-\alpha\lambda)\,\theta_{t-1} - \alpha' \operatorname{NS}(M_t)

    ``buf`` starts at zero; :math:`\alpha'` is :func:`adjusted_lr`. (torch's docstring writes
    the buffer as a plain sum :math:`\mu B + G`; its code keeps the EMA above. The two differ
    by a factor that the normalisation in :func:`newton_schulz` removes.)
    """
    buf = momentum * buf + (1.0 - momentum) * grad
    update = grad + momentum * (buf - grad) if nesterov else buf
    ortho = newton_schulz(update, ns_steps, ns_coefficients, eps)
    decayed = theta * (1.0 - lr * weight_decay)
    return decayed - adjusted_lr(lr, theta.shape, adjust_lr_fn) * ortho, buf
