"""Sign descent: signSGD, Signum and Lion, as pure NumPy steps.

Adam with :math:`\\beta_1 = \\beta_2 = 0` steps along :math:`g/|g|`, the sign of the gradient;
these rules make that the whole update. Every step takes float64 arrays, returns new arrays
and never modifies its inputs (the conventions of :mod:`adamlab.optim.functional`).
``np.sign(0) = 0``, as ``torch.sign``: a coordinate with a zero direction does not move.

torch has no sign optimizers: the references are the papers' algorithms, and
``tests/optim/test_sign.py`` checks each rule against a line-by-line transcription in torch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .transforms import Optimizer

Array = np.ndarray


def sign_sgd_step(theta: Array, grad: Array, *, lr: float) -> Array:
    r"""signSGD (Bernstein et al., 2018): every coordinate moves by ``lr`` against its gradient's sign.

    .. math:: \theta_t = \theta_{t-1} - \alpha \operatorname{sign}(g_t)

    Reference: https://arxiv.org/abs/1802.04434
    """
    return theta - lr * np.sign(grad)


def signum_step(theta: Array, grad: Array, m: Array, *, lr: float, beta: float = 0.9) -> tuple[Array, Array]:
    r"""Signum (Bernstein et al., 2018): signSGD on a moving average of the gradients.

    .. math:: m_t = \beta m_{t-1} + (1-\beta) g_t, \qquad \theta_t = \theta_{t-1} - \alpha\operatorname{sign}(m_t)

    ``m`` starts at zero. Reference: https://arxiv.org/abs/1802.04434
    """
    m = beta * m + (1.0 - beta) * grad
    return theta - lr * np.sign(m), m


def lion_step(
    theta: Array,
    grad: Array,
    m: Array,
    *,
    lr: float = 1e-4,
    beta1: float = 0.9,
    beta2: float = 0.99,
    weight_decay: float = 0.0,
) -> tuple[Array, Array]:
    r"""Lion (Chen et al., 2023, Algorithm 2): the sign of an interpolation, and a slower memory.

    .. math::
        u_t = \operatorname{sign}\big(\beta_1 m_{t-1} + (1-\beta_1) g_t\big), \qquad
        \theta_t = \theta_{t-1} - \alpha\,(u_t + \lambda\theta_{t-1}), \qquad
        m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t

    ``m`` starts at zero. The decay is decoupled, as AdamW's (it uses :math:`\theta_{t-1}`).
    Reference: https://arxiv.org/abs/2302.06675
    """
    update = np.sign(beta1 * m + (1.0 - beta1) * grad)
    new_theta = theta - lr * (update + weight_decay * theta)
    return new_theta, beta2 * m + (1.0 - beta2) * grad


# --- The same rules as init/step pairs (see adamlab.optim.transforms) -------------------
class SignState(NamedTuple):
    """The moving average ``m`` (Signum and Lion; signSGD keeps it at zero and ignores it)."""

    m: Array


def sign_sgd(lr: float) -> Optimizer:
    """signSGD as an init/step pair."""
    return Optimizer(
        f"signSGD (lr={lr:g})",
        lambda theta: SignState(np.zeros_like(theta)),
        lambda theta, g, s: (sign_sgd_step(theta, g, lr=lr), s),
    )


def signum(lr: float, beta: float = 0.9) -> Optimizer:
    """Signum as an init/step pair."""

    def step(theta, g, s):
        theta, m = signum_step(theta, g, s.m, lr=lr, beta=beta)
        return theta, SignState(m)

    return Optimizer(f"Signum (lr={lr:g})", lambda theta: SignState(np.zeros_like(theta)), step)


def lion(lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.99, weight_decay: float = 0.0) -> Optimizer:
    """Lion as an init/step pair."""

    def step(theta, g, s):
        theta, m = lion_step(theta, g, s.m, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)
        return theta, SignState(m)

    return Optimizer(f"Lion (lr={lr:g})", lambda theta: SignState(np.zeros_like(theta)), step)
