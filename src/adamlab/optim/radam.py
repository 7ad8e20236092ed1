"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, and scaled, by the variance of 1/√v̂.

In its first steps :math:`\\hat v_t` averages only a few squared gradients, so the adaptive
learning rate :math:`1/\\sqrt{\\hat v_t}` is very noisy. RAdam approximates the exponential
moving average by a simple moving average of length :math:`\\rho_t`, takes plain momentum
steps while :math:`\\rho_t` is too short for the variance to be finite, and afterwards scales
the adaptive step by :math:`r_t`, the ratio of its standard deviation to its limit.
The rule is that of ``torch.optim.RAdam`` (threshold :math:`\\rho_t > 5`; the paper's Algorithm 2
says :math:`\\rho_t > 4`), checked in ``tests/optim/test_radam.py``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .functional import adam_moments, bias_correction
from .transforms import Optimizer

Array = np.ndarray
THRESHOLD = 5.0  # torch.optim.RAdam's; Liu et al. (2020), Algorithm 2, use 4


def sma_length(t: int, beta2: float) -> float:
    r"""Length of the simple moving average that approximates the EMA at step ``t``.

    .. math:: \rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}
    """
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    return rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)


def rectification(t: int, beta2: float, threshold: float = THRESHOLD) -> float | None:
    r"""The variance rectification :math:`r_t`, or ``None`` while :math:`\rho_t \le` ``threshold``.

    .. math:: r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}
    """
    rho_inf, rho_t = 2.0 / (1.0 - beta2) - 1.0, sma_length(t, beta2)
    if rho_t <= threshold:
        return None
    return float(np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)))


def radam_step(
    theta: Array,
    grad: Array,
    m: Array,
    v: Array,
    t: int,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Array, Array, Array]:
    r"""One RAdam step as ``torch.optim.RAdam``; ``t`` is 1-based.

    .. math::
        \theta_t = \theta_{t-1} - \alpha\,\hat m_t \cdot
        \begin{cases} r_t \sqrt{1-\beta_2^t}\,/\,(\sqrt{v_t} + \varepsilon) & \rho_t > 5 \\
        1 & \text{otherwise (a momentum step)} \end{cases}

    (torch adds ε to :math:`\sqrt{v_t}` before the bias correction, not to :math:`\sqrt{\hat v_t}`.)
    Reference: https://arxiv.org/abs/1908.03265
    """
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"t is the 1-based number of this step: expected an int >= 1, got {t!r}")
    m, v = adam_moments(grad, m, v, beta1=beta1, beta2=beta2)
    m_hat = bias_correction(m, beta1, t)
    r = rectification(t, beta2)
    if r is None:
        return theta - lr * m_hat, m, v
    adaptive = np.sqrt(1.0 - beta2**t) / (np.sqrt(v) + eps)
    return theta - lr * m_hat * adaptive * r, m, v


class RAdamState(NamedTuple):
    """Steps taken ``t`` and the two moments (torch: ``step``, ``exp_avg``, ``exp_avg_sq``)."""

    t: int
    m: Array
    v: Array


def radam(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """RAdam as an init/step pair."""

    def step(theta, g, s):
        theta, m, v = radam_step(theta, g, s.m, s.v, s.t + 1, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        return theta, RAdamState(s.t + 1, m, v)

    return Optimizer(
        f"RAdam (lr={lr:g})", lambda theta: RAdamState(0, np.zeros_like(theta), np.zeros_like(theta)), step
    )
