"""Exercise 5's grading: adam_step's structural messages, and the sample submissions made from its solution
(tests/grading/submissions.py makes the sample class from them, graded by tests/grading/test_instructor_flow.py)."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab.grading import check
from adamlab.grading.confirm.samples import adam_step_cells
from adamlab.grading.exercises import ex05_adam as ex
from conftest import REPO


def _adam_variant(body: str):
    namespace = {"np": np}
    exec("def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n" + body, namespace)
    return namespace["adam_step"]


@pytest.mark.parametrize(
    "body,suite,words",
    [
        ("    raise NotImplementedError()\n", "first_step", "not implemented yet"),
        (
            "    m *= beta1\n    m += (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
            "    return theta - lr * m / (1 - beta1**t) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
            "pure",
            "modified its input `m` in place",
        ),
        ("    return [theta, m]\n", "first_step", "must return a tuple"),
        ("    return theta.astype(np.float32), m, v\n", "first_step", "float64"),
        ("    return theta[:1], m, v\n", "first_step", "shape"),
        ("    return theta * np.nan, m, v\n", "first_step", "not finite"),
        ("    return theta, m\n", "first_step", "tuple of 2"),
    ],
)
def test_structural_mistakes_get_a_clear_message(body, suite, words):
    with pytest.raises(AssertionError, match=words.replace("(", r"\(")):
        check("adam_step", _adam_variant(body), suite)


def test_a_list_is_accepted_where_a_tuple_is_expected(capsys):
    """The grader calls the student's function through a proxy, whose tuples come back as lists: the
    kernel accepts a list too, so that both sides agree."""
    correct = ex.ADAM.reference
    as_list = _adam_variant("    return list(REF(theta, grad, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps))\n")
    as_list.__globals__["REF"] = correct
    for suite in ("first_step", "trajectory", "pure"):
        check("adam_step", as_list, suite)
    assert capsys.readouterr().out.count("correct") == 3


@pytest.mark.parametrize("name", [*ex.SAMPLES.edits, *ex.SAMPLES.rewrites])
def test_every_sample_submission_fails_a_visible_check(name):
    """The classic mistakes that ``make bench`` and the instructor-flow tests grade are caught in the kernel."""
    namespace = {"np": np}
    exec(adam_step_cells(REPO)[name], namespace)
    with pytest.raises(AssertionError):
        for suite in ("first_step", "trajectory", "pure"):
            check("adam_step", namespace["adam_step"], suite)
