"""Diagnoses are right or say "not one I know", never wrong: the natural mistakes (tests/grading/natural_mistakes.py)
each get their verdict on both paths (the kernel's, and the grader's through a proxy), and each rule of the
diagnosis has a test that fails without it."""

from __future__ import annotations

import dataclasses
import linecache

import numpy as np
import pytest
from natural_mistakes import MISTAKES, Natural

import diagnosis_census as census
from adamlab.grading import check
from adamlab.grading.engine import steps
from adamlab.grading.engine.steps import cases, check_case, first_departure, rollout, varied_hp
from adamlab.grading.engine.transport import roundtrip
from adamlab.grading.exercises import EXERCISES, probe
from adamlab.grading.exercises.adam_family import ADAM

SPECS = {s.name: s for e in EXERCISES for s in e.step_specs}
FUNCTIONS = {s.name: s for e in EXERCISES for s in e.function_specs}


def test_the_census_holds_at_least_60_mistakes_across_the_exercises():
    assert len(MISTAKES) >= 60
    assert {m.function for m in MISTAKES} >= {
        "gd_step",
        "max_stable_lr",
        "momentum_step",
        "adagrad_step",
        "rmsprop_step",
        "adam_step",
        "adamw_step",
        "amsgrad_step",
    }
    assert sum(m.expected == "unknown" for m in MISTAKES) >= 4  # the census also asks for honest "unknown"s


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.function}-{m.expected}")
def test_every_natural_mistake_gets_its_verdict_on_both_paths(mistake: Natural):
    kernel, grader = census._run_path(mistake, grader=False), census._run_path(mistake, grader=True)
    assert any(r["message"] for r in kernel if r.get("visible")), "no visible check catches it"
    verdict = census.classify(mistake, kernel + grader)
    assert verdict == "named", "\n\n".join(f"{r['probe']} [{r['key']}]\n{r['message']}" for r in kernel + grader)


# --- each rule of the diagnosis, with a test that fails without it ------------------------------------------


def _student(code: str, name: str):
    filename = f"<cell: test {abs(hash(code))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(code, filename, "exec"), namespace)
    return namespace[name]


def _adam(body: str):
    return _student(
        "def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n" + body, "adam_step"
    )


SWAPPED = _adam(
    "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
    "    return theta - lr * m / (1 - beta1**t) / (np.sqrt(v / (1 - beta2**t)) + eps), v, m\n"
)


def test_a_one_step_coincidence_on_theta_names_nothing():
    """(θ, v, m) returned: θ is right on the first step, as it is for 't = 1 always'; without the catalogue's
    own entry, the diagnosis must say it knows no match rather than name the coincidence."""
    spec = dataclasses.replace(ADAM, mistakes=tuple(m for m in ADAM.mistakes if not m.key.startswith("swapped")))
    message = check_case(spec, SWAPPED, cases(spec, "first_step")[0])
    assert "θ matches torch.optim.Adam on every step; the returned m does not." in message
    assert "Most likely mistake" not in message and "matches none" in message
    assert "swapped_outputs:m,v" in {m.key for m in ADAM.mistakes}


def test_steps_are_compared_not_only_theta():
    """|θ| ≈ 5: a step of lr² = 1e-6 and no step at all are 5e-6 apart relative to θ, yet different steps."""
    case = cases(ADAM, "first_step")[0]
    lr_twice, unchanged = (next(m for m in ADAM.mistakes if m.key == k) for k in ("lr_twice", "unchanged"))
    a, b = (rollout(ADAM, m.fn, case, check_purity=False) for m in (lr_twice, unchanged))
    assert first_departure(a, b, ("theta",)) is None  # θ alone cannot tell them apart
    assert first_departure(a, b, ("theta",), case.theta0) is not None  # the steps can
    message = check_case(ADAM, unchanged.fn, case)
    assert "Most likely mistake: theta (and the state) returned unchanged" in message and "lr_twice" not in message
    assert "Your step there is +0; torch.optim.Adam's is -0.001." in message


def test_a_mistake_is_named_only_if_it_reproduces_every_diagnostic_case():
    """Damped momentum that ignores nesterov: 'damped' fits the default runs, not the Nesterov one."""
    student = _student(
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    buf = (1 - momentum) * grad if buf is None else momentum * buf + (1 - momentum) * grad\n"
        "    return theta - lr * buf, buf\n",
        "momentum_step",
    )
    p = probe("momentum_step:first_step")
    inputs = p.make_inputs(None)
    message, key = p.verdict(inputs, roundtrip(p.run(student, inputs)))
    assert key == "ignores_hyperparameter" and "whatever nesterov it is given" in message
    assert "damped" not in message.split("Most likely mistake")[1]


def test_nan_is_reported_as_nan_where_it_first_appears_and_adagrad_is_not_asked_about_t():
    spec = dataclasses.replace(SPECS["adagrad_step"], mistakes=())
    student = _student(
        "def adagrad_step(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):\n"
        "    sum_sq = sum_sq + grad\n    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq\n",
        "adagrad_step",
    )
    message = check_case(spec, student, cases(spec, "first_step")[0])
    assert "Your theta[1] is NaN at step 1, the first value that is not finite" in message
    assert " t " not in message and "t counts" not in message
    p = probe("adagrad_step:first_step")
    inputs = p.make_inputs(None)
    assert p.verdict(inputs, roundtrip(p.run(student, inputs)))[1] == "g_not_squared"


