"""Exercise 6's grading: the check of the student's reddi_path (AdamW's and AMSGrad's catalogues are tested
for every step function by tests/grading/test_grading_engine.py)."""

from __future__ import annotations

import numpy as np
import pytest
from submissions import CellSubmission

from adamlab.grading import check_probe
from adamlab.grading.confirm.samples import replaced, solution_code
from adamlab.grading.exercises import ex06_variants as ex
from adamlab.grading.exercises import probe
from adamlab.problems import counterexample as ce
from conftest import REPO

VISIBLE, RANDOM = "reddi_path:counterexample", "reddi_path:counterexample_random"


def student(**flags):
    """A reddi_path written with one of the catalogued slips (or none)."""

    def reddi_path(amsgrad, *, steps=3000, C=3.0, lr=0.01):
        return ex.reddi_like(amsgrad, steps=steps, C=C, lr=lr, **flags)

    return reddi_path


@pytest.mark.parametrize("amsgrad", [False, True])
def test_the_catalogue_without_a_slip_is_the_chapters_reddi_path(amsgrad):
    np.testing.assert_array_equal(
        ex.reddi_like(amsgrad, steps=600, C=3.0, lr=0.01), ce.reddi_path(amsgrad, steps=600, C=3.0, lr=0.01)
    )


def test_probes_are_in_the_registry_one_visible_one_hidden():
    assert probe(VISIBLE).function == probe(RANDOM).function == "reddi_path"
    assert probe(VISIBLE).visible and not probe(RANDOM).visible


@pytest.mark.parametrize("name", [VISIBLE, RANDOM])
def test_correct_reddi_path_passes(name, capsys):
    check_probe(name, student(), seed=1)
    assert "✓ reddi_path" in capsys.readouterr().out


@pytest.mark.parametrize("mistake", ex.REDDI_MISTAKES, ids=lambda m: m.key)
def test_every_catalogued_slip_is_named(mistake):
    with pytest.raises(AssertionError, match="Most likely mistake") as info:
        check_probe(VISIBLE, mistake.fn)
    assert mistake.title in str(info.value)


def test_the_grader_can_split_run_and_judge():
    """What verify does: inputs drawn by the grader, run where the student's code runs, judged by the grader."""
    p = probe(RANDOM)
    inputs = p.make_inputs(np.random.default_rng(5))
    assert p.grader_judge(inputs, p.run(student(), inputs)) is None
    assert "not projected" in p.grader_judge(inputs, p.run(student(project=False), inputs))


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda amsgrad, *, steps=3000, C=3.0, lr=0.01: np.zeros(steps), r"expected steps \+ 1"),
        (lambda amsgrad, *, steps=3000, C=3.0, lr=0.01: np.full(steps + 1, np.nan), "not finite"),
        (lambda amsgrad, *, steps=3000, C=3.0, lr=0.01: np.linspace(0, 1, steps + 1), "No known slip"),
    ],
)
def test_structural_problems_get_a_clear_message(fn, words):
    with pytest.raises(AssertionError, match=words):
        check_probe(VISIBLE, fn)


def test_a_crash_or_a_stub_is_reported():
    def stub(amsgrad, *, steps=3000, C=3.0, lr=0.01):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented"):
        check_probe(VISIBLE, stub)
    with pytest.raises(AssertionError, match="TypeError"):
        check_probe(VISIBLE, lambda amsgrad: None)


# --- wrong solutions made from the solution's cells with named edits, graded by tests/grading/test_instructor_flow.py
# (the reddi_path tests call adamw_step and amsgrad_step: they may lose points too).
ASSIGNMENT = ex.EXERCISE.name
# Lines of ex06's solution cells that the AdamW and AMSGrad mistakes change.
DECAY = "    theta = theta * (1 - lr * weight_decay)  # decoupled: outside m and v\n"
ADAMW_RETURN = "return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v"
MAX_OF_RAW_V = "    v_max = np.maximum(v_max, v)  # over the raw v, before bias correction\n"


WRONG_CELLS = [
    *(
        CellSubmission(
            ASSIGNMENT,
            student,
            cell,
            replaced(solution_code(REPO, ASSIGNMENT, cell), edits, student),
            mistake,
            also=("reddi_path",),
        )
        for student, cell, edits, mistake in (
            (
                "adamw_l2",
                "adamw_step",
                ((DECAY, "    grad = grad + weight_decay * theta\n"),),
                "l2_instead_of_decoupled",
            ),
            (
                "adamw_decay_without_lr",
                "adamw_step",
                (("theta * (1 - lr * weight_decay)", "theta * (1 - weight_decay)"),),
                "decay_without_lr",
            ),
            (
                "adamw_decay_after_step",
                "adamw_step",
                (
                    (DECAY, ""),
                    (
                        ADAMW_RETURN,
                        ADAMW_RETURN.replace(
                            "theta - lr * m_hat / (np.sqrt(v_hat) + eps)",
                            "(theta - lr * m_hat / (np.sqrt(v_hat) + eps)) * (1 - lr * weight_decay)",
                        ),
                    ),
                ),
                "decay_after_step",
            ),
            ("adamw_no_decay", "adamw_step", ((DECAY, ""),), "no_decay"),
            (
                "amsgrad_max_after_correction",
                "amsgrad_step",
                (
                    (MAX_OF_RAW_V, ""),
                    (
                        "v_max_hat = v_max / (1 - beta2**t)",
                        "v_hat = v / (1 - beta2**t)\n    v_max = np.maximum(v_max, v_hat)",
                    ),
                    ("np.sqrt(v_max_hat)", "np.sqrt(v_max)"),
                ),
                "max_after_bias_correction",
            ),
            (
                "amsgrad_max_unused",
                "amsgrad_step",
                (("np.sqrt(v_max_hat)", "np.sqrt(v / (1 - beta2**t))"),),
                "max_not_used",
            ),
        )
    ),
]
