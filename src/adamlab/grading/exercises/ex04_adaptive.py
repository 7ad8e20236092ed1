"""Exercise 4: ``adagrad_step`` and ``rmsprop_step``: a per-coordinate scale from squared gradients."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from adamlab import optim as O

from ..engine.messages import Mistake
from ..engine.probes import Exercise
from ..engine.steps import StepSpec, output_swaps, step_probes


def _torch_adagrad(params, hp):
    import torch

    return torch.optim.Adagrad(params, lr=hp["lr"], eps=hp["eps"])


def _torch_rmsprop(params, hp):
    import torch

    return torch.optim.RMSprop(params, lr=hp["lr"], alpha=hp["alpha"], eps=hp["eps"])


def _adaptive_like(
    theta,
    grad,
    state,
    *,
    lr,
    eps,
    alpha=None,
    accumulate=False,
    one_minus=True,
    swap=False,
    eps_inside=False,
    abs_g=False,
    no_sqrt=False,
    old_in_denominator=False,
    keep_state=False,
    unchanged=False,
    ascent=False,
    as_root=False,
    g_not_squared=False,
    eps_outside=False,
    alpha_as_lr=False,
):
    """AdaGrad (``alpha=None``: a running sum) or RMSProp (a moving average) with any one mistake."""
    if alpha_as_lr:
        lr = alpha
    sq = np.abs(grad) if abs_g else grad if g_not_squared else grad * grad
    if as_root:  # the state holds the root: square it back, accumulate, store the root again
        state = state * state
    if alpha is None or accumulate:
        new = state + sq
    elif swap:
        new = (1 - alpha) * state + alpha * sq
    else:
        new = alpha * state + ((1 - alpha) if one_minus else 1.0) * sq
    s = state if old_in_denominator else new
    with np.errstate(all="ignore"):
        denom = np.sqrt(s + eps) if eps_inside else (s if no_sqrt else np.sqrt(s)) + eps
        step = lr * (grad / np.sqrt(s) + eps) if eps_outside else lr * grad / denom
        if as_root:
            new = np.sqrt(new)
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
        (
            "eps_inside_sqrt",
            "ε inside the square root",
            f"torch adds ε after the root: divide by (√{state} + ε), not √({state} + ε).",
            {"eps_inside": True},
        ),
        (
            "abs_instead_of_square",
            f"{state} built from |g| instead of g²",
            f"Accumulate squared gradients: {rule}.",
            {"abs_g": True},
        ),
        (
            "no_sqrt",
            f"{state} used without its square root",
            f"Divide by √{state} + ε: the step must not depend on the scale of the gradient.",
            {"no_sqrt": True},
        ),
        (
            "old_state_in_denominator",
            f"the step divides by the old {state}",
            f"Update {state} first ({rule}), then divide by √{state} + ε with the new value.",
            {"old_in_denominator": True},
        ),
        (
            "state_as_root",
            f"{state} is stored as its square root",
            f"θ is right, but the returned {state} is √({rule.split(' = ')[1]}): return the sum itself, "
            f"{rule}, and take the root only when dividing.",
            {"as_root": True},
        ),
        (
            "g_not_squared",
            f"{state} built from g instead of g²",
            f"Accumulate squared gradients: {rule}. With g the {state} goes negative and its root is NaN.",
            {"g_not_squared": True},
        ),
        (
            "eps_outside_division",
            "ε added to the ratio, lr·(g/√s + ε), not to its denominator",
            f"Brackets: divide by (√{state} + ε), as in lr * grad / (np.sqrt({state}) + eps).",
            {"eps_outside": True},
        ),
        (
            "state_not_updated",
            f"the old {state} is returned",
            f"Return the updated {state}, or the next step starts from stale state.",
            {"keep_state": True},
        ),
        (
            "ascent",
            "plus instead of minus (the step goes uphill)",
            f"Subtract the step: θ − lr·g/(√{state} + ε).",
            {"ascent": True},
        ),
        (
            "unchanged",
            "theta is returned unchanged",
            f"Subtract the step: θ − lr·g/(√{state} + ε).",
            {"unchanged": True},
        ),
    )
    return tuple(
        Mistake(key, title, hint, partial(_adaptive_like, **defaults, **flags))
        for key, title, hint, flags in (*own, *shared)
    )


ADAGRAD = StepSpec(
    name="adagrad_step",
    reference=O.adagrad_step,
    state=("sum_sq",),
    init_state=lambda theta: (np.zeros_like(theta),),
    uses_t=False,
    defaults=ADAGRAD_DEFAULTS,
    settings=({"lr": 0.5, "eps": 1e-10}, {"lr": 0.1, "eps": 0.1}, {"lr": 2.0, "eps": 1e-6}),
    torch_name="torch.optim.Adagrad",
    torch_optimizer=_torch_adagrad,
    torch_state=("sum",),
    mistakes=(
        *_adaptive_mistakes(
            ADAGRAD_DEFAULTS,
            "sum_sq",
            "sum_sq = sum_sq + g²",
            (
                "moving_average",
                "a moving average instead of a sum (that is RMSProp)",
                "AdaGrad never forgets: sum_sq = sum_sq + g².",
                {"alpha": 0.99},
            ),
        ),
        *output_swaps(("theta", "sum_sq"), O.adagrad_step),
    ),
)

RMSPROP = StepSpec(
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
    torch_optimizer=_torch_rmsprop,
    torch_state=("square_avg",),
    mistakes=_adaptive_mistakes(
        RMSPROP_DEFAULTS,
        "sq_avg",
        "sq_avg = α·sq_avg + (1 − α)·g²",
        (
            "sum_instead_of_average",
            "a running sum instead of a moving average (that is AdaGrad)",
            "RMSProp forgets old gradients: sq_avg = α·sq_avg + (1 − α)·g².",
            {"accumulate": True},
        ),
        (
            "missing_one_minus_alpha",
            "(1 − α) factor missing",
            "Weight the new term by (1 − α): sq_avg = α·sq_avg + (1 − α)·g².",
            {"one_minus": False},
        ),
        (
            "alpha_as_lr",
            "alpha used as the learning rate",
            "torch's alpha is the smoothing constant of the average (0.99), not a step size: the step is "
            "θ − lr·g/(√sq_avg + ε), with lr.",
            {"alpha_as_lr": True},
        ),
        (
            "swapped_alpha",
            "α and 1 − α swapped",
            "α (0.99) keeps the old average, 1 − α weights the new g²: sq_avg = α·sq_avg + (1 − α)·g².",
            {"swap": True},
        ),
    )
    + output_swaps(("theta", "sq_avg"), O.rmsprop_step),
)


EXERCISE = Exercise(
    name="ex04_adaptive",
    tests={
        "test_adagrad_first_step": "adagrad_step:first_step",
        "test_adagrad_trajectory": "adagrad_step:trajectory",
        "test_adagrad_pure": "adagrad_step:pure",
        "test_adagrad_defaults_hidden": "adagrad_step:default",
        "test_adagrad_settings_hidden": "adagrad_step:settings",
        "test_rmsprop_first_step": "rmsprop_step:first_step",
        "test_rmsprop_trajectory": "rmsprop_step:trajectory",
        "test_rmsprop_pure": "rmsprop_step:pure",
        "test_rmsprop_defaults_hidden": "rmsprop_step:default",
        "test_rmsprop_settings_hidden": "rmsprop_step:settings",
    },
    probes=(*step_probes(ADAGRAD), *step_probes(RMSPROP)),
    step_specs=(ADAGRAD, RMSPROP),
)
