r"""Reddi, Kale & Kumar's (2018) online problem on which Adam converges to the worst point.

On each step :math:`t = 1, 2, \dots` the loss is linear, :math:`f_t(x) = C x` when
:math:`t \bmod 3 = 1` and :math:`f_t(x) = -x` otherwise, over the interval
:math:`x \in [-1, 1]` (after every step :math:`x` is projected back onto it). One period of three
steps adds up to :math:`(C - 2)x`, so for :math:`C > 2` the best point is :math:`x = -1`. With
:math:`\beta_1 = 0` and :math:`\beta_2 = 1/(1 + C^2)`, Adam forgets the rare large gradient
:math:`C` quickly, takes larger steps on the two frequent gradients :math:`-1`, and drifts to
:math:`x = +1`, the worst point. AMSGrad divides by the largest second moment seen so far and
goes to :math:`-1`.

- :func:`reddi_path`: the runs with torch's rules (:func:`adamlab.optim.adam_step`,
  :func:`adamlab.optim.amsgrad_step`: bias correction, constant learning rate);
- :func:`paper_path`: the paper's own algorithms (no bias correction, no ε, step
  :math:`\alpha/\sqrt t`).

Exercise 6 has students write ``reddi_path`` themselves; its check is in the grading package
(:mod:`adamlab.grading.exercises`).

Reference: https://openreview.net/forum?id=ryQu7f-RZ (Section 3 and Theorem 1).
"""

from __future__ import annotations

import numpy as np

from ..optim import functional as O


def reddi_gradient(t: int, C: float) -> float:
    """The gradient of :math:`f_t`: ``C`` on steps ``t ≡ 1 (mod 3)`` (``t`` is 1-based), else ``-1``."""
    return C if t % 3 == 1 else -1.0


def reddi_beta2(C: float) -> float:
    """The paper's :math:`\\beta_2 = 1/(1 + C^2)` (Theorem 1)."""
    return 1.0 / (1.0 + C * C)


def average_regret(path: np.ndarray, C: float, start: int = 1) -> float:
    """Mean of :math:`f_t(x_{t-1}) - f_t(-1)` over the steps of ``path``.

    ``path[0]`` is the position before step ``start`` (so a whole run, from :math:`x_0`, has ``start=1``).
    """
    path = np.asarray(path, dtype=np.float64)
    t = np.arange(start, start + len(path) - 1)
    g = np.where(t % 3 == 1, C, -1.0)
    return float(np.mean(g * (path[:-1] + 1.0)))


def reddi_path(
    amsgrad: bool,
    *,
    steps: int = 3000,
    C: float = 3.0,
    lr: float = 0.01,
    beta1: float = 0.0,
    beta2: float | None = None,
    eps: float = 1e-8,
    x0: float = 0.0,
) -> np.ndarray:
    """Positions :math:`x_0, \\dots, x_{steps}` of torch-style Adam or AMSGrad (projected onto [-1, 1]).

    The same as ``torch.optim.Adam([x], lr, betas=(beta1, beta2), amsgrad=amsgrad)`` followed by
    ``x.clamp_(-1, 1)`` after every step. ``beta2`` defaults to the paper's :func:`reddi_beta2`.
    """
    beta2 = reddi_beta2(C) if beta2 is None else beta2
    x, m, v, v_max = np.array([x0]), np.zeros(1), np.zeros(1), np.zeros(1)
    path = [x0]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            g = np.array([reddi_gradient(t, C)])
            if amsgrad:
                x, m, v, v_max = O.amsgrad_step(x, g, m, v, v_max, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            else:
                x, m, v = O.adam_step(x, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            x = np.clip(x, -1.0, 1.0)
            path.append(float(x[0]))
    return np.array(path)


def paper_path(
    amsgrad: bool,
    *,
    steps: int = 3000,
    C: float = 3.0,
    alpha: float = 0.1,
    beta1: float = 0.0,
    beta2: float | None = None,
    x0: float = 0.0,
) -> np.ndarray:
    r"""The paper's Adam (Algorithm 1 with Adam's averages) or AMSGrad (Algorithm 2), projected onto [-1, 1].

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ (AMSGrad) or } v_t \text{ (Adam)}, \quad
        x_t = \Pi_{[-1,1]}\Big(x_{t-1} - \frac{\alpha}{\sqrt t}\, \frac{m_t}{\sqrt{\hat v_t}}\Big)

    No bias correction and no ε; the step size decreases as :math:`\alpha/\sqrt t`.
    """
    beta2 = reddi_beta2(C) if beta2 is None else beta2
    x, m, v, v_hat = x0, 0.0, 0.0, 0.0
    path = [x0]
    for t in range(1, steps + 1):
        g = reddi_gradient(t, C)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        x = min(1.0, max(-1.0, x - alpha / np.sqrt(t) * m / np.sqrt(v_hat)))
        path.append(x)
    return np.array(path)
