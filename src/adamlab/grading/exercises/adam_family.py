"""Adam's step spec and mistake catalogue, shared by ex05 (``adam_step``), ex06 (``adamw_step`` is Adam
with decoupled decay) and ex07 (a class's path is diagnosed with Adam's catalogue).

Every mistake is the correct rule with one thing changed, written as a flag of
:func:`adam_like`, so the catalogue reads as a list of differences from Adam.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from adamlab import optim as O

from ..engine.messages import Mistake
from ..engine.steps import StepSpec, output_swaps

ADAM_DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def torch_adam(params, hp, **extra):
    """``torch.optim.Adam`` with the exercise's hyperparameter names (``extra``: ``amsgrad=True``)."""
    import torch

    return torch.optim.Adam(params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"], **extra)


ADAM_SETTINGS = (
    {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-8},
    {"lr": 1.0, "beta1": 0.0, "beta2": 0.99, "eps": 1e-3},
    {"lr": 0.01, "beta1": 0.95, "beta2": 0.9999, "eps": 0.1},
    {"lr": 3.0, "beta1": 0.8, "beta2": 0.5, "eps": 1e-6},
)


def adam_like(
    theta,
    grad,
    m,
    v,
    t,
    *,
    lr=1e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=0.0,
    correct_m=True,
    correct_v=True,
    eps_inside=False,
    t_shift=0,
    one_minus_m=True,
    one_minus_v=True,
    abs_g=False,
    lr_twice=False,
    no_sqrt=False,
    swap_betas=False,
    keep_state=False,
    sign_only=False,
    unchanged=False,
    t_fixed=False,
    decay="none",
    eps_hat=False,
    t_shift_v=0,
    v_beta=None,
    m_beta=None,
    eps_outside=False,
    g_not_squared=False,
    no_first_moment=False,
):
    """Adam (and AdamW with ``decay="decoupled"``) with any one mistake switched on by a flag."""
    # v_beta, m_beta: the β a correction uses by mistake ("beta1" in v's correction, ...)
    v_beta, m_beta = ({"beta1": beta1, "beta2": beta2}.get(b) for b in (v_beta, m_beta))
    if swap_betas:
        beta1, beta2 = beta2, beta1
    g = grad + weight_decay * theta if decay in ("l2", "both") else grad
    new_m = beta1 * m + ((1 - beta1) if one_minus_m else 1.0) * g
    sq = np.abs(g) if abs_g else g if g_not_squared else g * g
    new_v = beta2 * v + ((1 - beta2) if one_minus_v else 1.0) * sq
    tt = 1 if t_fixed else t + t_shift
    with np.errstate(all="ignore"):
        m_hat = new_m / (1 - (beta1 if m_beta is None else m_beta) ** tt) if correct_m else new_m
        v_hat = new_v / (1 - (beta2 if v_beta is None else v_beta) ** (tt + t_shift_v)) if correct_v else new_v
        if no_first_moment:
            m_hat = g
        if eps_inside:
            root = np.sqrt(v_hat + eps)
        else:
            root = (v_hat if no_sqrt else np.sqrt(v_hat)) + eps
        update = (lr * lr if lr_twice else lr) * m_hat / root
        if eps_outside:
            update = lr * (m_hat / np.sqrt(v_hat) + eps)
        if eps_hat:  # Kingma & Ba's efficient form: α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), ε on the raw √v
            update = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t) * new_m / (np.sqrt(new_v) + eps)
    if sign_only:
        update = lr * np.sign(grad)
    base = theta
    if decay in ("decoupled", "both"):
        base = theta * (1 - lr * weight_decay)
    elif decay == "no_lr":
        base = theta * (1 - weight_decay)
    new_theta = theta.copy() if unchanged else base - update
    if decay == "after":
        new_theta = (theta - update) * (1 - lr * weight_decay)
    if keep_state or unchanged:
        return new_theta, m.copy(), v.copy()
    return new_theta, new_m, new_v


