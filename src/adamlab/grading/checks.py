"""What the exercise notebooks' test cells call: ``check("adam_step", adam_step, "first_step")`` and
``check_probe("adam_class:defaults", Adam)``.

A failing check raises ``AssertionError`` with a message naming the most likely mistake; the message
is what the student sees under the test cell, and what the feedback HTML shows. The kernel runs a
probe exactly as the grader does, inputs and outputs through the same transport, but judges against
the NumPy references (the grader confirms against ``torch.optim``, in a process of its own).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine.steps import FIXED_SUITES, SUITES, student_lines
from .engine.transport import roundtrip
from .exercises import probe


def check_probe(name: str, obj: Any, *, seed: int | None = None) -> None:
    """Run probe ``name`` on the student's ``obj``; raise ``AssertionError`` naming the problem.

    A visible probe uses its fixed inputs; a hidden one draws fresh ones (from ``seed`` when given).
    """
    p = probe(name)
    rng = (
        None
        if p.visible and seed is None
        else np.random.default_rng(seed if seed is not None else int.from_bytes(os.urandom(8), "little"))
    )
    inputs = roundtrip(p.make_inputs(rng))
    try:
        outputs = roundtrip(p.run(obj, inputs))
    except NotImplementedError:
        raise AssertionError(f"{p.function} is not implemented yet (it raised NotImplementedError).") from None
    except AssertionError:
        raise
    except Exception as exc:  # the student's code raised: show them their own line
        raise AssertionError(
            f"{p.function} raised {type(exc).__name__}: {exc}\n{student_lines(exc)}".rstrip()
        ) from None
    problem = p.judge(inputs, outputs)
    if problem:
        raise AssertionError("\n" + problem)
    print(f"✓ {p.function}: {p.suite.replace('_', ' ')} — correct.")


def check(name: str, fn: Callable, suite: str, *, seed: int | None = None) -> None:
    """Check the student's step function ``fn`` (called ``name``) on one suite; raise on failure.

    Visible suites (``first_step``, ``trajectory``, ``pure``) use fixed inputs; ``default`` and
    ``settings`` draw random inputs (from ``seed``, or fresh entropy when it is None).
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; expected one of {SUITES}")
    check_probe(f"{name}:{suite}", fn, seed=None if suite in FIXED_SUITES else seed)
