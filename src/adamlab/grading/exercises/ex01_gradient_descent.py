"""Exercise 1: ``gd_step(theta, grad, lr)`` (a step function) and ``max_stable_lr(A)`` (a plain function).

Every mistake of a catalogue is the correct rule with one thing changed, switched on by a flag of a
``*_like`` function, so each catalogue reads as a list of differences from the right rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from adamlab import optim as O

from ..engine.functions import FunctionError, FunctionSpec, function_probes, judge_values, scalar
from ..engine.messages import Mistake
from ..engine.probes import Exercise, NotebookSetup
from ..engine.steps import StepSpec, step_probes


def _torch_sgd(params, hp):
    import torch

    return torch.optim.SGD(params, lr=hp["lr"])


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


GD = StepSpec(
    name="gd_step",
    reference=O.sgd_step,
    state=(),
    init_state=lambda theta: (),
    uses_t=False,
    defaults={},
    required={"lr": 0.1},
    settings=({"lr": 0.5}, {"lr": 3.0}, {"lr": 1e-3}),
    torch_name="torch.optim.SGD",
    torch_optimizer=_torch_sgd,
    mistakes=(
        _gd_variant(
            "ascent",
            "plus instead of minus (gradient ascent)",
            "Step against the gradient: θ − lr·g, not θ + lr·g.",
            ascent=True,
        ),
        _gd_variant("lr_ignored", "the learning rate is ignored", "Scale the gradient by lr: θ − lr·g.", lr_power=0),
        _gd_variant(
            "lr_squared",
            "the learning rate is applied twice (lr²)",
            "lr multiplies the gradient once: θ − lr·g.",
            lr_power=2,
        ),
        _gd_variant(
            "divided_by_lr",
            "the gradient is divided by lr",
            "Multiply by the learning rate: θ − lr·g, not θ − g/lr.",
            divide=True,
        ),
        _gd_variant(
            "step_only",
            "the step −lr·g is returned instead of the new θ",
            "Return the new point, θ − lr·g, not only the change.",
            step_only=True,
        ),
        _gd_variant("unchanged", "theta is returned unchanged", "Subtract the step: θ − lr·g.", unchanged=True),
    ),
)


# --- max_stable_lr(A) -> float ----------------------------------------------------------------------------


def max_stable_lr_reference(A) -> float:
    """2/λ_max for a symmetric positive definite ``A``; ``ValueError`` otherwise."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.allclose(A, A.T):
        raise ValueError("A must be symmetric")
    eigenvalues = np.linalg.eigvalsh(A)
    if eigenvalues[0] <= 0:
        raise ValueError(f"A must be positive definite (its smallest eigenvalue is {eigenvalues[0]:g})")
    return 2.0 / eigenvalues[-1]


def _evaluate_max_stable_lr(fn, args):
    A = np.array(args["A"], dtype=np.float64)
    before = A.copy()
    value = fn(A)
    if not np.array_equal(A, before):
        raise FunctionError("max_stable_lr modified its input A in place: work on a copy.")
    return {"value": scalar("max_stable_lr", value)}


