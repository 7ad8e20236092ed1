"""Exercise 1's grading: gd_step's catalogue on mistakes as students write them, and max_stable_lr."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import assert_named_in_every_failing_suite, structural_message
from submissions import CellSubmission

from adamlab import optim as O
from adamlab.grading import check_probe
from adamlab.grading.confirm.sandbox import run_student_code
from adamlab.grading.exercises import ex01_gradient_descent as ex
from adamlab.grading.exercises import probe


def _gd_plus(theta, grad, lr):
    return theta + lr * grad


def _gd_lr_squared(theta, grad, lr):
    return theta - lr**2 * grad


def _gd_no_lr(theta, grad, lr):
    return theta - grad


@pytest.mark.parametrize("fn, key", [(_gd_plus, "ascent"), (_gd_lr_squared, "lr_squared"), (_gd_no_lr, "lr_ignored")])
def test_handwritten_mistakes_are_named_in_every_failing_suite(fn, key):
    assert_named_in_every_failing_suite(ex.GD, fn, key)


def _gd_in_place(theta, grad, lr):
    theta -= lr * grad
    return theta


@pytest.mark.parametrize(
    "fn, expected",
    [
        (_gd_in_place, "modified its input `theta` in place"),
        (lambda theta, grad, lr: list(theta - lr * grad), "returned theta as list"),
        (lambda theta, grad, lr: (theta - lr * grad,), "returned theta as tuple"),
        (lambda theta, grad, lr: (theta - lr * grad).astype(np.float32), "dtype float32"),
        (lambda theta, grad, lr: (theta - lr * grad)[:1], "with shape (1,)"),
    ],
)
def test_structural_errors_have_clear_messages(fn, expected):
    message = structural_message(ex.GD, fn)
    assert message and expected in message, message


def test_max_stable_lr_reference_values_and_errors():
    f = ex.max_stable_lr_reference
    assert f(np.diag([1.0, 4.0])) == pytest.approx(0.5)
    assert f(np.array([[2.0, 1.0], [1.0, 2.0]])) == pytest.approx(2 / 3)
    assert f(np.array([[4.0]])) == pytest.approx(0.5)
    for bad in (np.array([[2.0, 1.0], [0.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]), -np.eye(3), np.ones((2, 3))):
        with pytest.raises(ValueError):
            f(bad)
    example = ex._max_stable_lr_inputs("examples", None)[3]["A"]
    assert np.linalg.eigvalsh(example) == pytest.approx([3.0, 6.0, 9.0])


def after(A, x, lr, steps=300):
    """|x| after ``steps`` of gradient descent on ½xᵀAx from ``x``."""
    for _ in range(steps):
        x = O.sgd_step(x, A @ x, lr=lr)
    return np.linalg.norm(x)


def test_max_stable_lr_is_the_stability_threshold_of_gradient_descent():
    rng = np.random.default_rng(7)
    for args in ex._max_stable_lr_inputs("random", rng)[:6]:
        A = args["A"]
        limit = ex.max_stable_lr_reference(A)
        assert limit == pytest.approx(2 / np.max(np.linalg.eigvals(A).real))
        top = np.linalg.eigh(A)[1][:, -1]  # the stiffest direction

        assert after(A, top, 0.98 * limit) < 1.0 < after(A, top, 1.02 * limit)


def _mslr_assert(A):
    A = np.asarray(A)
    assert np.allclose(A, A.T), "not symmetric"
    lam = np.linalg.eigvalsh(A)
    assert lam[0] > 0, "not positive definite"
    return 2 / lam[-1]


@pytest.mark.parametrize(
    "fn, suite, expected",
    [
        (_mslr_assert, "errors", "must raise ValueError for this input"),
        (_mslr_assert, "errors", "it raised AssertionError: not symmetric"),
        (lambda A: 2 / np.linalg.eigvalsh(A), "examples", "returned an array of shape (2,)"),
        (lambda A: 2 / np.max(np.linalg.eigvals(A)), "errors", "no validation of A"),
        (lambda A: 2 / np.max(np.linalg.eigvals(A)) + 0j, "examples", "complex"),
        (lambda A: 2 / np.linalg.eigvalsh(A)[0], "examples", "2/λ_min instead of 2/λ_max"),
        (lambda A: 2 / np.linalg.eigvalsh(A)[0], "examples", "expected 0.5, got 2.0"),
        (lambda A: 1 / np.linalg.norm(A, 2), "examples", "1/λ_max instead of 2/λ_max"),
    ],
)
def test_max_stable_lr_messages(fn, suite, expected):
    with pytest.raises(AssertionError) as err:
        check_probe(f"max_stable_lr:{suite}", fn)
    assert expected in str(err.value)


def test_max_stable_lr_through_the_real_sandbox():
    """The grader's path: inputs drawn here, the student's code run in the sandbox, judged here."""
    code = """
import numpy as np
def max_stable_lr(A):
    A = np.asarray(A)
    assert np.allclose(A, A.T), "not symmetric"
    lam = np.linalg.eigvalsh(A)
    if lam[0] <= 0:
        raise ValueError("not positive definite")
    return 2 / lam[-1]
"""
    rng = np.random.default_rng(13)
    plan = [(n, probe(n).make_inputs(rng)) for n in ("max_stable_lr:examples", "max_stable_lr:errors")]
    run = run_student_code([code], plan)
    assert run.problem is None
    (_, examples), (_, errors) = plan
    assert probe("max_stable_lr:examples").grader_judge(examples, run.items[0]["outputs"]) is None
    assert "it raised AssertionError: not symmetric" in probe("max_stable_lr:errors").grader_judge(
        errors, run.items[1]["outputs"]
    )


# --- wrong solutions as students write them, graded by tests/grading/test_instructor_flow.py: each must lose the
# points of its function's tests alone, and the report must name the catalogued mistake.
ASSIGNMENT = ex.EXERCISE.name
WRONG_CELLS = [
    CellSubmission(
        ASSIGNMENT, "gd_ascent", "gd_step", "def gd_step(theta, grad, lr):\n    return theta + lr * grad\n", "ascent"
    ),
    CellSubmission(
        ASSIGNMENT,
        "gd_lr_squared",
        "gd_step",
        "def gd_step(theta, grad, lr):\n    return theta - lr**2 * grad\n",
        "lr_squared",
    ),
    CellSubmission(
        ASSIGNMENT, "gd_no_lr", "gd_step", "def gd_step(theta, grad, lr):\n    return theta - grad\n", "lr_ignored"
    ),
    CellSubmission(
        ASSIGNMENT,
        "gd_in_place",
        "gd_step",
        "def gd_step(theta, grad, lr):\n    theta -= lr * grad\n    return theta\n",
        "",
        "modified its input `theta` in place",
    ),
    CellSubmission(
        ASSIGNMENT,
        "lr_one_over_lmax",
        "max_stable_lr",
        "def max_stable_lr(A):\n    return float(1 / np.linalg.eigvalsh(A)[-1])\n",
        "one_over_lmax",
    ),
    CellSubmission(
        ASSIGNMENT,
        "lr_trace",
        "max_stable_lr",
        "def max_stable_lr(A):\n    return float(2 / np.trace(A))\n",
        "two_over_trace",
    ),
]
