"""The checking engine: correct code passes, every catalogued mistake is caught and named."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab import optimizers as O
from adamlab.grading import check
from adamlab.grading.contract import check_case, rollout
from adamlab.grading.probes import probe
from adamlab.grading.registry import CONTRACTS, TESTS
from adamlab.grading.sandbox import run_student_code
from adamlab.grading.suites import SUITES, cases
from adamlab.grading.torch_reference import TORCH, torch_rollout

ADAM_FAMILY = [CONTRACTS[n] for n in ("adam_step", "adamw_step", "amsgrad_step")]
VALUE_SUITES = ("first_step", "trajectory", "default", "settings")


def suite_cases(c, suite, seed=0):
    return cases(c, suite, None if suite in ("first_step", "trajectory", "pure") else np.random.default_rng(seed))


@pytest.mark.parametrize("c", list(CONTRACTS.values()), ids=lambda c: c.name)
def test_reference_passes_every_suite_also_on_random_inputs(c):
    for suite in SUITES:
        for case in suite_cases(c, suite) + cases(c, suite, np.random.default_rng(7)):
            assert check_case(c, c.reference, case, check_purity=(suite == "pure")) is None


@pytest.mark.parametrize("c", [c for c in CONTRACTS.values() if c.name in TORCH], ids=lambda c: c.name)
def test_numpy_reference_matches_torch_optim(c):
    for suite in ("default", "settings"):
        for case in cases(c, suite, np.random.default_rng(3)):
            ours, theirs = rollout(c, c.reference, case), torch_rollout(c, case)
            for name in c.outputs:
                np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("c,mistake", [(c, m) for c in ADAM_FAMILY for m in c.mistakes],
                         ids=lambda x: getattr(x, "key", getattr(x, "name", "")))
def test_every_catalogued_mistake_is_caught_and_named(c, mistake):
    messages = [check_case(c, mistake.fn, case) for suite in VALUE_SUITES for case in suite_cases(c, suite)]
    failures = [m for m in messages if m]
    assert failures, f"{mistake.key} passes every suite"
    assert any(f"Most likely mistake: {mistake.title}" in m or mistake.title in m.split("Also consistent with:")[-1]
               for m in failures), f"{mistake.key} is never named:\n{failures[0]}"


def _adam_variant(body: str):
    namespace = {"np": np}
    exec("def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n" + body, namespace)
    return namespace["adam_step"]


@pytest.mark.parametrize("body,suite,words", [
    ("    raise NotImplementedError()\n", "first_step", "not implemented yet"),
    ("    m *= beta1\n    m += (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
     "    return theta - lr * m / (1 - beta1**t) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n",
     "pure", "modified its input `m` in place"),
    ("    return [theta, m, v]\n", "first_step", "must return a tuple"),
    ("    return theta.astype(np.float32), m, v\n", "first_step", "float64"),
    ("    return theta[:1], m, v\n", "first_step", "shape"),
    ("    return theta * np.nan, m, v\n", "first_step", "not finite"),
    ("    return theta, m\n", "first_step", "tuple of 2"),
])
def test_structural_mistakes_get_a_clear_message(body, suite, words):
    with pytest.raises(AssertionError, match=words.replace("(", r"\(").replace("`", "`")):
        check("adam_step", _adam_variant(body), suite)


def test_wrong_default_in_signature_is_reported():
    namespace = {"np": np}
    exec("def adam_step(theta, grad, m, v, t, *, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):\n"
         "    return theta, m, v\n", namespace)
    with pytest.raises(AssertionError, match="default for `lr` is 0.01"):
        check("adam_step", namespace["adam_step"], "first_step")


def test_check_passes_correct_code_and_says_so(capsys):
    check("adam_step", O.adam_step, "trajectory")
    assert "correct" in capsys.readouterr().out


def test_every_test_cell_spec_names_a_known_contract_and_suite():
    for assignment, cells in TESTS.items():
        for gid, (name, suite) in cells.items():
            if suite.startswith("probe:"):
                assert probe(suite[len("probe:"):]).function == name, (assignment, gid)
            else:
                assert name in CONTRACTS and suite in SUITES, (assignment, gid)


CORRECT = """
import numpy as np
def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * m / (1 - beta1**t) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v
"""


def _plan():
    c = CONTRACTS["adam_step"]
    return [("adam_step", case, False) for case in cases(c, "settings", np.random.default_rng(1))[:2]]


def test_sandbox_returns_the_students_outputs():
    plan = _plan()
    result = run_student_code([CORRECT], plan)
    assert result.problem is None
    for (name, case, _), item in zip(plan, result.items):
        expected = torch_rollout(CONTRACTS[name], case)
        np.testing.assert_allclose(item["outputs"]["theta"], expected["theta"], rtol=1e-9)


@pytest.mark.parametrize("code,words", [
    (CORRECT + "\nimport os\nos._exit(0)\n", "ended the process"),
    (CORRECT + "\nwhile True:\n    pass\n", "timed out"),
    (CORRECT + "\nimport numpy\nnumpy.savez = None\n", "ended the process"),
])
def test_sandbox_survives_hostile_code(code, words):
    result = run_student_code([code], _plan(), timeout=3)
    assert result.problem and words in result.problem


def test_sandbox_ignores_a_cell_that_raises_like_a_notebook_would():
    result = run_student_code(["1 / 0", CORRECT], _plan())
    assert result.problem is None and all(item["error"] is None for item in result.items)
    assert "ZeroDivisionError" in result.stderr_tail


@pytest.mark.parametrize("c", list(CONTRACTS.values()), ids=lambda c: c.name)
def test_every_mistake_fails_the_same_suites_whatever_the_seed(c):
    """A re-grade draws fresh inputs: a mistake caught by a suite for one seed must be caught for every seed,
    or re-grading the same submission could change its score."""
    for mistake in c.mistakes:
        for suite in VALUE_SUITES:
            caught = {any(check_case(c, mistake.fn, case) for case in cases(c, suite, np.random.default_rng(seed)))
                      for seed in range(8)}
            assert len(caught) == 1, f"{c.name}: {mistake.key} is caught by the {suite} suite for some seeds only"
