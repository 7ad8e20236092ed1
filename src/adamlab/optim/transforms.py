"""The ladder as optax-style pairs: ``init(theta) -> state`` and ``step(theta, grad, state) -> (theta, state)``.

Each rule has its own small typed state, as optax's ``ScaleByAdamState(count, mu, nu)``:
the names are the papers' (torch's in brackets). The maths is in
:mod:`adamlab.optim.functional`; this module only carries the state from one step to the
next, which is what :func:`adamlab.lab.trajectory.run` and the chapters' experiments drive.

>>> opt = adam(lr=0.1)
>>> theta = np.array([1.0, -2.0]); state = opt.init(theta)
>>> theta, state = opt.step(theta, 2 * theta, state)
>>> state.t, np.round(theta, 3)
(1, array([ 0.9, -1.9]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .functional import adagrad_step, adam_step, adamw_step, amsgrad_step, momentum_step, rmsprop_step, sgd_step

Array = np.ndarray


class Optimizer(NamedTuple):
    """An optimizer as two pure functions and a name for plots; each rule's state type is below."""

    name: str
    init: Callable[[Array], Any]
    step: Callable[[Array, Array, Any], tuple[Array, Any]]


class EmptyState(NamedTuple):
    """Plain gradient descent keeps nothing between steps."""


class MomentumState(NamedTuple):
    """The velocity ``buf`` (torch: ``momentum_buffer``); ``None`` before the first step, which sets it to g."""

    buf: Array | None


class AdagradState(NamedTuple):
    """The running sum of squared gradients (torch: ``sum``)."""

    sum_sq: Array


class RMSPropState(NamedTuple):
    """The moving average of squared gradients (torch: ``square_avg``)."""

    sq_avg: Array


class AdamState(NamedTuple):
    """Steps taken ``t`` and the two moments ``m``, ``v`` (torch: ``step``, ``exp_avg``, ``exp_avg_sq``)."""

    t: int
    m: Array
    v: Array


class AMSGradState(NamedTuple):
    """Adam's state plus the running maximum ``v_max`` of the raw ``v`` (torch: ``max_exp_avg_sq``)."""

    t: int
    m: Array
    v: Array
    v_max: Array


def sgd(lr: float) -> Optimizer:
    """Plain (stochastic) gradient descent."""
    return Optimizer(
        f"SGD (lr={lr:g})",
        init=lambda theta: EmptyState(),
        step=lambda theta, grad, state: (sgd_step(theta, grad, lr=lr), state),
    )


def momentum(lr: float, momentum: float = 0.9, *, nesterov: bool = False, dampening: float = 0.0) -> Optimizer:
    """Heavy-ball (or Nesterov) momentum."""

    def step(theta: Array, grad: Array, state: MomentumState) -> tuple[Array, MomentumState]:
        theta, buf = momentum_step(
            theta, grad, state.buf, lr=lr, momentum=momentum, nesterov=nesterov, dampening=dampening
        )
        return theta, MomentumState(buf)

    label = "Nesterov" if nesterov else "Momentum"
    return Optimizer(f"{label} (lr={lr:g}, μ={momentum:g})", init=lambda theta: MomentumState(None), step=step)


def adagrad(lr: float = 0.01, eps: float = 1e-10) -> Optimizer:
    """AdaGrad."""

    def step(theta: Array, grad: Array, state: AdagradState) -> tuple[Array, AdagradState]:
        theta, sum_sq = adagrad_step(theta, grad, state.sum_sq, lr=lr, eps=eps)
        return theta, AdagradState(sum_sq)

    return Optimizer(f"AdaGrad (lr={lr:g})", init=lambda theta: AdagradState(np.zeros_like(theta)), step=step)


def rmsprop(lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> Optimizer:
    """RMSProp."""

    def step(theta: Array, grad: Array, state: RMSPropState) -> tuple[Array, RMSPropState]:
        theta, sq_avg = rmsprop_step(theta, grad, state.sq_avg, lr=lr, alpha=alpha, eps=eps)
        return theta, RMSPropState(sq_avg)

    return Optimizer(
        f"RMSProp (lr={lr:g}, α={alpha:g})", init=lambda theta: RMSPropState(np.zeros_like(theta)), step=step
    )


def _adam_init(theta: Array) -> AdamState:
    return AdamState(0, np.zeros_like(theta), np.zeros_like(theta))


def adam(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam with bias correction."""

    def step(theta: Array, grad: Array, s: AdamState) -> tuple[Array, AdamState]:
        theta, m, v = adam_step(theta, grad, s.m, s.v, s.t + 1, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        return theta, AdamState(s.t + 1, m, v)

    return Optimizer(f"Adam (lr={lr:g})", init=_adam_init, step=step)


def adamw(
    lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-2
) -> Optimizer:
    """AdamW: Adam with decoupled weight decay (the same state as Adam)."""

    def step(theta: Array, grad: Array, s: AdamState) -> tuple[Array, AdamState]:
        theta, m, v = adamw_step(
            theta, grad, s.m, s.v, s.t + 1, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay
        )
        return theta, AdamState(s.t + 1, m, v)

    return Optimizer(f"AdamW (lr={lr:g}, λ={weight_decay:g})", init=_adam_init, step=step)


def amsgrad(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """AMSGrad in torch's form (maximum of the raw second moment)."""

    def init(theta: Array) -> AMSGradState:
        return AMSGradState(0, np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta))

    def step(theta: Array, grad: Array, s: AMSGradState) -> tuple[Array, AMSGradState]:
        theta, m, v, v_max = amsgrad_step(
            theta, grad, s.m, s.v, s.v_max, s.t + 1, lr=lr, beta1=beta1, beta2=beta2, eps=eps
        )
        return theta, AMSGradState(s.t + 1, m, v, v_max)

    return Optimizer(f"AMSGrad (lr={lr:g})", init=init, step=step)
