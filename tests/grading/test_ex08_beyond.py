"""Exercise 8's grading: lion_step's reference is the paper's Algorithm 2, its catalogue names the mistakes
students make (each one caught by a visible check), and np.sign(0) never decides a graded result.

The engine-wide properties (the reference passes every suite and agrees with the torch transcription, every
catalogued mistake is caught whatever the seed and distinguishable) are tested for every step function by
tests/grading/test_grading_engine.py."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from grading_helpers import assert_named_in_every_failing_suite, named, structural_message
from submissions import CellSubmission

from adamlab.grading import check
from adamlab.grading.confirm.samples import replaced, solution_code
from adamlab.grading.engine.steps import (
    SUITES,
    cases,
    check_case,
    first_departure,
    rollout,
    signature_problems,
    torch_rollout,
)
from adamlab.grading.engine.transport import roundtrip
from adamlab.grading.exercises import ex08_beyond as ex
from adamlab.grading.exercises import probe
from conftest import REPO

SPEC = ex.LION
VISIBLE = ("first_step", "trajectory")
SIGNATURE = "def lion_step(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):\n"


def _lion(body: str):
    namespace = {"np": np}
    exec(SIGNATURE + body, namespace)  # noqa: S102 - a student's cell
    return namespace["lion_step"]


def _all_cases(seed=0):
    rng = np.random.default_rng(seed)
    return [c for s in (*VISIBLE, "default", "settings") for c in cases(SPEC, s, None if s in VISIBLE else rng)]


# --- the reference ----------------------------------------------------------------------------------------


def test_reference_is_algorithm_2_by_hand():
    """Two steps worked on paper: lr = 0.1, β₁ = 0.5, β₂ = 0.9, λ = 0.5."""
    hp = {"lr": 0.1, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.5}
    theta, m = ex.lion_reference(np.array([2.0, -1.0]), np.array([3.0, 0.5]), np.zeros(2), **hp)
    # u = sign(0.5·0 + 0.5·g) = (1, 1); θ = θ − 0.1·(u + 0.5θ) = (2 − 0.2, −1 − 0.05); m = 0.1·g
    np.testing.assert_allclose(theta, [1.8, -1.05])
    np.testing.assert_allclose(m, [0.3, 0.05])
    theta, m = ex.lion_reference(theta, np.array([-0.1, -2.0]), m, **hp)
    # u = sign(0.5·m + 0.5·g) = sign(0.1, −0.975) = (1, −1); θ = (1.8 − 0.1·(1 + 0.9), −1.05 − 0.1·(−1 − 0.525))
    np.testing.assert_allclose(theta, [1.61, -0.8975])
    np.testing.assert_allclose(m, [0.26, -0.155])


def test_reference_agrees_with_adamlab_optim_and_the_torch_transcription():
    try:
        lion_step = importlib.import_module("adamlab.optim").lion_step
    except AttributeError:
        lion_step = None
    for case in _all_cases(seed=11):
        ours = rollout(SPEC, ex.lion_reference, case)
        assert first_departure(torch_rollout(SPEC, case), ours, SPEC.outputs) is None, case.label
        if lion_step is not None:
            assert first_departure(rollout(SPEC, lion_step, case), ours, SPEC.outputs) is None, case.label


def test_the_catalogue_without_a_slip_is_the_reference():
    for case in _all_cases(seed=12):
        a, b = rollout(SPEC, ex.lion_like, case), rollout(SPEC, ex.lion_reference, case)
        for name in SPEC.outputs:
            np.testing.assert_array_equal(a[name], b[name])


def test_every_hyperparameter_changes_in_the_visible_trajectory():
    varied = cases(SPEC, "trajectory", None)[1].hp
    assert all(varied[k] != v for k, v in ex.LION_DEFAULTS.items()), varied
    assert varied["weight_decay"] > 0


# --- np.sign(0) -------------------------------------------------------------------------------------------


def _interpolations(case):
    """β₁·m + (1 − β₁)·g at every step of the reference's rollout on ``case``, relative to the size of its terms."""
    hp = {**ex.LION_DEFAULTS, **case.hp}
    m = rollout(SPEC, ex.lion_reference, case)["m"]
    previous = np.vstack([np.zeros_like(case.theta0)[None], m[:-1]])
    c = hp["beta1"] * previous + (1 - hp["beta1"]) * case.grads
    return np.abs(c) / (hp["beta1"] * np.abs(previous) + (1 - hp["beta1"]) * np.abs(case.grads))


