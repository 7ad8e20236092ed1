"""Exercise 8: ``lion_step``, Lion (Chen et al., 2023, Algorithm 2): the sign of an interpolation, a slower memory.

torch has no Lion, so the paper's rule is the reference on both sides: :func:`lion_reference` in NumPy (what
the student's kernel compares with) and :func:`torch_lion`, the same lines in torch (what the grader confirms
with). Every catalogued mistake is the correct rule with one thing changed, a flag of :func:`lion_like`.

.. math::
    u_t = \\operatorname{sign}\\big(\\beta_1 m_{t-1} + (1-\\beta_1) g_t\\big), \\qquad
    \\theta_t = \\theta_{t-1} - \\alpha\\,(u_t + \\lambda\\theta_{t-1}), \\qquad
    m_t = \\beta_2 m_{t-1} + (1-\\beta_2) g_t

Reference: https://arxiv.org/abs/2302.06675
"""

from __future__ import annotations

from functools import cache, partial

import numpy as np

from ..engine.messages import Mistake
from ..engine.probes import Exercise
from ..engine.steps import StepSpec, output_swaps, step_probes

LION_DEFAULTS = {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0}
# The hidden settings. The first one's values are also the visible trajectory's other hyperparameters
# (engine.steps.varied_hp): weight decay on, and a memory short enough that "m updated before the sign" flips
# a sign within the six visible steps. β₁ > β₂ in the last one; β₁ = 0 in the third makes the update sign(g).
LION_SETTINGS = (
    {"lr": 0.01, "beta1": 0.5, "beta2": 0.8, "weight_decay": 0.1},
    {"lr": 3e-4, "beta1": 0.95, "beta2": 0.98, "weight_decay": 1.0},
    {"lr": 0.1, "beta1": 0.0, "beta2": 0.999, "weight_decay": 0.01},
    {"lr": 1e-3, "beta1": 0.99, "beta2": 0.6, "weight_decay": 0.3},
)


def lion_reference(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
    """Lion's step as Chen et al. (2023) write it in Algorithm 2 (float64; ``np.sign(0) = 0``)."""
    update = np.sign(beta1 * m + (1 - beta1) * grad)  # interpolate with β₁, keep only the sign
    theta = theta - lr * (update + weight_decay * theta)  # decoupled decay, scaled by lr as the update
    m = beta2 * m + (1 - beta2) * grad  # then the memory, with β₂
    return theta, m


@cache
def _torch_lion_class():
    import torch

    class Lion(torch.optim.Optimizer):
        """Algorithm 2 of Chen et al. (2023) in torch, line by line (torch.optim has no Lion)."""

        def __init__(self, params, lr, betas, weight_decay):
            super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    state = self.state[p]
                    if not state:
                        state["exp_avg"] = torch.zeros_like(p)
                    exp_avg = state["exp_avg"]
                    update = torch.sign(beta1 * exp_avg + (1 - beta1) * p.grad)
                    p.sub_(group["lr"] * (update + group["weight_decay"] * p))
                    exp_avg.mul_(beta2).add_((1 - beta2) * p.grad)

    return Lion


def torch_lion(params, hp):
    """Lion in torch, with the exercise's hyperparameter names (the grader's confirmation)."""
    return _torch_lion_class()(params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), weight_decay=hp["weight_decay"])


def lion_like(
    theta,
    grad,
    m,
    *,
    lr=1e-4,
    beta1=0.9,
    beta2=0.99,
    weight_decay=0.0,
    swap_betas=False,
    one_beta=False,
    m_first=False,
    m_from_interpolation=False,
    one_minus_1=True,
    one_minus_2=True,
    no_sign=False,
    sign_of_grad=False,
    decay="decoupled",
    ascent=False,
    keep_state=False,
    unchanged=False,
):
    """Lion with any one mistake switched on by a flag (no flag: :func:`lion_reference`)."""
    if swap_betas:
        beta1, beta2 = beta2, beta1
    if one_beta:  # Signum: one average, with β₁, is both the direction and the memory
        beta2 = beta1
    g = grad + weight_decay * theta if decay == "l2" else grad
    new_m = beta2 * m + ((1 - beta2) if one_minus_2 else 1.0) * g
    c = beta1 * (new_m if m_first else m) + ((1 - beta1) if one_minus_1 else 1.0) * g
    update = c if no_sign else np.sign(g) if sign_of_grad else np.sign(c)
    if m_from_interpolation:  # m = β₁m + (1 − β₁)g overwritten, then m = β₂m + (1 − β₂)g on top
        new_m = beta2 * c + (1 - beta2) * g
    if decay == "decoupled":
        step = lr * (update + weight_decay * theta)
    elif decay == "no_lr":
        step = lr * update + weight_decay * theta
    else:  # "none", "l2", "after"
        step = lr * update
    new_theta = theta.copy() if unchanged else theta + step if ascent else theta - step
    if decay == "after":
        new_theta = new_theta - lr * weight_decay * new_theta
    if keep_state or unchanged:
        return new_theta, m.copy()
    return new_theta, new_m