def _spd(rng: np.random.Generator, n: int, cond: float, top: float) -> np.ndarray:
    """A random symmetric positive definite matrix with largest eigenvalue ``top`` and condition ``cond``."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lam = top * np.concatenate([[1.0, 1.0 / cond], cond ** -rng.uniform(0, 1, size=n - 2)])[:n]
    rng.shuffle(lam)
    A = (q * lam) @ q.T
    return (A + A.T) / 2


def _max_stable_lr_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        return [
            {"A": np.diag([1.0, 4.0])},
            {"A": np.array([[2.0, 1.0], [1.0, 2.0]])},
            {"A": np.array([[4.0]])},
            {"A": np.array([[6.0, -2.0, 2.0], [-2.0, 5.0, 0.0], [2.0, 0.0, 7.0]])},  # eigenvalues 3, 6, 9
            {"A": np.array([[9.0, 1.0, 0.0], [1.0, 9.0, 0.0], [0.0, 0.0, 9.9]])},  # 8, 9.9, 10: close at the top
        ]
    if suite == "errors":
        return [{"A": np.array([[2.0, 1.0], [0.0, 2.0]])}, {"A": np.array([[1.0, 2.0], [2.0, 1.0]])}, {"A": -np.eye(3)}]
    assert rng is not None
    items = []
    for _ in range(6):
        n = int(rng.integers(2, 9))
        items.append({"A": _spd(rng, n, cond=10 ** rng.uniform(0, 4), top=10 ** rng.uniform(-1, 2))})
    n = int(rng.integers(2, 7))
    skew = rng.normal(size=(n, n))
    items.append({"A": _spd(rng, n, 10.0, 1.0) + 0.3 * (skew - skew.T)})  # not symmetric
    lam = np.concatenate([[-rng.uniform(0.1, 1.0)], rng.uniform(0.5, 5.0, size=n - 1)])
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    B = (q * lam) @ q.T
    items.append({"A": (B + B.T) / 2})  # symmetric, one negative eigenvalue
    return items


def _matrix_label(args: Mapping[str, Any]) -> str:
    """``A = [[2, 1], [0, 2]] (not symmetric)``, or ``a random 6 × 6 matrix (...)`` for larger ones."""
    A = np.asarray(args["A"], dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.isfinite(A).all():
        return f"an array of shape {A.shape}"
    n = A.shape[0]
    if n <= 3 and np.array_equal(A, np.round(A, 1)):
        rows = ", ".join("[" + ", ".join(f"{x + 0.0:g}" for x in row) + "]" for row in A)  # + 0.0: no "-0"
        name = f"A = [{rows}]".replace("-", "−")
    else:
        name = f"a random {n} × {n} matrix"
    if not np.allclose(A, A.T):
        return f"{name} (not symmetric)"
    lam = np.linalg.eigvalsh(A)
    if n <= 3:
        words = [f"{x:.4g}".replace("-", "−") for x in lam]
        shown = words[0] if n == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"{name} (eigenvalue{'s' if n > 1 else ''} {shown})"
    kind = "positive definite" if lam[0] > 0 else "not positive definite"
    return f"{name} (symmetric, {kind}, eigenvalues from {lam[0]:.3g} to {lam[-1]:.3g})".replace("-", "−")


def _mslr_like(A, *, value="2/lmax", check_symmetric=True, check_definite=True):
    """max_stable_lr with one mistake: a wrong formula or a missing validation."""
    A = np.asarray(A, dtype=np.float64)
    if check_symmetric and not np.allclose(A, A.T):
        raise ValueError("A must be symmetric")
    lam = np.linalg.eigvalsh(A)
    if check_definite and lam[0] <= 0:
        raise ValueError("A must be positive definite")
    with np.errstate(all="ignore"):
        return float(
            {
                "2/lmax": 2 / lam[-1],
                "1/lmax": 1 / lam[-1],
                "2/lmin": 2 / lam[0],
                "1/lmax2": 1 / lam[-1] ** 2,
                "2/maxdiag": 2 / np.max(np.abs(np.diag(A))),
                "2/trace": 2 / np.trace(A),
                "2/fro": 2 / np.linalg.norm(A),
                "lmax": lam[-1],
            }[value]
        )


def _mslr_variant(key, title, hint, **flags):
    return Mistake(key, title, hint, partial(_mslr_like, **flags))


MAX_STABLE_LR = FunctionSpec(
    name="max_stable_lr",
    reference=max_stable_lr_reference,
    evaluate=_evaluate_max_stable_lr,
    inputs=_max_stable_lr_inputs,
    label=_matrix_label,
    judge=judge_values,
    fixed_suites=("examples", "errors"),
    random_suites=("random",),
    torch_name="2/λ_max",
    approximate=Mistake(
        "approximate_lmax",
        "λ_max is approximated (within 1 %, not exactly)",
        "Your value is close to 2/λ_max but not equal: an estimate such as a fixed number of power "
        "iterations converges slowly when the two largest eigenvalues are close. Compute the eigenvalues "
        "exactly with np.linalg.eigvalsh(A).",
    ),
    mistakes=(
        _mslr_variant(
            "one_over_lmax",
            "1/λ_max instead of 2/λ_max",
            "Gradient descent on ½xᵀAx multiplies each eigen-coordinate by (1 − lr·λ): it stays "
            "stable while |1 − lr·λ| < 1, that is lr < 2/λ. lr = 1/λ_max is the step that removes "
            "the top coordinate in one move, not the largest stable one.",
            value="1/lmax",
        ),
        _mslr_variant(
            "two_over_lmin",
            "2/λ_min instead of 2/λ_max",
            "The largest eigenvalue limits the step: every coordinate needs lr < 2/λ. "
            "np.linalg.eigvalsh returns the eigenvalues in ascending order: λ_max is the last one.",
            value="2/lmin",
        ),
        _mslr_variant(
            "one_over_lmax_squared",
            "1/λ_max² instead of 2/λ_max",
            "The condition is |1 − lr·λ| < 1 for every eigenvalue λ: lr < 2/λ_max.",
            value="1/lmax2",
        ),
        _mslr_variant(
            "lmax",
            "λ_max returned instead of 2/λ_max",
            "Return the step size 2/λ_max, not the eigenvalue.",
            value="lmax",
        ),
        _mslr_variant(
            "two_over_max_diag",
            "2/max|diagonal| instead of 2/λ_max",
            "The diagonal entries are the eigenvalues only for a diagonal matrix: use np.linalg.eigvalsh(A).",
            value="2/maxdiag",
        ),
        _mslr_variant(
            "two_over_trace",
            "2/trace(A) instead of 2/λ_max",
            "The trace is the sum of the eigenvalues, not the largest: use np.linalg.eigvalsh(A).",
            value="2/trace",
        ),
        _mslr_variant(
            "two_over_frobenius",
            "2/‖A‖_F (Frobenius norm) instead of 2/λ_max",
            "np.linalg.norm(A) is the Frobenius norm, √(Σλ²), larger than λ_max: use "
            "np.linalg.eigvalsh(A) (or np.linalg.norm(A, 2)).",
            value="2/fro",
        ),
        _mslr_variant(
            "no_validation",
            "no validation of A",
            "Raise ValueError when A is not symmetric (np.allclose(A, A.T)) or not positive "
            "definite (smallest eigenvalue ≤ 0).",
            check_symmetric=False,
            check_definite=False,
        ),
        _mslr_variant(
            "no_symmetry_check",
            "A is not checked for symmetry",
            "np.linalg.eigvalsh reads only one triangle of A and silently assumes symmetry: "
            "raise ValueError unless np.allclose(A, A.T).",
            check_symmetric=False,
        ),
        _mslr_variant(
            "no_definiteness_check",
            "A is not checked for positive definiteness",
            "Raise ValueError when the smallest eigenvalue is ≤ 0: then no constant step "
            "converges (the quadratic has no minimum).",
            check_definite=False,
        ),
    ),
)


EXERCISE = Exercise(
    name="ex01_gradient_descent",
    tests={
        "test_gd_first_step": "gd_step:first_step",
        "test_gd_trajectory": "gd_step:trajectory",
        "test_gd_pure": "gd_step:pure",
        "test_gd_defaults_hidden": "gd_step:default",
        "test_gd_settings_hidden": "gd_step:settings",
        "test_max_stable_lr_examples": "max_stable_lr:examples",
        "test_max_stable_lr_errors": "max_stable_lr:errors",
        "test_max_stable_lr_hidden": "max_stable_lr:random",
    },
    probes=(*step_probes(GD), *function_probes(MAX_STABLE_LR)),
    step_specs=(GD,),
    function_specs=(MAX_STABLE_LR,),
    setup=NotebookSetup(guarded=("from adamlab.grading import check, check_probe",)),
)
