"""The checking engine, on every exercise of the registry: references pass and agree with torch, every
catalogued mistake is caught and named, the transport changes no verdict, the sandbox holds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from adamlab.grading import check, check_probe
from adamlab.grading.confirm.sandbox import run_student_code
from adamlab.grading.engine import steps, transport
from adamlab.grading.engine.functions import outcome
from adamlab.grading.engine.messages import Mistake, diagnosis
from adamlab.grading.engine.steps import (
    SUITES,
    cases,
    check_case,
    first_departure,
    reference_rollout,
    rollout,
    signature_problems,
    torch_rollout,
)
from adamlab.grading.exercises import EXERCISES, PROBES, exercise, probe

STEP_SPECS = [s for e in EXERCISES for s in e.step_specs]
FUNCTION_SPECS = [s for e in EXERCISES for s in e.function_specs]
FIXED, RANDOM = ("first_step", "trajectory"), ("default", "settings")
by_name = {"ids": lambda s: s.name}


def suite_cases(spec, seed=0) -> dict[str, list]:
    """Every value-checking suite's cases: the fixed ones, then random ones from ``seed``."""
    rng = np.random.default_rng(seed)
    return {s: cases(spec, s, None if s in FIXED else rng) for s in FIXED + RANDOM}


def departs(spec, fn, case) -> bool:
    """Whether ``fn`` is caught on ``case``: its rollout departs from the reference's (no diagnosis needed)."""
    try:
        with np.errstate(all="ignore"):
            got = rollout(spec, fn, case, check_purity=False)
    except steps.StudentError:
        return True
    return first_departure(reference_rollout(spec, case), got, spec.outputs) is not None


def named(message: str, title: str) -> bool:
    """Whether ``title`` is the most likely mistake, or among the other matches, in ``message``."""
    return any(
        line.startswith(f"Most likely mistake: {title}.")
        or (line.startswith("Also consistent with:") and title in line)
        for line in message.splitlines()
    )


# --- the registry ---------------------------------------------------------------------------------------


def test_registry_lists_every_exercise_once_with_known_probes():
    names = [e.name for e in EXERCISES]
    assert len(names) == len(set(names)) and names == sorted(names)
    for e in EXERCISES:
        assert exercise(e.name) is e
        for gid, name in e.tests.items():
            assert probe(name) is e.probe(name), (e.name, gid)
        for p in e.probes:
            assert PROBES[p.name] is p and ":" in p.name
    with pytest.raises(KeyError, match="no probe named"):
        probe("adam_step:nonsense")


# --- step functions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", STEP_SPECS, **by_name)
def test_reference_passes_every_suite_and_matches_torch(spec):
    for suite, cs in suite_cases(spec, seed=1).items():
        for case in cs:
            assert check_case(spec, spec.reference, case) is None, (suite, case.label)
            assert first_departure(torch_rollout(spec, case), reference_rollout(spec, case), spec.outputs) is None, (
                suite,
                case.label,
                case.hp,
            )
    for case in cases(spec, "pure", None) + cases(spec, "pure", np.random.default_rng(2)):
        assert check_case(spec, spec.reference, case, check_purity=True) is None


@pytest.mark.parametrize("spec", STEP_SPECS, **by_name)
@pytest.mark.parametrize("regime", [1.0, 1e-9, 1e4])
def test_torch_reference_matches_numpy_over_100_steps(spec, regime):
    rng = np.random.default_rng(6)
    for hp in ({**spec.defaults, **spec.required}, *spec.settings):
        case = steps.Case(
            "torch check", rng.normal(size=7) * 3, rng.normal(size=(100, 7)) * regime, {**spec.required, **hp}
        )
        ours, theirs = reference_rollout(spec, case), torch_rollout(spec, case)
        assert first_departure(theirs, ours, spec.outputs) is None, hp
        assert np.abs(ours["theta"][-1] - case.theta0).max() > 0


@pytest.mark.parametrize("spec", STEP_SPECS, **by_name)
def test_settings_cover_the_hyperparameters(spec):
    for key in spec.defaults:
        assert len({s[key] for s in spec.settings} | {spec.defaults[key]}) >= 2, f"{key} never varies"
    if "eps" in spec.defaults:
        assert max(s["eps"] for s in spec.settings) >= 0.1  # where ε's placement shows


