"""Test suites: which inputs each kind of check uses.

Visible suites use small fixed inputs that students can read in the notebook;
with an ``rng`` every suite draws fresh random inputs instead (hidden tests, and
the grader's independent confirmation). Random gradients come in three regimes:
ordinary, tiny (where ε matters) and huge.
"""

from __future__ import annotations

import numpy as np

from .contract import Case, Contract

SUITES = ("first_step", "trajectory", "default", "settings", "pure")
VISIBLE_THETA = np.array([5.0, -1.0, 0.5, 2.0])
VISIBLE_GRAD = np.array([10.0, -2.0, 1e-9, 4.0])  # the first coordinate is x² at x = 5


def cases(contract: Contract, suite: str, rng: np.random.Generator | None = None) -> list[Case]:
    """The cases of ``suite`` for ``contract``: fixed when ``rng`` is None, else freshly drawn."""
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; expected one of {SUITES}")
    required = dict(contract.required)
    if rng is None:
        fixed = np.random.default_rng(1412)  # fixed inputs, the same for every student
        grads = np.vstack([VISIBLE_GRAD, fixed.normal(size=(5, 4)) * [1.0, 10.0, 1e-6, 0.1]])
        if suite == "first_step":
            return [Case("first step from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads[:1], required)]
        if suite == "trajectory":
            return [Case("6 fixed steps from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads, required)]
        if suite == "pure":
            return [Case("3 fixed steps (inputs must stay unchanged)", VISIBLE_THETA, grads[:3], required)]
        raise ValueError(f"suite {suite!r} has no fixed inputs: pass an rng")
    if suite == "first_step":
        return [_random_case(contract, rng, "first step, random inputs", 1, required, "normal")]
    if suite == "trajectory":
        return [_random_case(contract, rng, "60 random steps", 60, required, "normal")]
    if suite == "pure":
        return [_random_case(contract, rng, "3 random steps (inputs must stay unchanged)", 3, required, "normal")]
    if suite == "default":
        return [_random_case(contract, rng, f"100 random steps, {regime} gradients, default hyperparameters",
                             100, required, regime) for regime in ("normal", "tiny", "huge")]
    return [_random_case(contract, rng, f"100 random steps, {regime} gradients", 100, {**required, **hp}, regime)
            for hp in contract.settings for regime in ("normal", "tiny")]


def _random_case(contract: Contract, rng: np.random.Generator, label: str, steps: int, hp: dict,
                 regime: str) -> Case:
    dim = int(rng.integers(2, 12))
    scale = {"normal": 1.0, "tiny": 1e-9, "huge": 1e4}[regime] * rng.uniform(0.5, 2.0, size=dim)
    grads = rng.normal(size=(steps, dim)) * scale
    if steps >= 10:
        # a burst of fixed size, then calm: v then falls below its maximum (AMSGrad's case) in every coordinate
        grads[:3] = rng.choice([-1.0, 1.0], size=(3, dim)) * 30.0 * scale
    tiny = np.arange(dim) if regime == "tiny" else [rng.integers(dim)]  # where ε matters, as in the visible tests
    for j in tiny:
        # magnitudes 0.5e-9 .. 2e-9 with random signs: never so close to 0 that ε's place stops showing
        grads[:, j] = rng.choice([-1.0, 1.0], size=steps) * rng.uniform(0.5e-9, 2e-9, size=steps)
    # |θ₀| in [0.5, 5]: never so close to 0 that the relative tolerance decides alone
    theta0 = rng.choice([-1.0, 1.0], size=dim) * rng.uniform(0.5, 5.0, size=dim)
    return Case(label, theta0, grads, dict(hp))
