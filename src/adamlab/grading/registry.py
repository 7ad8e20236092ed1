"""Which contract functions exist, and which test cell of which assignment checks what.

``TESTS[assignment][grade_id] = (function name, suite)``: the grader confirms each
autograded test cell of the nbgrader source by running that check itself, on fresh
inputs, outside the student's kernel. ``tests/test_source_notebooks.py`` proves this table and
the source notebooks agree, cell by cell; the instructor-flow tests grade every assignment through it.
"""

from __future__ import annotations

from .adam_family import ADAM, ADAMW, AMSGRAD
from .contract import Contract
from .ladder import ADAGRAD, GD, MOMENTUM, RMSPROP

CONTRACTS: dict[str, Contract] = {c.name: c for c in (GD, MOMENTUM, ADAGRAD, RMSPROP, ADAM, ADAMW, AMSGRAD)}

TESTS: dict[str, dict[str, tuple[str, str]]] = {
    # max_stable_lr (ex01) and ex02's functions are not step functions: probes (adamlab.grading.ladder_probes).
    "ex01_gradient_descent": {
        "test_gd_first_step": ("gd_step", "first_step"),
        "test_gd_trajectory": ("gd_step", "trajectory"),
        "test_gd_pure": ("gd_step", "pure"),
        "test_gd_defaults_hidden": ("gd_step", "default"),
        "test_gd_settings_hidden": ("gd_step", "settings"),
        "test_max_stable_lr_examples": ("max_stable_lr", "probe:max_stable_lr:examples"),
        "test_max_stable_lr_errors": ("max_stable_lr", "probe:max_stable_lr:errors"),
        "test_max_stable_lr_hidden": ("max_stable_lr", "probe:max_stable_lr:random"),
    },
    "ex02_sgd": {
        "test_minibatches_examples": ("minibatches", "probe:minibatches:examples"),
        "test_minibatches_hidden": ("minibatches", "probe:minibatches:random"),
        "test_step_decay_examples": ("step_decay_lr", "probe:step_decay_lr:examples"),
        "test_step_decay_hidden": ("step_decay_lr", "probe:step_decay_lr:random"),
        "test_cosine_examples": ("cosine_lr", "probe:cosine_lr:examples"),
        "test_cosine_hidden": ("cosine_lr", "probe:cosine_lr:random"),
    },
    "ex03_momentum": {
        "test_momentum_first_step": ("momentum_step", "first_step"),
        "test_momentum_trajectory": ("momentum_step", "trajectory"),
        "test_momentum_pure": ("momentum_step", "pure"),
        "test_momentum_defaults_hidden": ("momentum_step", "default"),
        "test_momentum_settings_hidden": ("momentum_step", "settings"),
    },
    "ex04_adaptive": {
        "test_adagrad_first_step": ("adagrad_step", "first_step"),
        "test_adagrad_trajectory": ("adagrad_step", "trajectory"),
        "test_adagrad_pure": ("adagrad_step", "pure"),
        "test_adagrad_defaults_hidden": ("adagrad_step", "default"),
        "test_adagrad_settings_hidden": ("adagrad_step", "settings"),
        "test_rmsprop_first_step": ("rmsprop_step", "first_step"),
        "test_rmsprop_trajectory": ("rmsprop_step", "trajectory"),
        "test_rmsprop_pure": ("rmsprop_step", "pure"),
        "test_rmsprop_defaults_hidden": ("rmsprop_step", "default"),
        "test_rmsprop_settings_hidden": ("rmsprop_step", "settings"),
    },
    "ex05_adam": {
        "test_adam_first_step": ("adam_step", "first_step"),
        "test_adam_trajectory": ("adam_step", "trajectory"),
        "test_adam_pure": ("adam_step", "pure"),
        "test_adam_defaults_hidden": ("adam_step", "default"),
        "test_adam_settings_hidden": ("adam_step", "settings"),
    },
    "ex06_variants": {
        "test_adamw_first_step": ("adamw_step", "first_step"),
        "test_adamw_trajectory": ("adamw_step", "trajectory"),
        "test_adamw_pure": ("adamw_step", "pure"),
        "test_adamw_defaults_hidden": ("adamw_step", "default"),
        "test_adamw_settings_hidden": ("adamw_step", "settings"),
        "test_amsgrad_first_step": ("amsgrad_step", "first_step"),
        "test_amsgrad_trajectory": ("amsgrad_step", "trajectory"),
        "test_amsgrad_pure": ("amsgrad_step", "pure"),
        "test_amsgrad_defaults_hidden": ("amsgrad_step", "default"),
        "test_amsgrad_settings_hidden": ("amsgrad_step", "settings"),
        "test_reddi_counterexample": ("reddi_path", "probe:reddi_path:counterexample"),
        "test_reddi_counterexample_hidden": ("reddi_path", "probe:reddi_path:counterexample_random"),
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