@pytest.mark.parametrize("spec", STEP_SPECS, **by_name)
def test_every_mistake_is_caught_and_named(spec):
    """Caught: decided by the first departure from the reference. Named: the message of a failing suite
    names it (the diagnosis reuses the catalogue's cached rollouts)."""
    assert len({m.key for m in spec.mistakes}) == len(spec.mistakes) >= 5
    all_cases = suite_cases(spec, seed=3)
    for mistake in spec.mistakes:
        # A student's function is called without the hyperparameters it defaults: so is the variant.
        assert signature_problems(spec, mistake.fn) is None, mistake.key
        failing = [
            next(c for c in cs if departs(spec, mistake.fn, c))
            for cs in all_cases.values()
            if any(departs(spec, mistake.fn, c) for c in cs)
        ]
        assert failing, f"{mistake.key} passes every suite"
        assert any(named(check_case(spec, mistake.fn, c) or "", mistake.title) for c in failing), mistake.key


@pytest.mark.parametrize("spec", STEP_SPECS, **by_name)
def test_every_mistake_fails_the_same_suites_whatever_the_seed(spec):
    """A re-grade draws fresh inputs: a mistake caught by a suite for one seed must be caught for every seed,
    or re-grading the same submission could change its score."""
    for suite in RANDOM + FIXED:
        per_seed = [cases(spec, suite, np.random.default_rng(seed)) for seed in range(8)]
        for mistake in spec.mistakes:
            caught = {any(departs(spec, mistake.fn, c) for c in cs) for cs in per_seed}
            assert len(caught) == 1, f"{spec.name}: {mistake.key} is caught by the {suite} suite for some seeds only"


@pytest.mark.parametrize("spec", STEP_SPECS, **by_name)
def test_mistakes_are_distinguishable(spec):
    """No two catalogue entries give the same rollouts on every suite (one would be dead weight)."""
    all_cases = [case for cs in suite_cases(spec, seed=4).values() for case in cs]
    outs = {m.key: [steps.mistake_rollout(spec, m, case) for case in all_cases] for m in spec.mistakes}
    for a, b in itertools.combinations(outs, 2):
        assert any(
            x is None or y is None or first_departure(x, y, spec.outputs) for x, y in zip(outs[a], outs[b], strict=True)
        ), (a, b)


def test_diagnosis_rolls_out_each_mistake_once_per_case():
    calls = []

    def counted(theta, grad, lr):
        calls.append(1)
        return theta + lr * grad

    spec = steps.StepSpec(
        "toy_step",
        lambda theta, grad, lr: theta - lr * grad,
        (),
        lambda theta: (),
        False,
        {},
        (),
        "torch.optim.SGD",
        None,
        required={"lr": 0.1},
        mistakes=(Mistake("ascent", "plus instead of minus", "θ − lr·g.", counted),),
    )
    case = cases(spec, "trajectory", None)[0]
    messages = {check_case(spec, lambda theta, grad, lr: theta + lr * grad, case)}
    once = len(calls)  # the case, and the diagnostic cases (the visible trajectory, lr changed)
    assert once == len(case.grads) * (1 + len(steps.diagnostic_cases(spec)) - 2)  # "again" is "base" again
    messages |= {check_case(spec, lambda theta, grad, lr: theta + lr * grad, case) for _ in range(4)}
    assert len(messages) == 1 and "Most likely mistake: plus instead of minus" in messages.pop()
    assert len(calls) == once  # one rollout per case, however many students make the mistake


# --- plain functions ------------------------------------------------------------------------------------


def function_suites(spec, seed=8) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    return {s: spec.items(s, None) for s in spec.fixed_suites} | {s: spec.items(s, rng) for s in spec.random_suites}


def function_messages(spec, fn, seed=8) -> dict[str, str]:
    out = {}
    for suite, items in function_suites(spec, seed).items():
        for item in items:
            message = spec.judge(spec, item, outcome(spec, fn, item))
            if message:
                out[suite] = message
                break
    return out


@pytest.mark.parametrize("spec", FUNCTION_SPECS, **by_name)
def test_function_references_pass_their_own_checks(spec, capsys):
    assert function_messages(spec, spec.reference) == {}
    for suite in spec.fixed_suites + spec.random_suites:
        check_probe(f"{spec.name}:{suite}", spec.reference, seed=9)
    assert capsys.readouterr().out.count("— correct.") == len(spec.fixed_suites + spec.random_suites)


@pytest.mark.parametrize("spec", FUNCTION_SPECS, **by_name)
def test_every_function_mistake_fails_with_its_name(spec):
    assert len(spec.mistakes) >= 5
    for mistake in spec.mistakes:
        messages = function_messages(spec, mistake.fn)
        assert messages, f"{mistake.key} passes every suite"
        assert any(mistake.title in m for m in messages.values()), (mistake.key, messages)
        suite = next(iter(messages))
        with pytest.raises(AssertionError, match="Most likely mistake"):
            check_probe(f"{spec.name}:{suite}", mistake.fn, seed=8)


# --- the transport: what crosses to the sandbox changes no verdict --------------------------------------


