"""Which contract functions exist, and which test cell of which assignment checks what.

``TESTS[assignment][grade_id] = (function name, suite)``: the grader confirms each
autograded test cell of the nbgrader source by running that check itself, on fresh
inputs, outside the student's kernel. ``tests/test_grading_specs.py`` proves this
table and the source notebooks agree.
"""

from __future__ import annotations

from .adam_family import ADAM, ADAMW, AMSGRAD
from .contract import Contract

CONTRACTS: dict[str, Contract] = {c.name: c for c in (ADAM, ADAMW, AMSGRAD)}

TESTS: dict[str, dict[str, tuple[str, str]]] = {
    "ex05_adam": {
        "test_adam_first_step": ("adam_step", "first_step"),
        "test_adam_trajectory": ("adam_step", "trajectory"),
        "test_adam_pure": ("adam_step", "pure"),
        "test_adam_defaults_hidden": ("adam_step", "default"),
        "test_adam_settings_hidden": ("adam_step", "settings"),
    },
}


def contract(name: str) -> Contract:
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract named {name!r}; known: {sorted(CONTRACTS)}") from None