def adam_mistakes(**fixed) -> tuple[Mistake, ...]:
    """The mistakes that every member of the Adam family can make."""

    def variant(key, title, hint, **flags):
        return Mistake(key, title, hint, partial(adam_like, **fixed, **flags))

    return (
        variant(
            "no_bias_correction",
            "no bias correction",
            "Divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ) before the update: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).",
            correct_m=False,
            correct_v=False,
        ),
        variant(
            "only_m_corrected",
            "bias correction of m only",
            "v needs its own correction, v̂ = v/(1 − β₂ᵗ), with β₂ (not β₁).",
            correct_v=False,
        ),
        variant(
            "only_v_corrected",
            "bias correction of v only",
            "m needs its own correction, m̂ = m/(1 − β₁ᵗ).",
            correct_m=False,
        ),
        variant(
            "eps_inside_sqrt",
            "ε inside the square root",
            "torch.optim.Adam adds ε after the root: divide by (√v̂ + ε), not √(v̂ + ε).",
            eps_inside=True,
        ),
        variant(
            "t_plus_one",
            "t off by one (t + 1 used)",
            "t is already the 1-based number of this step: use β₁ᵗ and β₂ᵗ with t as given.",
            t_shift=1,
        ),
        variant(
            "t_minus_one",
            "t off by one (t − 1 used)",
            "t is already the 1-based number of this step (t = 1 on the first call): use it as given.",
            t_shift=-1,
        ),
        variant(
            "t_fixed_at_one",
            "bias correction always uses t = 1, which is right only on the first step",
            "Correct with the current step number: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).",
            t_fixed=True,
        ),
        variant(
            "missing_one_minus_beta",
            "(1 − β) factors missing",
            "Moving averages weight the new term by (1 − β): m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g².",
            one_minus_m=False,
            one_minus_v=False,
        ),
        variant("missing_one_minus_beta1", "(1 − β₁) factor missing in m", "m = β₁·m + (1 − β₁)·g.", one_minus_m=False),
        variant(
            "missing_one_minus_beta2", "(1 − β₂) factor missing in v", "v = β₂·v + (1 − β₂)·g².", one_minus_v=False
        ),
        variant(
            "abs_instead_of_square",
            "v built from |g| instead of g²",
            "The second moment averages squared gradients: v = β₂v + (1 − β₂)·g**2.",
            abs_g=True,
        ),
        variant(
            "no_sqrt",
            "v̂ used without its square root",
            "Divide by √v̂ + ε: the step must not depend on the scale of the gradient.",
            no_sqrt=True,
        ),
        variant(
            "lr_twice",
            "learning rate applied twice",
            "lr multiplies the update once: θ − lr·m̂/(√v̂ + ε).",
            lr_twice=True,
        ),
        variant(
            "swapped_betas",
            "β₁ and β₂ swapped",
            "β₁ (0.9) goes with m, the gradient average; β₂ (0.999) with v, the squared-gradient average.",
            swap_betas=True,
        ),
        variant(
            "state_not_updated",
            "the old m and v are returned",
            "Return the updated moments (the new m and v), or the next step starts from stale state.",
            keep_state=True,
        ),
        variant(
            "sign_update",
            "the update is lr·sign(g), which is right only on the first step",
            "Adam's first step is ≈ lr·sign(g) because m̂₁ = g₁ and v̂₁ = g₁²; later steps must use "
            "the moving averages m̂/(√v̂ + ε).",
            sign_only=True,
        ),
        variant(
            "eps_hat",
            "the paper's efficient form, with ε̂ (Kingma & Ba, Algorithm 1's last lines; Keras's Adam)",
            "Your Adam is right, in the paper's form: α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) and θ − α_t·m/(√v + ε). "
            "It adds ε to √v before the correction, so its ε is ε·√(1 − β₂ᵗ) in torch's terms; torch.optim.Adam "
            "adds ε after correcting: θ − lr·m̂/(√v̂ + ε). The two differ only where √v̂ is as small as ε.",
            eps_hat=True,
        ),
        variant(
            "t_minus_one_v",
            "t − 1 in v's bias correction (v̂ = v/(1 − β₂ᵗ⁻¹) divides by zero on the first step)",
            "Both corrections use t as given: v̂ = v/(1 − β₂ᵗ). With t − 1 the first step divides by "
            "1 − β₂⁰ = 0, v̂ is inf and θ does not move.",
            t_shift_v=-1,
        ),
        variant(
            "v_corrected_with_beta1",
            "v bias-corrected with β₁ (v̂ = v/(1 − β₁ᵗ))",
            "Each moment is corrected with its own β: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).",
            v_beta="beta1",
        ),
        variant(
            "corrections_swapped",
            "the bias corrections are swapped (m̂ = m/(1 − β₂ᵗ), v̂ = v/(1 − β₁ᵗ))",
            "Each moment is corrected with its own β: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).",
            v_beta="beta1",
            m_beta="beta2",
        ),
        variant(
            "eps_outside_division",
            "ε added to the ratio, lr·(m̂/√v̂ + ε), not to its denominator",
            "Brackets: divide by (√v̂ + ε), as in lr * m_hat / (np.sqrt(v_hat) + eps).",
            eps_outside=True,
        ),
        variant(
            "g_not_squared",
            "v built from g instead of g²",
            "The second moment averages squared gradients: v = β₂v + (1 − β₂)·g**2 (with g it goes "
            "negative, and its square root is NaN).",
            g_not_squared=True,
        ),
        variant(
            "no_first_moment",
            "the step uses g instead of m̂ (no momentum)",
            "Adam steps along the bias-corrected average m̂ = m/(1 − β₁ᵗ), not the raw gradient.",
            no_first_moment=True,
        ),
        variant(
            "unchanged",
            "theta (and the state) returned unchanged",
            "Subtract the update: θ − lr·m̂/(√v̂ + ε).",
            unchanged=True,
        ),
    )


ADAM = StepSpec(
    name="adam_step",
    reference=O.adam_step,
    state=("m", "v"),
    init_state=lambda theta: (np.zeros_like(theta), np.zeros_like(theta)),
    uses_t=True,
    defaults=ADAM_DEFAULTS,
    settings=ADAM_SETTINGS,
    torch_name="torch.optim.Adam",
    torch_optimizer=torch_adam,
    torch_state=("exp_avg", "exp_avg_sq"),
    mistakes=(*adam_mistakes(), *output_swaps(("theta", "m", "v"), O.adam_step)),
)
