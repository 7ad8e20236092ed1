"""Adafactor (Shazeer & Stern, 2018): a second moment stored as one row and one column.

For an :math:`m \\times n` matrix, Adam keeps :math:`mn` numbers of :math:`v`; Adafactor keeps the
:math:`m` row means and the :math:`n` column means of :math:`g^2` and rebuilds :math:`\\hat V` as
their outer product divided by the overall mean: the best rank-one fit in the sense of the
paper's Section 3. It has no first moment, a decay :math:`\\hat\\beta_{2,t} = 1 - t^{-0.8}` that
needs no bias correction, updates clipped to RMS :math:`d`, and a step relative to the size of
the parameters. The rule is that of ``torch.optim.Adafactor``, checked in
``tests/optim/test_adafactor.py``.

Reference: https://arxiv.org/abs/1804.04235
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def factored_second_moment(row_var: Array, col_var: Array) -> Array:
    r"""Rebuild :math:`\hat V_{ij} = r_i c_j / \bar r` from the row means :math:`r` and column means :math:`c`."""
    return np.outer(row_var, col_var) / row_var.mean()


def adafactor_step(
    theta: Array,
    grad: Array,
    row_var: Array,
    col_var: Array | None,
    t: int,
    *,
    lr: float = 1e-2,
    beta2_decay: float = -0.8,
    eps1: float | None = None,
    eps2: float = 1e-3,
    d: float = 1.0,
    weight_decay: float = 0.0,
) -> tuple[Array, Array, Array | None]:
    r"""One Adafactor step as ``torch.optim.Adafactor``; ``t`` is 1-based.

    For a matrix, ``row_var`` (shape ``(m,)``) and ``col_var`` (shape ``(n,)``) start at zero; for a
    vector, ``row_var`` is the full second moment and ``col_var`` is ``None``.

    .. math::
        \hat\beta_{2,t} = 1 - t^{c}, \quad
        r_t = \hat\beta_{2,t} r_{t-1} + (1-\hat\beta_{2,t}) \operatorname{mean}_j g_{ij}^2, \quad
        c_t = \hat\beta_{2,t} c_{t-1} + (1-\hat\beta_{2,t}) \operatorname{mean}_i g_{ij}^2, \\
        U_t = G_t / \sqrt{\max(\hat V_t, \varepsilon_1^2)}, \quad
        \theta_t = (1-\alpha\lambda)\theta_{t-1}
        - \frac{\max(\varepsilon_2, \operatorname{RMS}(\theta_{t-1}))\,\min(\alpha, t^{-1/2})}
        {\max(1, \operatorname{RMS}(U_t)/d)}\, U_t

    with :math:`c` = ``beta2_decay`` and :math:`\varepsilon_1` the dtype's machine epsilon by default.
    """
    eps1 = np.finfo(theta.dtype).eps if eps1 is None else eps1
    weight = float(t) ** beta2_decay  # 1 - beta2_hat_t: 1 at t = 1, so no bias correction is needed
    relative = max(eps2, float(np.sqrt(np.mean(theta * theta)))) * min(lr, 1.0 / np.sqrt(t))
    g2 = grad * grad
    if col_var is None:
        row_var = row_var + weight * (g2 - row_var)
        v_hat = row_var
    else:
        row_var = row_var + weight * (g2.mean(axis=1) - row_var)
        col_var = col_var + weight * (g2.mean(axis=0) - col_var)
        v_hat = np.outer(row_var, col_var) / max(row_var.mean(), eps1)
    update = grad / np.sqrt(np.maximum(v_hat, eps1 * eps1))
    clip = max(1.0, float(np.sqrt(np.mean(update * update))) / d)
    decayed = theta * (1.0 - lr * weight_decay)
    return decayed - relative / clip * update, row_var, col_var