def test_transport_round_trips_plain_trees_and_refuses_the_rest(tmp_path):
    tree = {
        "a": np.arange(3),
        "b": [1, 2.5, "x", None, True],
        "c": {"d": np.zeros((2, 2), dtype=np.float32)},
        "nan": float("nan"),
    }
    transport.write(str(tmp_path / "t.npz"), tree)
    back = transport.read(str(tmp_path / "t.npz"))
    assert back["a"].dtype == np.int64 and back["c"]["d"].dtype == np.float32 and back["b"] == [1, 2.5, "x", None, True]
    assert np.isnan(back["nan"])
    for bad in ({"f": object()}, {"f": np.array(["text"])}, {1: 2}, {"__array__": "a0"}):
        with pytest.raises(TypeError):
            transport.encode(bad)


@pytest.mark.parametrize("spec", FUNCTION_SPECS, **by_name)
def test_probe_verdicts_are_the_same_on_both_sides_of_the_transport(spec):
    fns = [spec.reference, *(m.fn for m in spec.mistakes[:3]), lambda *a, **k: 1 / 0]
    for suite in spec.fixed_suites + spec.random_suites:
        p = probe(f"{spec.name}:{suite}")
        inputs = p.make_inputs(np.random.default_rng(12))
        for fn in fns:
            try:
                outputs = p.run(fn, inputs)
            except (AssertionError, NotImplementedError):
                continue
            assert p.judge(transport.roundtrip(inputs), transport.roundtrip(outputs)) == p.judge(inputs, outputs)


# --- kernel-side messages -------------------------------------------------------------------------------


def test_wrong_default_in_signature_is_reported():
    namespace = {"np": np}
    exec(
        "def adam_step(theta, grad, m, v, t, *, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):\n    return theta, m, v\n",
        namespace,
    )
    with pytest.raises(AssertionError, match="default for `lr` is 0.01"):
        check("adam_step", namespace["adam_step"], "first_step")


def test_check_passes_correct_code_and_says_so(capsys):
    spec = next(s for s in STEP_SPECS if s.name == "adam_step")
    check("adam_step", spec.reference, "trajectory")
    check("adam_step", spec.reference, "settings", seed=3)
    assert capsys.readouterr().out.count("— correct.") == 2
    with pytest.raises(ValueError, match="unknown suite"):
        check("adam_step", spec.reference, "hidden")


def test_one_formatter_words_every_diagnosis():
    a, b = Mistake("a", "first title", "Fix it."), Mistake("b", "second title", "")
    assert diagnosis([a, b]) == "Most likely mistake: first title. Fix it.\nAlso consistent with: second title."
    assert diagnosis([]).startswith("It matches none of the common mistakes we know")
    assert diagnosis([], otherwise=None) == ""


# --- the sandbox -----------------------------------------------------------------------------------------

CORRECT = """
import numpy as np
def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * m / (1 - beta1**t) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v
"""


def _plan():
    return [
        (name, probe(name).make_inputs(np.random.default_rng(1))) for name in ("adam_step:settings", "adam_step:pure")
    ]


def test_sandbox_returns_the_students_outputs_and_the_grader_confirms_them():
    plan = _plan()
    result = run_student_code([CORRECT], plan)
    assert result.problem is None
    for (name, inputs), item in zip(plan, result.items, strict=True):
        assert item["error"] is None
        assert probe(name).grader_judge(inputs, item["outputs"]) is None


def test_sandbox_reports_a_missing_function_and_a_wrong_signature():
    plan = _plan()
    missing = run_student_code(["x = 1"], plan)
    assert all(item["error"] == "missing" for item in missing.items)
    wrong = run_student_code([CORRECT.replace("lr=1e-3", "lr=1e-2")], plan)
    assert all("default for `lr` is 0.01" in item["message"] for item in wrong.items)


@pytest.mark.parametrize(
    "code,words",
    [
        (CORRECT + "\nimport os\nos._exit(0)\n", "ended the process"),
        (CORRECT + "\nwhile True:\n    pass\n", "timed out"),
        (CORRECT + "\nimport os\nos._exit(3)\n", "ended the process"),
    ],
)
def test_sandbox_survives_hostile_code(code, words):
    result = run_student_code([code], _plan(), timeout=3)
    assert result.problem and words in result.problem


def test_sandbox_ignores_a_cell_that_raises_like_a_notebook_would():
    result = run_student_code(["1 / 0", CORRECT], _plan())
    assert result.problem is None and all(item["error"] is None for item in result.items)
    assert "ZeroDivisionError" in result.stderr_tail


def test_every_probe_names_its_suite():
    assert set(SUITES) <= {p.suite for p in PROBES.values()}
