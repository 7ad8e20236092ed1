"""Contracts and mistake catalogues of the ladder's step functions: gd_step, momentum_step, adagrad_step, rmsprop_step.

Like :mod:`.adam_family`, each exercise function is a :class:`~.contract.Contract`: rolled
out by the engine, compared with ``torch.optim`` (registered at the end of this module) and
diagnosed against a catalogue of :class:`~.contract.Mistake` s. Every mistake is the correct
rule with one thing changed, switched on by a flag of a ``*_like`` function, so each
catalogue reads as a list of differences from the right rule. The exercises' other
functions (``max_stable_lr``, ``minibatches``, the schedules) are probes:
:mod:`.ladder_probes`.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Mapping

import numpy as np

from .. import optimizers as O
from .contract import Contract, Mistake
from .torch_reference import register

# --- gd_step(theta, grad, lr) -> theta --------------------------------------------------


def _gd_like(theta, grad, lr, *, ascent=False, lr_power=1, divide=False, step_only=False, unchanged=False):
    """Gradient descent with any one mistake switched on by a flag."""
    step = grad / lr if divide else lr**lr_power * grad
    if step_only:
        return -step
    if unchanged:
        return theta.copy()
    return theta + step if ascent else theta - step


def _gd_variant(key, title, hint, **flags):
    return Mistake(key, title, hint, partial(_gd_like, **flags))


GD = Contract(
    name="gd_step",
    reference=O.sgd_step,
    state=(),
    init_state=lambda theta: (),
    uses_t=False,
    defaults={},
    required={"lr": 0.1},
    settings=({"lr": 0.5}, {"lr": 3.0}, {"lr": 1e-3}),
    torch_name="torch.optim.SGD",
    mistakes=(
        _gd_variant("ascent", "plus instead of minus (gradient ascent)",
                    "Step against the gradient: θ − lr·g, not θ + lr·g.", ascent=True),
        _gd_variant("lr_ignored", "the learning rate is ignored",
                    "Scale the gradient by lr: θ − lr·g.", lr_power=0),
        _gd_variant("lr_squared", "the learning rate is applied twice (lr²)",
                    "lr multiplies the gradient once: θ − lr·g.", lr_power=2),
        _gd_variant("divided_by_lr", "the gradient is divided by lr",
                    "Multiply by the learning rate: θ − lr·g, not θ − g/lr.", divide=True),
        _gd_variant("step_only", "the step −lr·g is returned instead of the new θ",
                    "Return the new point, θ − lr·g, not only the change.", step_only=True),
        _gd_variant("unchanged", "theta is returned unchanged", "Subtract the step: θ − lr·g.", unchanged=True),
    ),
)


# --- momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False) -> (theta, buf) -----


def _momentum_like(theta, grad, buf, *, lr, momentum=0.9, nesterov=False, damped=None, lr_inside=None,
                   nesterov_form="torch", ignore_nesterov=False, no_momentum=False, keep_buf=False,
                   unchanged=False, ascent=False):
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
    elif nesterov and not ignore_nesterov:
        direction = {"torch": grad + mu * new, "no_grad": mu * new}[nesterov_form]
    else:
        direction = new
    new_theta = theta.copy() if unchanged else (theta + lr * direction if ascent else theta - lr * direction)
    return new_theta, (old.copy() if keep_buf else new)


def _momentum_variant(key, title, hint, **flags):
    return Mistake(key, title, hint, partial(_momentum_like, **flags))


MOMENTUM = Contract(
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
    mistakes=(
        _momentum_variant("damped", "damped momentum, buf = μ·buf + (1 − μ)·g",
                          "torch.optim.SGD (dampening = 0) adds the whole gradient: buf = μ·buf + g.",
                          damped="zeros"),
        _momentum_variant("damped_first_g", "damped momentum after the first step, buf = μ·buf + (1 − μ)·g",
                          "With dampening = 0 every step adds the whole gradient: buf = μ·buf + g.",
                          damped="first_g"),
        _momentum_variant("lr_in_buffer", "the learning rate is folded into the buffer (v = μ·v − lr·g, θ + v)",
                          "torch keeps lr out of the buffer: buf = μ·buf + g, then θ − lr·buf. Your θ is right "
                          "while lr is constant, but your buffer is −lr times torch's, and θ goes wrong as soon "
                          "as a schedule changes lr. (The look-ahead form of Nesterov has the same buffer.)",
                          lr_inside="minus"),
        _momentum_variant("lr_in_buffer_plus", "the learning rate is folded into the buffer (v = μ·v + lr·g, θ − v)",
                          "torch keeps lr out of the buffer: buf = μ·buf + g, then θ − lr·buf. Your θ is right "
                          "while lr is constant, but your buffer is lr times torch's.", lr_inside="plus"),
        _momentum_variant("nesterov_without_grad", "Nesterov step without the gradient term (θ − lr·μ·buf)",
                          "torch's Nesterov step is θ − lr·(g + μ·buf), with the new buf.",
                          nesterov_form="no_grad"),
        # Stepping along g + μ·buf_old (the old buffer) is exactly heavy ball: one entry covers both.
        _momentum_variant("nesterov_ignored", "nesterov=True is ignored (heavy-ball steps)",
                          "With nesterov=True, first update the buffer, buf = μ·buf + g, then step along "
                          "g + μ·buf with the *new* buf. (Stepping along g + μ·buf_old is heavy ball again.)",
                          ignore_nesterov=True),
        _momentum_variant("no_momentum", "momentum is ignored (plain gradient descent)",
                          "Accumulate the buffer, buf = μ·buf + g (buf = g on the first step), and step along it.",
                          no_momentum=True),
        _momentum_variant("buf_not_updated", "the old buffer is returned",
                          "Return the new buffer μ·buf + g (g on the first step), or the next step starts "
                          "from stale state.", keep_buf=True),
        _momentum_variant("ascent", "plus instead of minus (the step goes uphill)",
                          "Subtract the step: θ − lr·buf.", ascent=True),
        _momentum_variant("unchanged", "theta is returned unchanged", "Subtract the step: θ − lr·buf.",
                          unchanged=True),
    ),
)


# --- adagrad_step / rmsprop_step: a per-coordinate scale from squared gradients ---------


def _adaptive_like(theta, grad, state, *, lr, eps, alpha=None, accumulate=False, one_minus=True,
                   swap=False, eps_inside=False, abs_g=False, no_sqrt=False, old_in_denominator=False,
                   keep_state=False, unchanged=False, ascent=False):
    """AdaGrad (``alpha=None``: a running sum) or RMSProp (a moving average) with any one mistake."""
    sq = np.abs(grad) if abs_g else grad * grad
    if alpha is None or accumulate:
        new = state + sq
    elif swap:
        new = (1 - alpha) * state + alpha * sq
    else:
        new = alpha * state + ((1 - alpha) if one_minus else 1.0) * sq
    s = state if old_in_denominator else new
    with np.errstate(all="ignore"):
        denom = np.sqrt(s + eps) if eps_inside else (s if no_sqrt else np.sqrt(s)) + eps
        step = lr * grad / denom
    new_theta = theta.copy() if unchanged else (theta + step if ascent else theta - step)
    return new_theta, (state.copy() if keep_state else new)


ADAGRAD_DEFAULTS = {"lr": 0.01, "eps": 1e-10}
RMSPROP_DEFAULTS = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}


def _adaptive_mistakes(defaults: Mapping[str, Any], state: str, rule: str, *own: tuple) -> tuple[Mistake, ...]:
    """``own`` mistakes ``(key, title, hint, flags)``, then those AdaGrad and RMSProp share.

    Each mistake carries the contract's defaults: a student's function is called without
    the hyperparameters it defaults, so the variant must default them the same way.
    ``rule`` is the correct update of ``state``, for the hints.
    """
    shared = (
        ("eps_inside_sqrt", "ε inside the square root",
         f"torch adds ε after the root: divide by (√{state} + ε), not √({state} + ε).", {"eps_inside": True}),
        ("abs_instead_of_square", f"{state} built from |g| instead of g²",
         f"Accumulate squared gradients: {rule}.", {"abs_g": True}),
        ("no_sqrt", f"{state} used without its square root",
         f"Divide by √{state} + ε: the step must not depend on the scale of the gradient.", {"no_sqrt": True}),
        ("old_state_in_denominator", f"the step divides by the old {state}",
         f"Update {state} first ({rule}), then divide by √{state} + ε with the new value.",
         {"old_in_denominator": True}),
        ("state_not_updated", f"the old {state} is returned",
         f"Return the updated {state}, or the next step starts from stale state.", {"keep_state": True}),
        ("ascent", "plus instead of minus (the step goes uphill)",
         f"Subtract the step: θ − lr·g/(√{state} + ε).", {"ascent": True}),
        ("unchanged", "theta is returned unchanged", f"Subtract the step: θ − lr·g/(√{state} + ε).",
         {"unchanged": True}),
    )
    return tuple(Mistake(key, title, hint, partial(_adaptive_like, **defaults, **flags))
                 for key, title, hint, flags in (*own, *shared))


ADAGRAD = Contract(
    name="adagrad_step",
    reference=O.adagrad_step,
    state=("sum_sq",),
    init_state=lambda theta: (np.zeros_like(theta),),
    uses_t=False,
    defaults=ADAGRAD_DEFAULTS,
    settings=({"lr": 0.5, "eps": 1e-10}, {"lr": 0.1, "eps": 0.1}, {"lr": 2.0, "eps": 1e-6}),
    torch_name="torch.optim.Adagrad",
    mistakes=_adaptive_mistakes(
        ADAGRAD_DEFAULTS, "sum_sq", "sum_sq = sum_sq + g²",
        ("moving_average", "a moving average instead of a sum (that is RMSProp)",
         "AdaGrad never forgets: sum_sq = sum_sq + g².", {"alpha": 0.99}),
    ),
)

RMSPROP = Contract(
    name="rmsprop_step",
    reference=O.rmsprop_step,
    state=("sq_avg",),
    init_state=ADAGRAD.init_state,
    uses_t=False,
    defaults=RMSPROP_DEFAULTS,
    settings=(
        {"lr": 0.1, "alpha": 0.9, "eps": 1e-8},
        {"lr": 0.01, "alpha": 0.7, "eps": 0.1},
        {"lr": 1.0, "alpha": 0.999, "eps": 1e-3},
    ),
    torch_name="torch.optim.RMSprop",
    mistakes=_adaptive_mistakes(
        RMSPROP_DEFAULTS, "sq_avg", "sq_avg = α·sq_avg + (1 − α)·g²",
        ("sum_instead_of_average", "a running sum instead of a moving average (that is AdaGrad)",
         "RMSProp forgets old gradients: sq_avg = α·sq_avg + (1 − α)·g².", {"accumulate": True}),
        ("missing_one_minus_alpha", "(1 − α) factor missing",
         "Weight the new term by (1 − α): sq_avg = α·sq_avg + (1 − α)·g².", {"one_minus": False}),
        ("swapped_alpha", "α and 1 − α swapped",
         "α (0.99) keeps the old average, 1 − α weights the new g²: sq_avg = α·sq_avg + (1 − α)·g².",
         {"swap": True}),
    ),
)

STEP_CONTRACTS: tuple[Contract, ...] = (GD, MOMENTUM, ADAGRAD, RMSPROP)


# --- torch.optim references ---------------------------------------------------------------


def _torch_sgd(params, hp):
    import torch
    return torch.optim.SGD(params, lr=hp["lr"])


def _torch_momentum(params, hp):
    import torch
    return torch.optim.SGD(params, lr=hp["lr"], momentum=hp["momentum"], nesterov=hp["nesterov"], dampening=0)


def _torch_adagrad(params, hp):
    import torch
    return torch.optim.Adagrad(params, lr=hp["lr"], eps=hp["eps"])


def _torch_rmsprop(params, hp):
    import torch
    return torch.optim.RMSprop(params, lr=hp["lr"], alpha=hp["alpha"], eps=hp["eps"])


register("gd_step", _torch_sgd, ())
register("momentum_step", _torch_momentum, ("momentum_buffer",))
register("adagrad_step", _torch_adagrad, ("sum",))
register("rmsprop_step", _torch_rmsprop, ("square_avg",))
