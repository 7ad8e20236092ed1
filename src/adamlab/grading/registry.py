"""Which contract functions exist, and which test cell of which assignment checks what.

``TESTS[assignment][grade_id] = (function name, suite)``: the grader confirms each
autograded test cell of the nbgrader source by running that check itself, on fresh
inputs, outside the student's kernel. ``tests/test_grading_engine.py`` and the instructor-flow tests prove
this table and the source notebooks agree.
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
    # ex07 checks a class and a trained model: probes (adamlab.grading.optimizer_class).
    "ex07_training": {
        "test_adam_defaults": ("Adam", "probe:adam_class:defaults"),
        "test_adam_param_groups": ("Adam", "probe:adam_class:param_groups"),
        "test_adam_state_dict": ("Adam", "probe:adam_class:state_dict"),
        "test_adam_settings_hidden": ("Adam", "probe:adam_class:settings"),
        "test_trained_model": ("model", "probe:trained_model:accuracy"),
        "test_adam_training_hidden": ("Adam", "probe:adam_class:training"),
    },
}


def contract(name: str) -> Contract:
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract named {name!r}; known: {sorted(CONTRACTS)}") from None
