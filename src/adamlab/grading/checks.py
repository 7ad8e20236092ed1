"""What the exercise notebooks' test cells call: ``check("adam_step", adam_step, "first_step")``.

A failing check raises ``AssertionError`` with a message naming the most likely
mistake; the message is what the student sees under the test cell, and what the
feedback HTML shows.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from .contract import check_case, signature_problems
from .registry import contract as _contract
from .suites import cases


def check(name: str, fn: Callable, suite: str, *, seed: int | None = None) -> None:
    """Check ``fn`` (the student's ``name``) on one suite against the reference; raise on failure.

    Visible suites use fixed inputs; ``"default"`` and ``"settings"`` draw random
    inputs (from ``seed``, or fresh entropy when it is None).
    """
    c = _contract(name)
    problem = signature_problems(c, fn)
    if problem:
        raise AssertionError(problem)
    rng = None if suite in ("first_step", "trajectory", "pure") else np.random.default_rng(
        seed if seed is not None else int.from_bytes(os.urandom(8), "little"))
    failures = []
    for case in cases(c, suite, rng):
        message = check_case(c, fn, case, check_purity=(suite == "pure"))
        if message:
            failures.append(message)
            break  # the first failure says enough
    if failures:
        raise AssertionError("\n" + failures[0])
    print(f"✓ {name}: {suite.replace('_', ' ')} — correct.")
