"""Exercise 7's grading: the probes of a student's ``Adam(torch.optim.Optimizer)`` (the training probes, which
train networks, run in the instructor-flow tests and the source-notebook tests)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from submissions import CellSubmission

from adamlab.grading import check_probe
from adamlab.grading.confirm.samples import solution_code
from adamlab.grading.exercises import ex07_training as ex
from conftest import REPO

ASSIGNMENT = ex.EXERCISE.name
FAST = ("adam_class:defaults", "adam_class:param_groups", "adam_class:state_dict", "adam_class:settings")


def optimizer_class(source: str):
    namespace = {"torch": torch}
    exec(source, namespace)
    return namespace["Adam"]


def wrong(student: str):
    return optimizer_class(next(s.source for s in WRONG_CELLS if s.student == student))


@pytest.mark.parametrize("name", FAST)
def test_the_solution_passes(name, capsys):
    check_probe(name, optimizer_class(solution_code(REPO, ASSIGNMENT, "adam_class")), seed=3)
    assert "— correct." in capsys.readouterr().out


def test_a_subclass_of_torch_adam_does_not_count():
    with pytest.raises(AssertionError, match="subclassing torch.optim.Adam"):
        check_probe("adam_class:defaults", wrong("subclasses_torch_adam"))


def test_ignoring_param_groups_is_explained():
    check_probe("adam_class:defaults", wrong("ignores_param_groups"))
    with pytest.raises(AssertionError, match="Read each hyperparameter from the group"):
        check_probe("adam_class:param_groups", wrong("ignores_param_groups"))


def test_a_missing_bias_correction_is_diagnosed_with_adams_catalogue():
    with pytest.raises(AssertionError, match="Most likely mistake: no bias correction"):
        check_probe("adam_class:defaults", wrong("no_bias_correction"))


def test_policy_forbids_torchs_own_adam_in_solution_cells():
    assert ex.EXERCISE.forbidden_imports == ("adamlab",)
    assert ex.EXERCISE.forbidden_code.search("opt = torch.optim.Adam(params)")
    assert not ex.EXERCISE.forbidden_code.search("class Adam(torch.optim.Optimizer):")


def test_a_model_short_of_the_goal_is_told_what_usually_fixes_it():
    from adamlab.problems.data import digits

    labels = digits().y_test.numpy()
    message = ex._judge_model({}, {"predictions": np.zeros_like(labels)})
    assert "more epochs" in message and "learning rate" in message


# --- wrong optimizer classes, graded by tests/grading/test_instructor_flow.py: each with the test cells it must lose
# and words the report must contain.


def _edited(old: str, new: str) -> str:
    source = solution_code(REPO, ASSIGNMENT, "adam_class")
    assert old in source, old
    return source.replace(old, new)


def _wrong(student: str, source: str, targets: tuple[str, ...], words: str) -> CellSubmission:
    return CellSubmission(ASSIGNMENT, student, "adam_class", source, words=words, targets=targets)


ALL_CHECKS = ("test_adam_defaults", "test_adam_param_groups", "test_adam_state_dict", "test_adam_settings_hidden")
WRONG_CELLS = [
    _wrong(
        "no_bias_correction",
        _edited(
            "denom = (v / (1 - beta2**t)).sqrt_().add_(eps)\n"
            "                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))",
            "p.addcdiv_(m, v.sqrt().add(eps), value=-lr)",
        ),
        ALL_CHECKS,
        "no bias correction",
    ),
    _wrong(
        "ignores_param_groups",
        _edited(
            'lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]',
            'lr, (beta1, beta2), eps, wd = self.defaults["lr"], self.defaults["betas"], '
            'self.defaults["eps"], self.defaults["weight_decay"]',
        ),
        ("test_adam_param_groups",),
        "Read each hyperparameter from the group",
    ),
    _wrong(
        "own_state_names",
        _edited(
            'state["exp_avg"] = torch.zeros_like(p)\n                    state["exp_avg_sq"] = torch.zeros_like(p)',
            'state["m"] = torch.zeros_like(p)\n                    state["v"] = torch.zeros_like(p)',
        ).replace('m, v = state["exp_avg"], state["exp_avg_sq"]', 'm, v = state["m"], state["v"]'),
        ("test_adam_state_dict",),
        "state_dict",
    ),
    _wrong(
        "decoupled_decay",
        _edited(
            "grad = p.grad if wd == 0 else p.grad.add(p, alpha=wd)",
            "grad = p.grad\n                p.mul_(1 - lr * wd)",
        ),
        ("test_adam_param_groups", "test_adam_settings_hidden"),
        "departs",
    ),
    _wrong(
        "subclasses_torch_adam",
        "class Adam(torch.optim.Adam):\n    pass\n",
        (*ALL_CHECKS, "test_adam_training_hidden"),
        "torch's own optimizers",
    ),
    _wrong(
        "forgets_no_grad",
        _edited("    @torch.no_grad()\n    def step", "    def step"),
        (*ALL_CHECKS, "test_adam_training_hidden"),
        "RuntimeError",
    ),
]
