"""Exercise 6: ``adamw_step`` and ``amsgrad_step`` (one line each on Adam), and Reddi et al.'s counterexample.

The two step functions are :class:`~..engine.steps.StepSpec` s whose catalogues extend Adam's
(:mod:`.adam_family`); the student's ``reddi_path`` is checked by two probes, ``reddi_path:counterexample``
(C = 3, lr = 0.01, 3000 steps) and ``reddi_path:counterexample_random``, against
:func:`adamlab.problems.counterexample.reddi_path` and a catalogue of slips of its own.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from adamlab import optim as O
from adamlab.problems import counterexample as ce

from ..engine.messages import Mistake, with_diagnosis
from ..engine.probes import Exercise, NotebookSetup, Probe
from ..engine.steps import StepSpec, output_swaps, step_probes
from .adam_family import ADAM, ADAM_DEFAULTS, ADAM_SETTINGS, adam_like, adam_mistakes, torch_adam


def _torch_adamw(params, hp):
    import torch

    return torch.optim.AdamW(
        params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"], weight_decay=hp["weight_decay"]
    )


ADAMW_DEFAULTS = {**ADAM_DEFAULTS, "weight_decay": 1e-2}
ADAMW = StepSpec(
    name="adamw_step",
    reference=O.adamw_step,
    state=("m", "v"),
    init_state=ADAM.init_state,
    uses_t=True,
    defaults=ADAMW_DEFAULTS,
    settings=tuple({**s, "weight_decay": wd} for s, wd in zip(ADAM_SETTINGS, (0.1, 0.5, 1e-2, 0.05), strict=True)),
    torch_name="torch.optim.AdamW",
    torch_optimizer=_torch_adamw,
    torch_state=("exp_avg", "exp_avg_sq"),
    mistakes=(
        Mistake(
            "l2_and_decoupled",
            "both L2 (λθ added to the gradient) and decoupled weight decay",
            "AdamW decays the weights once, outside the moments: θ ← θ(1 − lr·λ), then the Adam step with "
            "the plain gradient. Do not also add λθ to g (that is Adam + L2, on top).",
            partial(adam_like, decay="both", weight_decay=1e-2),
        ),
        Mistake(
            "l2_instead_of_decoupled",
            "L2 added to the gradient instead of decoupled weight decay",
            "AdamW shrinks the weights outside the moments: θ ← θ(1 − lr·λ), then the Adam step with "
            "the plain gradient. Adding λθ to g is Adam + L2.",
            partial(adam_like, decay="l2", weight_decay=1e-2),
        ),
        Mistake(
            "decay_without_lr",
            "weight decay not scaled by the learning rate",
            "torch.optim.AdamW multiplies θ by (1 − lr·λ), not (1 − λ).",
            partial(adam_like, decay="no_lr", weight_decay=1e-2),
        ),
        Mistake(
            "decay_after_step",
            "weight decay applied after the Adam step",
            "Decay the current θ first, θ(1 − lr·λ), then subtract the Adam update.",
            partial(adam_like, decay="after", weight_decay=1e-2),
        ),
        Mistake(
            "no_decay",
            "no weight decay at all",
            "Multiply θ by (1 − lr·λ) before the Adam update.",
            partial(adam_like, weight_decay=1e-2),
        ),  # decay="none" ignores it
        *adam_mistakes(decay="decoupled", weight_decay=1e-2),
        *output_swaps(("theta", "m", "v"), O.adamw_step),
    ),
)


def _amsgrad_like(
    theta,
    grad,
    m,
    v,
    v_max,
    t,
    *,
    lr=1e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    max_of="raw",
    correct_v=True,
    keep_vmax=False,
    no_bias_correction=False,
    eps_inside=False,
):
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad * grad
    c1, c2 = (1.0, 1.0) if no_bias_correction else (1 - beta1**t, 1 - beta2**t)
    if eps_inside:
        new_v_max = np.maximum(v_max, new_v)
        return theta - lr * (new_m / c1) / np.sqrt(new_v_max / c2 + eps), new_m, new_v, new_v_max
    if max_of == "corrected":  # max taken over v̂, then no further correction
        new_v_max = np.maximum(v_max, new_v / c2)
        denom = np.sqrt(new_v_max) + eps
    elif max_of == "none":  # plain Adam, v_max only tracked
        new_v_max = np.maximum(v_max, new_v)
        denom = np.sqrt(new_v / c2) + eps
    else:
        new_v_max = np.maximum(v_max, new_v)
        denom = np.sqrt(new_v_max / c2 if correct_v else new_v_max) + eps
    if keep_vmax:
        new_v_max = v_max.copy()
    return theta - lr * (new_m / c1) / denom, new_m, new_v, new_v_max


AMSGRAD = StepSpec(
    name="amsgrad_step",
    reference=O.amsgrad_step,
    state=("m", "v", "v_max"),
    init_state=lambda theta: (np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)),
    uses_t=True,
    defaults=ADAM_DEFAULTS,
    settings=ADAM_SETTINGS,
    torch_name="torch.optim.Adam(amsgrad=True)",
    torch_optimizer=partial(torch_adam, amsgrad=True),
    torch_state=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    mistakes=(
        Mistake(
            "max_after_bias_correction",
            "AMSGrad's maximum taken after bias correction",
            "torch keeps v_max = max(v_max, v) over the raw v, and bias-corrects v_max when dividing.",
            partial(_amsgrad_like, max_of="corrected"),
        ),
        Mistake(
            "max_not_used",
            "v_max is tracked but the update still divides by √v̂",
            "Divide by √(v_max/(1 − β₂ᵗ)) + ε.",
            partial(_amsgrad_like, max_of="none"),
        ),
        Mistake(
            "v_max_not_corrected",
            "v_max used without bias correction",
            "torch divides by √(v_max/(1 − β₂ᵗ)) + ε.",
            partial(_amsgrad_like, correct_v=False),
        ),
        Mistake(
            "v_max_not_updated",
            "the old v_max is returned",
            "Return the new running maximum.",
            partial(_amsgrad_like, keep_vmax=True),
        ),
        Mistake(
            "no_bias_correction",
            "no bias correction (the paper's AMSGrad)",
            "torch.optim.Adam(amsgrad=True) bias-corrects: m/(1 − β₁ᵗ) and v_max/(1 − β₂ᵗ); Reddi et al.'s "
            "Algorithm 2 does not.",
            partial(_amsgrad_like, no_bias_correction=True),
        ),
        Mistake(
            "eps_inside_sqrt",
            "ε inside the square root",
            "Divide by (√(v_max/(1 − β₂ᵗ)) + ε), with ε outside the root.",
            partial(_amsgrad_like, eps_inside=True),
        ),
        *output_swaps(("theta", "m", "v", "v_max"), O.amsgrad_step),
    ),
)


# --- reddi_path(amsgrad, *, steps, C, lr): the counterexample ----------------------------------------------


def reddi_like(
    amsgrad,
    *,
    steps,
    C,
    lr,
    beta1=0.0,
    beta2=None,
    eps=1e-8,
    x0=0.0,
    project=True,
    t_shift=0,
    weight_decay=0.0,
    swap=False,
):
    """:func:`adamlab.problems.counterexample.reddi_path` with the slips of the catalogue below switched on by flags."""
    beta2 = ce.reddi_beta2(C) if beta2 is None else beta2
    if swap:
        amsgrad = not amsgrad
    x, m, v, v_max = np.array([x0]), np.zeros(1), np.zeros(1), np.zeros(1)
    path = [x0]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            g = np.array([ce.reddi_gradient(t + t_shift, C)])
            if amsgrad:
                x, m, v, v_max = O.amsgrad_step(x, g, m, v, v_max, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            else:
                x, m, v = O.adamw_step(
                    x, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay
                )
            if project:
                x = np.clip(x, -1.0, 1.0)
            path.append(float(x[0]))
    return np.array(path)


_SLIPS = (  # (flags of reddi_like, what the student most likely did, how to fix it)
    (
        dict(weight_decay=1e-2),
        "adamw_step's default weight_decay=0.01 was left on for the Adam run",
        "Plain Adam is adamw_step with weight_decay=0.0: pass it explicitly.",
    ),
    (
        dict(project=False),
        "x is not projected onto [-1, 1]",
        "After every step clip x back into the interval: x = np.clip(x, -1.0, 1.0).",
    ),
    (
        dict(t_shift=-1),
        "the gradient C comes one step late (C when t % 3 == 2, or t counted from 0)",
        "With t = 1, 2, 3, ... the gradient is C when t % 3 == 1, else -1; the first gradient is C.",
    ),
    (
        dict(t_shift=1),
        "the gradient C comes one step early (C when t % 3 == 0)",
        "With t = 1, 2, 3, ... the gradient is C when t % 3 == 1, else -1; the first gradient is C.",
    ),
    (
        dict(beta1=0.9, beta2=0.999),
        "the default betas (0.9, 0.999) were used",
        "The counterexample needs beta1 = 0 and beta2 = 1/(1 + C**2).",
    ),
    (dict(beta2=0.999), "beta2 was left at its default 0.999", "Use beta2 = 1/(1 + C**2) (and beta1 = 0)."),
    (dict(beta1=0.9), "beta1 was left at its default 0.9", "Use beta1 = 0 (and beta2 = 1/(1 + C**2))."),
    (
        dict(swap=True),
        "the Adam and AMSGrad runs are swapped",
        "amsgrad=True must use your amsgrad_step, amsgrad=False your adamw_step with weight_decay=0.",
    ),
)


def _probe_run(fn, inputs):
    kw = dict(steps=int(inputs["steps"]), C=float(inputs["C"]), lr=float(inputs["lr"]))
    return {
        "adam": np.asarray(fn(False, **kw), dtype=np.float64),
        "amsgrad": np.asarray(fn(True, **kw), dtype=np.float64),
    }


REDDI_MISTAKES = tuple(
    Mistake(",".join(f"{k}={v}" for k, v in flags.items()), title, hint, partial(reddi_like, **flags))
    for flags, title, hint in _SLIPS
)


def _probe_judge(inputs, outputs) -> str | None:
    kw = dict(steps=int(inputs["steps"]), C=float(inputs["C"]), lr=float(inputs["lr"]))
    setting = f"steps={kw['steps']}, C={kw['C']:g}, lr={kw['lr']:g}"
    reference = {False: reddi_like(False, **kw), True: reddi_like(True, **kw)}
    for amsgrad, key in ((False, "adam"), (True, "amsgrad")):
        call = f"reddi_path(amsgrad={amsgrad}, {setting})"
        got = np.asarray(outputs.get(key, np.zeros(0)), dtype=np.float64).ravel()
        if got.shape != (kw["steps"] + 1,):
            return (
                f"{call} returned {got.size} values; expected steps + 1 = {kw['steps'] + 1} "
                "(the positions x_0, x_1, ..., x_steps, starting with x_0 = 0)."
            )
        if not np.all(np.isfinite(got)):
            first = int(np.argmin(np.isfinite(got)))
            return f"{call} returned values that are not finite (NaN or inf) from step {first}."
        expected = reference[amsgrad]
        bad = np.nonzero(~np.isclose(got, expected, rtol=1e-7, atol=1e-9))[0]
        if bad.size == 0:
            continue
        k = int(bad[0])
        message = (
            f"{call} departs from the reference at x_{k}: expected {expected[k]:.10g}, got {got[k]:.10g}. "
            f"(Reference: Adam ends at {reference[False][-1]:+.4f}, AMSGrad at {reference[True][-1]:+.4f}.)"
        )
        found = next(([m] for m in REDDI_MISTAKES if np.allclose(got, m.fn(amsgrad, **kw), rtol=1e-7, atol=1e-9)), [])
        return with_diagnosis(
            message,
            found,
            otherwise=(
                "No known slip reproduces your path. If your "
                f"{'amsgrad_step' if amsgrad else 'adamw_step'} passes its own tests, check the gradient "
                "(C when t % 3 == 1, else -1, with t = 1, 2, ...), the hyperparameters "
                "(beta1 = 0, beta2 = 1/(1 + C**2), the given lr) and the clipping to [-1, 1]."
            ),
        )
    return None


def _visible_inputs(rng: np.random.Generator | None) -> dict:
    return {"steps": 3000, "C": 3.0, "lr": 0.01}


def _random_inputs(rng: np.random.Generator | None) -> dict:
    rng = np.random.default_rng() if rng is None else rng
    return {
        "steps": int(rng.integers(2400, 3001)),
        "C": float(rng.choice([3, 4, 5])),
        "lr": float(rng.choice([0.005, 0.01, 0.02])),
    }


REDDI_PROBES = (
    Probe("reddi_path:counterexample", "reddi_path", _visible_inputs, _probe_run, _probe_judge),
    Probe("reddi_path:counterexample_random", "reddi_path", _random_inputs, _probe_run, _probe_judge, visible=False),
)

EXERCISE = Exercise(
    name="ex06_variants",
    tests={
        "test_adamw_first_step": "adamw_step:first_step",
        "test_adamw_trajectory": "adamw_step:trajectory",
        "test_adamw_pure": "adamw_step:pure",
        "test_adamw_defaults_hidden": "adamw_step:default",
        "test_adamw_settings_hidden": "adamw_step:settings",
        "test_amsgrad_first_step": "amsgrad_step:first_step",
        "test_amsgrad_trajectory": "amsgrad_step:trajectory",
        "test_amsgrad_pure": "amsgrad_step:pure",
        "test_amsgrad_defaults_hidden": "amsgrad_step:default",
        "test_amsgrad_settings_hidden": "amsgrad_step:settings",
        "test_reddi_counterexample": "reddi_path:counterexample",
        "test_reddi_counterexample_hidden": "reddi_path:counterexample_random",
    },
    probes=(*step_probes(ADAMW), *step_probes(AMSGRAD), *REDDI_PROBES),
    step_specs=(ADAMW, AMSGRAD),
    setup=NotebookSetup(
        guarded=("from adamlab.grading import check, check_probe", "import matplotlib.pyplot as plt"),
        packages=("matplotlib",),
    ),
)
