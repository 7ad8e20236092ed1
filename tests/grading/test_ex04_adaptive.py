"""Exercise 4's grading: adagrad_step's and rmsprop_step's catalogues on mistakes as students write them."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import assert_named_in_every_failing_suite, structural_message
from submissions import CellSubmission

from adamlab import optim as O
from adamlab.grading.engine.steps import signature_problems
from adamlab.grading.exercises import ex04_adaptive as ex


def _ada_eps_inside(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):
    sum_sq = sum_sq + grad**2
    return theta - lr * grad / np.sqrt(sum_sq + eps), sum_sq


def _ada_ema(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):
    sum_sq = 0.99 * sum_sq + 0.01 * grad**2
    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


def _ada_no_sqrt(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):
    sum_sq = sum_sq + grad**2
    return theta - lr * grad / (sum_sq + eps), sum_sq


def _rms_eps_inside(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return theta - lr * grad / np.sqrt(sq_avg + eps), sq_avg


def _rms_no_one_minus(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):
    sq_avg = alpha * sq_avg + grad**2
    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg


def _rms_swapped(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):
    sq_avg = (1 - alpha) * sq_avg + alpha * grad**2
    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg


def _rms_sum(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):
    sq_avg = sq_avg + grad**2
    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg


@pytest.mark.parametrize(
    "spec, fn, key",
    [
        (ex.ADAGRAD, _ada_eps_inside, "eps_inside_sqrt"),
        (ex.ADAGRAD, _ada_ema, "moving_average"),
        (ex.ADAGRAD, _ada_no_sqrt, "no_sqrt"),
        (ex.RMSPROP, _rms_eps_inside, "eps_inside_sqrt"),
        (ex.RMSPROP, _rms_no_one_minus, "missing_one_minus_alpha"),
        (ex.RMSPROP, _rms_swapped, "swapped_alpha"),
        (ex.RMSPROP, _rms_sum, "sum_instead_of_average"),
    ],
    ids=lambda x: getattr(x, "name", getattr(x, "__name__", str(x))),
)
def test_handwritten_mistakes_are_named_in_every_failing_suite(spec, fn, key):
    assert_named_in_every_failing_suite(spec, fn, key)


def test_rmsprop_settings_tell_alpha_from_one_minus_alpha():
    assert any(s["alpha"] != 0.5 for s in ex.RMSPROP.settings)


def _ada_in_place(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):
    sum_sq += grad**2
    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


@pytest.mark.parametrize(
    "spec, fn, expected",
    [
        (ex.ADAGRAD, _ada_in_place, "modified its input `sum_sq` in place"),
        (
            ex.RMSPROP,
            lambda theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8: theta,
            "must return a tuple (theta, sq_avg)",
        ),
    ],
)
def test_structural_errors_have_clear_messages(spec, fn, expected):
    message = structural_message(spec, fn)
    assert message and expected in message, message


def test_signature_defaults_are_checked():
    def adagrad_step(theta, grad, sum_sq, *, lr=0.1, eps=1e-10):
        return O.adagrad_step(theta, grad, sum_sq, lr=lr, eps=eps)

    assert "default for `lr` is 0.1" in signature_problems(ex.ADAGRAD, adagrad_step)


# --- wrong solutions as students write them, graded by tests/grading/test_instructor_flow.py: each must lose the
# points of its function's tests alone, and the report must name the catalogued mistake.
ASSIGNMENT = ex.EXERCISE.name
WRONG_CELLS = [
    CellSubmission(
        ASSIGNMENT,
        "adagrad_eps_inside",
        "adagrad_step",
        "def adagrad_step(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):\n"
        "    sum_sq = sum_sq + grad**2\n    return theta - lr * grad / np.sqrt(sum_sq + eps), sum_sq\n",
        "eps_inside_sqrt",
    ),
    CellSubmission(
        ASSIGNMENT,
        "adagrad_average",
        "adagrad_step",
        "def adagrad_step(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):\n"
        "    sum_sq = 0.99 * sum_sq + 0.01 * grad**2\n"
        "    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq\n",
        "moving_average",
    ),
    CellSubmission(
        ASSIGNMENT,
        "rmsprop_no_one_minus",
        "rmsprop_step",
        "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
        "    sq_avg = alpha * sq_avg + grad**2\n"
        "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
        "missing_one_minus_alpha",
    ),
    CellSubmission(
        ASSIGNMENT,
        "rmsprop_swapped",
        "rmsprop_step",
        "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
        "    sq_avg = (1 - alpha) * sq_avg + alpha * grad**2\n"
        "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
        "swapped_alpha",
    ),
    CellSubmission(
        ASSIGNMENT,
        "rmsprop_sum",
        "rmsprop_step",
        "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
        "    sq_avg = sq_avg + grad**2\n"
        "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
        "sum_instead_of_average",
    ),
]