@pytest.mark.parametrize("seed", range(4))
def test_no_graded_input_makes_the_sign_of_zero_matter(seed):
    """np.sign(0) = 0 is the convention, but no check depends on it: no interpolation cancels to within rounding
    on any suite (another order of the same sums gives the same signs), and a sign written as c/|c| (NaN at 0)
    passes every check."""
    for case in _all_cases(seed):
        assert _interpolations(case).min() > 1e-9, case.label
    ratio = _lion(
        "    c = beta1 * m + (1 - beta1) * grad\n"
        "    return theta - lr * (c / np.abs(c) + weight_decay * theta), beta2 * m + (1 - beta2) * grad\n"
    )
    for case in _all_cases(seed):
        assert check_case(SPEC, ratio, case) is None, case.label


def test_the_notebook_states_the_sign_of_zero():
    text = (REPO / "solutions" / "ex08_beyond" / "ex08_beyond.ipynb").read_text()
    assert "`np.sign(0)` is `0`" in text


# --- the catalogue: every mistake fails a visible check, named -----------------------------------------------


@pytest.mark.parametrize("mistake", SPEC.mistakes, ids=lambda m: m.key)
def test_every_catalogued_mistake_is_caught_and_named_by_a_visible_check(mistake):
    messages = [check_case(SPEC, mistake.fn, c) for s in VISIBLE for c in cases(SPEC, s, None)]
    failing = [m for m in messages if m]
    assert failing, f"{mistake.key} passes the visible checks"
    assert any(named(m, mistake.title) for m in failing), failing


@pytest.mark.parametrize("mistake", SPEC.mistakes, ids=lambda m: m.key)
def test_no_check_names_another_mistake(mistake):
    """On every suite that fails, in the kernel and through the grader's transport, the verdict is this mistake:
    the ones alike on the first step (β's swapped and Signum: m = (1 − β₁)·g in both) are told apart by the
    visible trajectory's diagnostics."""
    for p in (probe(f"lion_step:{suite}") for suite in SUITES):
        for inputs in (
            p.make_inputs(None if p.visible else np.random.default_rng(7)),
            p.make_inputs(np.random.default_rng(8)),
        ):
            message, key = p.verdict(inputs, roundtrip(p.run(mistake.fn, inputs)))
            assert message is None or key == mistake.key, (p.name, message)