def test_the_students_own_line_is_shown_when_their_code_raises():
    student = _student(
        "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
        "    if buf == None:\n        buf = grad.copy()\n    else:\n        buf = momentum * buf + grad\n"
        "    return theta - lr * buf, buf\n",
        "momentum_step",
    )
    with pytest.raises(AssertionError) as err:
        check("momentum_step", student, "trajectory")
    assert "line 2, in momentum_step: if buf == None:" in str(err.value)
    assert "(at step 2, default hyperparameters, lr = 0.1)" in str(err.value)


def test_hard_coded_hyperparameters_are_found_by_varying_each_argument():
    student = _student(
        "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
        "    sq_avg = 0.99 * sq_avg + 0.01 * grad**2\n"
        "    return theta - 0.01 * grad / (np.sqrt(sq_avg) + 1e-8), sq_avg\n",
        "rmsprop_step",
    )
    for suite in ("first_step", "pure"):
        check("rmsprop_step", student, suite)  # right with the defaults...
    with pytest.raises(AssertionError, match="whatever lr, alpha and eps it is given: they are written into the code"):
        check("rmsprop_step", student, "trajectory")  # ...and caught by a visible check


def test_state_of_its_own_is_found_by_calling_twice():
    student = _student(
        "calls = 0\n\n"
        "def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        "    global calls\n    calls += 1\n"
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    return theta - lr * m / (1 - beta1**calls) / (np.sqrt(v / (1 - beta2**calls)) + eps), m, v\n",
        "adam_step",
    )
    with pytest.raises(AssertionError, match="Called twice with the same inputs"):
        check("adam_step", student, "pure")


def test_the_papers_epsilon_hat_form_gets_its_own_friendly_message():
    student = _adam(
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n"
        "    return theta - step * m / (np.sqrt(v) + eps), m, v\n"
    )
    with pytest.raises(AssertionError, match="Your Adam is right, in the paper's form"):
        check("adam_step", student, "first_step")


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda s: s.name)
def test_messages_name_the_hyperparameters_once(spec):
    wrong = spec.mistakes[0].fn
    for suite in ("first_step", "trajectory", "default"):
        for case in cases(spec, suite, None if suite != "default" else np.random.default_rng(0)):
            message = check_case(spec, wrong, case) or ""
            assert message.count("default hyperparameters") <= 1, message


# --- visible checks cover what the hidden tests grade ------------------------------------------------------


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda s: s.name)
def test_a_visible_trajectory_changes_every_hyperparameter(spec):
    varied = cases(spec, "trajectory", None)[1].hp
    for name, default in {**spec.defaults, **spec.required}.items():
        assert varied[name] != default, name
        assert varied[name] in {s.get(name) for s in spec.settings} | {varied_hp(spec)[name]}
    if spec.name == "momentum_step":
        assert varied["nesterov"] is True


def test_a_visible_max_stable_lr_example_has_close_top_eigenvalues():
    top = [np.linalg.eigvalsh(i.args["A"])[-2:] for i in FUNCTIONS["max_stable_lr"].items("examples")]
    assert any(len(lam) == 2 and lam[0] > 0.98 * lam[1] for lam in top)


def test_nesterov_bugs_fail_a_visible_check():
    for key in ("nesterov_ignored", "nesterov_without_grad", "always_nesterov"):
        fn = next(m.fn for m in SPECS["momentum_step"].mistakes if m.key == key)
        failed = []
        for suite in ("first_step", "trajectory"):
            try:
                check("momentum_step", fn, suite)
            except AssertionError:
                failed.append(suite)
        assert failed, key


# --- the verdict the grader's report counts -------------------------------------------------------------


def test_grader_verdict_gives_the_message_and_the_key_and_survives_the_proxy():
    p = probe("adam_step:settings")
    inputs = p.make_inputs(np.random.default_rng(4))
    student = census._proxy(SWAPPED)
    outputs = roundtrip(p.run(student, roundtrip(inputs)))
    message, key = p.grader_verdict(inputs, outputs)
    assert key == "swapped_outputs:m,v" and message == p.grader_judge(inputs, outputs)
    assert p.verdict(inputs, roundtrip(p.run(SWAPPED, inputs)))[1] == key
    assert p.grader_verdict(inputs, roundtrip(p.run(ADAM.reference, inputs))) == (None, None)


def test_steps_module_keeps_its_public_names():
    for name in ("diagnose", "first_departure", "check_case", "step_probes", "rollout", "cases"):
        assert hasattr(steps, name)


def test_a_probe_whose_run_raises_shows_the_students_line():
    from adamlab.grading import check_probe

    student = _student(
        "def reddi_path(amsgrad, *, steps=3000, C=3.0, lr=0.01):\n    x = [0.0]\n    return x / steps\n",
        "reddi_path",
    )
    with pytest.raises(AssertionError, match=r"line 3, in reddi_path: return x / steps"):
        check_probe("reddi_path:counterexample", student)
