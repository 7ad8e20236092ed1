"""Helpers shared by the exercises' test modules (tests/test_exNN_*.py)."""

from __future__ import annotations

import numpy as np

from adamlab.grading.engine.steps import cases, check_case


def first_message(spec, fn, cs):
    """The message of the first failing case of one suite, or None."""
    for case in cs:
        message = check_case(spec, fn, case)
        if message:
            return message
    return None


def suite_cases(spec, seed=0):
    rng = np.random.default_rng(seed)
    return {
        s: cases(spec, s, None if s in ("first_step", "trajectory") else rng)
        for s in ("first_step", "trajectory", "default", "settings")
    }


def named(message: str, title: str) -> bool:
    return any(
        line.startswith(f"Most likely mistake: {title}.")
        or (line.startswith("Also consistent with:") and title in line)
        for line in message.splitlines()
    )


def assert_named_in_every_failing_suite(spec, fn, key):
    title = next(m.title for m in spec.mistakes if m.key == key)
    failed = {s: m for s, cs in suite_cases(spec, seed=5).items() if (m := first_message(spec, fn, cs))}
    assert failed
    for suite, message in failed.items():
        assert named(message, title), (suite, message)


def structural_message(spec, fn):
    pure = cases(spec, "pure", None)[0]
    return check_case(spec, fn, pure, check_purity=True) or check_case(spec, fn, cases(spec, "first_step", None)[0])