def _variant(key, title, hint, **flags) -> Mistake:
    return Mistake(key, title, hint, partial(lion_like, **flags))


RULE = "u = sign(β₁·m + (1 − β₁)·g); θ ← θ − lr·(u + λθ); m ← β₂·m + (1 − β₂)·g"
LION_MISTAKES = (
    _variant(
        "swapped_betas",
        "β₁ and β₂ swapped",
        "β₁ (0.9) interpolates the direction, u = sign(β₁·m + (1 − β₁)·g); β₂ (0.99) is the memory, "
        "m ← β₂·m + (1 − β₂)·g.",
        swap_betas=True,
    ),
    _variant(
        "m_updated_before_sign",
        "m updated before the sign (the update uses the new m)",
        "Take the sign with the old m, u = sign(β₁·m + (1 − β₁)·g), and only then update m ← β₂·m + (1 − β₂)·g: "
        "the current gradient must not enter the direction twice.",
        m_first=True,
    ),
    _variant(
        "m_from_interpolation",
        "m updated from the interpolation (β₁·m + (1 − β₁)·g), not from the old m",
        "The interpolation β₁·m + (1 − β₁)·g is only for the sign: keep it in a variable of its own and update "
        "the old m, m ← β₂·m + (1 − β₂)·g.",
        m_from_interpolation=True,
    ),
    _variant(
        "signum",
        "one moving average for both the direction and the memory (Signum: β₂ unused)",
        f"Lion keeps two: the direction interpolates with β₁, the memory m averages with β₂. {RULE}.",
        one_beta=True,
    ),
    _variant(
        "decay_without_lr",
        "weight decay not scaled by the learning rate",
        "The decay is part of the step: θ ← θ − lr·(u + λθ), so θ shrinks by lr·λ·θ, not by λ·θ.",
        decay="no_lr",
    ),
    _variant(
        "decay_after_step",
        "weight decay applied after the update, to the new θ",
        "Decay the current θ, in the same step: θ ← θ − lr·(u + λθ) with the θ you were given.",
        decay="after",
    ),
    _variant(
        "l2_in_gradient",
        "λθ added to the gradient (L2) instead of decoupled weight decay",
        "Lion's decay is decoupled, as AdamW's: it stays out of the sign and out of m. θ ← θ − lr·(u + λθ) "
        "with u and m from the plain gradient.",
        decay="l2",
    ),
    _variant(
        "no_decay",
        "no weight decay at all",
        "θ ← θ − lr·(u + λθ): weight_decay is λ.",
        decay="none",
    ),
    _variant(
        "missing_one_minus_beta1",
        "(1 − β₁) factor missing in the interpolation",
        "u = sign(β₁·m + (1 − β₁)·g).",
        one_minus_1=False,
    ),
    _variant(
        "missing_one_minus_beta2",
        "(1 − β₂) factor missing in m",
        "m ← β₂·m + (1 − β₂)·g.",
        one_minus_2=False,
    ),
    _variant(
        "no_sign",
        "the sign is missing (θ moves by lr times the interpolation itself)",
        "Lion keeps only the sign: u = np.sign(β₁·m + (1 − β₁)·g), so every coordinate moves by exactly lr.",
        no_sign=True,
    ),
    _variant(
        "sign_of_gradient",
        "the update is sign(g) (signSGD), which is right only on the first step",
        "The sign is taken of the interpolation β₁·m + (1 − β₁)·g with the old m, not of g alone.",
        sign_of_grad=True,
    ),
    _variant(
        "ascent", "plus instead of minus (the step goes uphill)", "Subtract the step: θ − lr·(u + λθ).", ascent=True
    ),
    _variant(
        "state_not_updated",
        "the old m is returned",
        "Return the updated memory m ← β₂·m + (1 − β₂)·g, or the next step starts from stale state.",
        keep_state=True,
    ),
    _variant(
        "unchanged",
        "theta (and m) returned unchanged",
        f"Subtract the step and return the new state: {RULE}.",
        unchanged=True,
    ),
)

LION = StepSpec(
    name="lion_step",
    reference=lion_reference,
    state=("m",),
    init_state=lambda theta: (np.zeros_like(theta),),
    uses_t=False,
    defaults=LION_DEFAULTS,
    settings=LION_SETTINGS,
    torch_name="the paper's Lion",
    torch_optimizer=torch_lion,
    torch_state=("exp_avg",),
    mistakes=(*LION_MISTAKES, *output_swaps(("theta", "m"), lion_reference)),
)

EXERCISE = Exercise(
    name="ex08_beyond",
    tests={
        "test_lion_first_step": "lion_step:first_step",
        "test_lion_trajectory": "lion_step:trajectory",
        "test_lion_pure": "lion_step:pure",
        "test_lion_defaults_hidden": "lion_step:default",
        "test_lion_settings_hidden": "lion_step:settings",
    },
    probes=step_probes(LION),
    step_specs=(LION,),
)
