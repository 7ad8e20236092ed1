"""Exercise 3: ``momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False)``, checked against
``torch.optim.SGD(momentum=..., nesterov=..., dampening=0)``."""

from __future__ import annotations

from functools import partial

import numpy as np

from adamlab import optim as O

from ..engine.messages import Mistake
from ..engine.probes import Exercise
from ..engine.steps import StepSpec, step_probes


def _torch_momentum(params, hp):
    import torch

    return torch.optim.SGD(params, lr=hp["lr"], momentum=hp["momentum"], nesterov=hp["nesterov"], dampening=0)


# --- momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False) -> (theta, buf) -----


def _momentum_like(
    theta,
    grad,
    buf,
    *,
    lr,
    momentum=0.9,
    nesterov=False,
    damped=None,
    lr_inside=None,
    nesterov_form="torch",
    ignore_nesterov=False,
    always_nesterov=False,
    no_momentum=False,
    keep_buf=False,
    unchanged=False,
    ascent=False,
):
    """torch.optim.SGD's momentum (dampening 0) with any one mistake switched on by a flag."""
    mu = momentum
    old = np.zeros_like(grad) if buf is None else buf
    if lr_inside == "minus":  # CS231n: v = μv − lr·g, θ + v (Nesterov: θ + μv − lr·g)
        v = mu * old - lr * grad
        return (theta + mu * v - lr * grad if nesterov else theta + v), v
    if lr_inside == "plus":  # v = μv + lr·g, θ − v (Nesterov: θ − (μv + lr·g))
        v = mu * old + lr * grad
        return (theta - (mu * v + lr * grad) if nesterov else theta - v), v
    if damped == "zeros":
        new = mu * old + (1 - mu) * grad
    elif damped == "first_g":
        new = grad.copy() if buf is None else mu * buf + (1 - mu) * grad
    elif no_momentum:
        new = grad.copy()
    else:
        new = grad.copy() if buf is None else mu * buf + grad
    if no_momentum:
        direction = grad
    elif (nesterov or always_nesterov) and not ignore_nesterov:
        direction = {"torch": grad + mu * new, "no_grad": mu * new}[nesterov_form]
    else:
        direction = new
    new_theta = theta.copy() if unchanged else (theta + lr * direction if ascent else theta - lr * direction)
    return new_theta, (old.copy() if keep_buf else new)


def _momentum_variant(key, title, hint, **flags):
    return Mistake(key, title, hint, partial(_momentum_like, **flags))


MOMENTUM = StepSpec(
    name="momentum_step",
    reference=O.momentum_step,
    state=("buf",),
    init_state=lambda theta: (None,),
    uses_t=False,
    defaults={"momentum": 0.9, "nesterov": False},
    required={"lr": 0.1},
    settings=(
        {"lr": 0.01, "momentum": 0.9, "nesterov": True},
        {"lr": 0.5, "momentum": 0.5, "nesterov": False},
        {"lr": 0.05, "momentum": 0.99, "nesterov": True},
        {"lr": 2.0, "momentum": 0.3, "nesterov": True},
    ),
    torch_name="torch.optim.SGD",
    torch_optimizer=_torch_momentum,
    torch_state=("momentum_buffer",),
    mistakes=(
        _momentum_variant(
            "damped",
            "damped momentum, buf = μ·buf + (1 − μ)·g",
            "torch.optim.SGD (dampening = 0) adds the whole gradient: buf = μ·buf + g.",
            damped="zeros",
        ),
        _momentum_variant(
            "damped_first_g",
            "damped momentum after the first step, buf = μ·buf + (1 − μ)·g",
            "With dampening = 0 every step adds the whole gradient: buf = μ·buf + g.",
            damped="first_g",
        ),
        _momentum_variant(
            "lr_in_buffer",
            "the learning rate is folded into the buffer (v = μ·v − lr·g, θ + v)",
            "torch keeps lr out of the buffer: buf = μ·buf + g, then θ − lr·buf. Your θ is right "
            "while lr is constant, but your buffer is −lr times torch's, and θ goes wrong as soon "
            "as a schedule changes lr. (The look-ahead form of Nesterov has the same buffer.)",
            lr_inside="minus",
        ),
        _momentum_variant(
            "lr_in_buffer_plus",
            "the learning rate is folded into the buffer (v = μ·v + lr·g, θ − v)",
            "torch keeps lr out of the buffer: buf = μ·buf + g, then θ − lr·buf. Your θ is right "
            "while lr is constant, but your buffer is lr times torch's.",
            lr_inside="plus",
        ),
        _momentum_variant(
            "nesterov_without_grad",
            "Nesterov step without the gradient term (θ − lr·μ·buf)",
            "torch's Nesterov step is θ − lr·(g + μ·buf), with the new buf.",
            nesterov_form="no_grad",
        ),
        # Stepping along g + μ·buf_old (the old buffer) is exactly heavy ball: one entry covers both.
        _momentum_variant(
            "nesterov_ignored",
            "nesterov=True is ignored (heavy-ball steps)",
            "With nesterov=True, first update the buffer, buf = μ·buf + g, then step along "
            "g + μ·buf with the *new* buf. (Stepping along g + μ·buf_old is heavy ball again.)",
            ignore_nesterov=True,
        ),
        _momentum_variant(
            "always_nesterov",
            "Nesterov steps even when nesterov=False",
            "Step along g + μ·buf only when nesterov=True; otherwise step along buf itself: θ − lr·buf.",
            always_nesterov=True,
        ),
        _momentum_variant(
            "no_momentum",
            "momentum is ignored (plain gradient descent)",
            "Accumulate the buffer, buf = μ·buf + g (buf = g on the first step), and step along it.",
            no_momentum=True,
        ),
        _momentum_variant(
            "buf_not_updated",
            "the old buffer is returned",
            "Return the new buffer μ·buf + g (g on the first step), or the next step starts from stale state.",
            keep_buf=True,
        ),
        _momentum_variant(
            "ascent", "plus instead of minus (the step goes uphill)", "Subtract the step: θ − lr·buf.", ascent=True
        ),
        _momentum_variant("unchanged", "theta is returned unchanged", "Subtract the step: θ − lr·buf.", unchanged=True),
    ),
)


EXERCISE = Exercise(
    name="ex03_momentum",
    tests={
        "test_momentum_first_step": "momentum_step:first_step",
        "test_momentum_trajectory": "momentum_step:trajectory",
        "test_momentum_pure": "momentum_step:pure",
        "test_momentum_defaults_hidden": "momentum_step:default",
        "test_momentum_settings_hidden": "momentum_step:settings",
    },
    probes=step_probes(MOMENTUM),
    step_specs=(MOMENTUM,),
)
