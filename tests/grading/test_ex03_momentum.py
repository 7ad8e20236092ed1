"""Exercise 3's grading: momentum_step's catalogue on mistakes as students write them."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import assert_named_in_every_failing_suite, structural_message
from submissions import CellSubmission

from adamlab import optim as O
from adamlab.grading.engine.steps import signature_problems
from adamlab.grading.exercises import ex03_momentum as ex


def _mom_damped(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    buf = np.zeros_like(theta) if buf is None else buf
    buf = momentum * buf + (1 - momentum) * grad
    return theta - lr * (grad + momentum * buf if nesterov else buf), buf


def _mom_cs231n(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    """CS231n's form; its Nesterov is the look-ahead form of Bengio et al. (2013)."""
    v_prev = np.zeros_like(theta) if buf is None else buf
    v = momentum * v_prev - lr * grad
    return (theta - momentum * v_prev + (1 + momentum) * v if nesterov else theta + v), v


def _mom_no_nesterov(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    buf = grad if buf is None else momentum * buf + grad
    return theta - lr * buf, buf


def _mom_nesterov_no_grad(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    buf = grad if buf is None else momentum * buf + grad
    return theta - lr * (momentum * buf if nesterov else buf), buf


def _mom_sgd(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    return theta - lr * grad, grad


@pytest.mark.parametrize(
    "fn, key",
    [
        (_mom_damped, "damped"),
        (_mom_cs231n, "lr_in_buffer"),
        (_mom_no_nesterov, "nesterov_ignored"),
        (_mom_nesterov_no_grad, "nesterov_without_grad"),
        (_mom_sgd, "no_momentum"),
    ],
)
def test_handwritten_mistakes_are_named_in_every_failing_suite(fn, key):
    assert_named_in_every_failing_suite(ex.MOMENTUM, fn, key)


def test_settings_switch_nesterov_and_keep_a_buffer():
    assert {s["nesterov"] for s in ex.MOMENTUM.settings} == {True, False}
    assert all(s["momentum"] > 0 for s in ex.MOMENTUM.settings)  # torch keeps no buffer without momentum


def _mom_in_place(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    if buf is None:
        buf = grad.copy()
    else:
        buf *= momentum
        buf += grad
    return theta - lr * buf, buf


@pytest.mark.parametrize(
    "fn, expected",
    [
        (_mom_in_place, "modified its input `buf` in place"),
        (
            lambda theta, grad, buf, *, lr, momentum=0.9, nesterov=False: (theta - lr * grad, buf),
            "returned buf as NoneType",
        ),
        (
            lambda theta, grad, buf, *, lr, momentum=0.9, nesterov=False: [theta],
            "must return a tuple (theta, buf); it returned a tuple of 1",
        ),
    ],
)
def test_structural_errors_have_clear_messages(fn, expected):
    message = structural_message(ex.MOMENTUM, fn)
    assert message and expected in message, message


def test_signature_names_are_checked():
    def momentum_step(theta, grad, buf, *, lr, momentum=0.9):
        return O.momentum_step(theta, grad, buf, lr=lr, momentum=momentum)

    assert "no parameter `nesterov`" in signature_problems(ex.MOMENTUM, momentum_step)


# --- wrong solutions as students write them, graded by tests/grading/test_instructor_flow.py: each must lose the
# points of its function's tests alone, and the report must name the catalogued mistake.
ASSIGNMENT = ex.EXERCISE.name
WRONG_CELLS = [
    CellSubmission(
        ASSIGNMENT,
        "damped",
        "momentum_step",
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    buf = np.zeros_like(theta) if buf is None else buf\n"
        "    buf = momentum * buf + (1 - momentum) * grad\n"
        "    return theta - lr * (grad + momentum * buf if nesterov else buf), buf\n",
        "damped",
    ),
    CellSubmission(
        ASSIGNMENT,
        "cs231n_form",
        "momentum_step",
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    v_prev = np.zeros_like(theta) if buf is None else buf\n"
        "    v = momentum * v_prev - lr * grad\n"
        "    return (theta - momentum * v_prev + (1 + momentum) * v if nesterov else theta + v), v\n",
        "lr_in_buffer",
    ),
    CellSubmission(
        ASSIGNMENT,
        "nesterov_ignored",
        "momentum_step",
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    buf = grad if buf is None else momentum * buf + grad\n"
        "    return theta - lr * buf, buf\n",
        "nesterov_ignored",
    ),
    CellSubmission(
        ASSIGNMENT,
        "plain_sgd",
        "momentum_step",
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    return theta - lr * grad, grad\n",
        "no_momentum",
    ),
    CellSubmission(
        ASSIGNMENT,
        "buf_in_place",
        "momentum_step",
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    if buf is None:\n        buf = grad.copy()\n    else:\n        buf *= momentum\n"
        "        buf += grad\n"
        "    return theta - lr * (grad + momentum * buf if nesterov else buf), buf\n",
        "",
        "modified its input `buf` in place",
    ),
]