def _swapped(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
    update = np.sign(beta2 * m + (1 - beta2) * grad)
    return theta - lr * (update + weight_decay * theta), beta1 * m + (1 - beta1) * grad


def _m_first(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
    m = beta2 * m + (1 - beta2) * grad
    return theta - lr * (np.sign(beta1 * m + (1 - beta1) * grad) + weight_decay * theta), m


def _decay_without_lr(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
    update = np.sign(beta1 * m + (1 - beta1) * grad)
    return theta - lr * update - weight_decay * theta, beta2 * m + (1 - beta2) * grad


def _reused_m(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
    m = beta1 * m + (1 - beta1) * grad
    theta = theta - lr * (np.sign(m) + weight_decay * theta)
    m = beta2 * m + (1 - beta2) * grad
    return theta, m


@pytest.mark.parametrize(
    "fn, key",
    [
        (_swapped, "swapped_betas"),
        (_m_first, "m_updated_before_sign"),
        (_decay_without_lr, "decay_without_lr"),
        (_reused_m, "m_from_interpolation"),
    ],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_the_issues_mistakes_as_students_write_them_are_named_in_every_failing_suite(fn, key):
    assert_named_in_every_failing_suite(SPEC, fn, key)


def test_a_decay_mistake_is_silent_at_the_defaults_and_caught_with_weight_decay():
    """weight_decay defaults to 0: the first step cannot see the decay; the second visible trajectory can."""
    assert check_case(SPEC, _decay_without_lr, cases(SPEC, "first_step", None)[0]) is None
    default_run, decay_run = cases(SPEC, "trajectory", None)
    assert check_case(SPEC, _decay_without_lr, default_run) is None
    assert "weight decay not scaled by the learning rate" in check_case(SPEC, _decay_without_lr, decay_run)


# --- structure ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, words",
    [
        ("    raise NotImplementedError()\n", "not implemented yet"),
        (
            "    update = np.sign(beta1 * m + (1 - beta1) * grad)\n    m *= beta2\n    m += (1 - beta2) * grad\n"
            "    return theta - lr * (update + weight_decay * theta), m\n",
            "modified its input `m` in place",
        ),
        ("    return theta - lr * np.sign(grad)\n", "must return a tuple (theta, m)"),
        ("    return (theta - lr * np.sign(grad)).astype(np.float32), m\n", "float64"),
        ("    return list(theta - lr * np.sign(grad)), m\n", "expected a NumPy array"),
    ],
)
def test_structural_errors_have_clear_messages(body, words):
    message = structural_message(SPEC, _lion(body))
    assert message and words in message, message


def test_a_list_is_accepted_where_a_tuple_is_expected(capsys):
    """The grader's proxy brings tuples back as lists: the kernel accepts them too."""
    as_list = _lion(
        "    return list(REF(theta, grad, m, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay))\n"
    )
    as_list.__globals__["REF"] = ex.lion_reference
    for suite in (*VISIBLE, "pure"):
        check("lion_step", as_list, suite)
    assert capsys.readouterr().out.count("correct") == 3


def test_signature_defaults_are_checked():
    def lion_step(theta, grad, m, *, lr=1e-3, beta1=0.9, beta2=0.99, weight_decay=0.0):
        return ex.lion_reference(theta, grad, m, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)

    assert "default for `lr` is 0.001" in signature_problems(SPEC, lion_step)


def test_the_exercise_forbids_the_reference_packages():
    assert {"adamlab", "torch"} <= set(ex.EXERCISE.forbidden_imports)


# --- wrong solutions made from the solution's cell with named edits, graded by
# tests/grading/test_instructor_flow.py: each must lose lion_step's points, with the catalogued mistake named.
ASSIGNMENT = ex.EXERCISE.name
INTERPOLATION = "np.sign(beta1 * m + (1 - beta1) * grad)"
DECAY = "theta - lr * (update + weight_decay * theta)"
MEMORY = "    m = beta2 * m + (1 - beta2) * grad  # the memory comes last, with beta2\n"
WRONG_CELLS = [
    CellSubmission(
        ASSIGNMENT, student, "lion_step", replaced(solution_code(REPO, ASSIGNMENT, "lion_step"), edits, student), key
    )
    for student, edits, key in (
        (
            "lion_swapped_betas",
            (
                (INTERPOLATION, "np.sign(beta2 * m + (1 - beta2) * grad)"),
                ("m = beta2 * m + (1 - beta2) * grad", "m = beta1 * m + (1 - beta1) * grad"),
            ),
            "swapped_betas",
        ),
        (
            "lion_m_before_sign",
            ((MEMORY, ""), ("    update = ", MEMORY + "    update = ")),
            "m_updated_before_sign",
        ),
        ("lion_decay_without_lr", ((DECAY, "theta - lr * update - weight_decay * theta"),), "decay_without_lr"),
        ("lion_no_sign", ((INTERPOLATION, "(beta1 * m + (1 - beta1) * grad)"),), "no_sign"),
    )
]


@pytest.mark.parametrize("sub", WRONG_CELLS, ids=lambda s: s.student)
def test_every_wrong_cell_fails_a_visible_check_with_its_mistake_named(sub):
    namespace = {"np": np}
    exec(sub.source, namespace)  # noqa: S102 - a student's cell
    title = next(m.title for m in SPEC.mistakes if m.key == sub.mistake)
    messages = []
    for suite in VISIBLE:
        try:
            check("lion_step", namespace["lion_step"], suite)
        except AssertionError as failure:
            messages.append(str(failure))
    assert messages and any(named(m, title) for m in messages), messages
