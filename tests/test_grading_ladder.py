"""The ladder's grading (ex01–ex04): references, torch agreement, mistake catalogues, kernel-side checks, notebooks."""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from adamlab import optimizers as O
from adamlab.grading import check_probe
from adamlab.grading import ladder as L
from adamlab.grading import ladder_probes as P
from adamlab.grading.contract import Case, check_case, first_departure, rollout, signature_problems
from adamlab.grading.probes import probe
from adamlab.grading.registry import CONTRACTS
from adamlab.grading.sandbox import run_student_code
from adamlab.grading.suites import cases
from adamlab.grading.torch_reference import torch_rollout

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_UNDER_TEST = {c.name: c for c in L.STEP_CONTRACTS}
FIXED, RANDOM = ("first_step", "trajectory"), ("default", "settings")
ASSIGNMENTS = ("ex01_gradient_descent", "ex02_sgd", "ex03_momentum", "ex04_adaptive")


def suite_cases(contract, seed=0):
    """Every value-checking suite's cases: the fixed ones, then random ones from ``seed``."""
    rng = np.random.default_rng(seed)
    return {s: cases(contract, s, None if s in FIXED else rng) for s in FIXED + RANDOM}


def first_message(contract, fn, cs):
    """The message of the first failing case of one suite, or None."""
    for case in cs:
        message = check_case(contract, fn, case)
        if message:
            return message
    return None


def named(message: str, title: str) -> bool:
    """Whether ``title`` is the most likely mistake, or among the other matches, in ``message``."""
    lines = message.splitlines()
    return any(line.startswith(f"Most likely mistake: {title}.") or
               (line.startswith("Also consistent with:") and title in line) for line in lines)


# --- step contracts ---------------------------------------------------------------------------------


def test_registry_holds_the_ladder():
    for name, c in CONTRACTS_UNDER_TEST.items():
        assert CONTRACTS[name] is c


@pytest.mark.parametrize("name", sorted(CONTRACTS_UNDER_TEST))
def test_reference_passes_every_suite_and_matches_torch(name):
    c = CONTRACTS_UNDER_TEST[name]
    for suite, cs in suite_cases(c, seed=1).items():
        for case in cs:
            assert check_case(c, c.reference, case) is None, (suite, case.label)
            assert first_departure(torch_rollout(c, case), rollout(c, c.reference, case), c.outputs) is None, \
                (suite, case.label, case.hp)
    for case in cases(c, "pure", None) + cases(c, "pure", np.random.default_rng(2)):
        assert check_case(c, c.reference, case, check_purity=True) is None


@pytest.mark.parametrize("name", sorted(CONTRACTS_UNDER_TEST))
def test_settings_cover_the_hyperparameters(name):
    c = CONTRACTS_UNDER_TEST[name]
    for key in c.defaults:
        assert len({s[key] for s in c.settings} | {c.defaults[key]}) >= 2, f"{key} never varies"
    if name == "momentum_step":
        assert {s["nesterov"] for s in c.settings} == {True, False}
        assert all(s["momentum"] > 0 for s in c.settings)  # torch keeps no buffer without momentum
    if "eps" in c.defaults:
        assert max(s["eps"] for s in c.settings) >= 0.1  # where ε's placement shows
    if "alpha" in c.defaults:
        assert any(s["alpha"] != 0.5 for s in c.settings)  # α and 1 − α differ


@pytest.mark.parametrize("name", sorted(CONTRACTS_UNDER_TEST))
def test_every_mistake_fails_and_is_named(name):
    c = CONTRACTS_UNDER_TEST[name]
    all_cases = suite_cases(c, seed=3)
    assert len(c.mistakes) >= 6
    assert len({m.key for m in c.mistakes}) == len(c.mistakes)
    for mistake in c.mistakes:
        # A student's function is called without the hyperparameters it defaults: so is the variant.
        assert signature_problems(c, mistake.fn) is None, mistake.key
        messages = {s: first_message(c, mistake.fn, cs) for s, cs in all_cases.items()}
        failed = {s: m for s, m in messages.items() if m}
        assert failed, f"{mistake.key} passes every suite"
        assert any(named(m, mistake.title) for m in failed.values()), (mistake.key, failed)


@pytest.mark.parametrize("name", sorted(CONTRACTS_UNDER_TEST))
def test_mistakes_are_distinguishable(name):
    """No two catalogue entries give the same rollouts on every suite (one would be dead weight)."""
    c = CONTRACTS_UNDER_TEST[name]
    all_cases = [case for cs in suite_cases(c, seed=4).values() for case in cs]
    outs = {m.key: [rollout(c, m.fn, case, check_purity=False) for case in all_cases] for m in c.mistakes}
    for a, b in itertools.combinations(outs, 2):
        assert any(first_departure(x, y, c.outputs) for x, y in zip(outs[a], outs[b])), (a, b)


# Mistakes as students write them: their own code and their own defaults, never the catalogue's functions.
def _gd_plus(theta, grad, lr):
    return theta + lr * grad


def _gd_lr_squared(theta, grad, lr):
    return theta - lr**2 * grad


def _gd_no_lr(theta, grad, lr):
    return theta - grad


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


STUDENTS = [
    ("gd_step", _gd_plus, "ascent"), ("gd_step", _gd_lr_squared, "lr_squared"), ("gd_step", _gd_no_lr, "lr_ignored"),
    ("momentum_step", _mom_damped, "damped"), ("momentum_step", _mom_cs231n, "lr_in_buffer"),
    ("momentum_step", _mom_no_nesterov, "nesterov_ignored"),
    ("momentum_step", _mom_nesterov_no_grad, "nesterov_without_grad"), ("momentum_step", _mom_sgd, "no_momentum"),
    ("adagrad_step", _ada_eps_inside, "eps_inside_sqrt"), ("adagrad_step", _ada_ema, "moving_average"),
    ("adagrad_step", _ada_no_sqrt, "no_sqrt"),
    ("rmsprop_step", _rms_eps_inside, "eps_inside_sqrt"),
    ("rmsprop_step", _rms_no_one_minus, "missing_one_minus_alpha"),
    ("rmsprop_step", _rms_swapped, "swapped_alpha"), ("rmsprop_step", _rms_sum, "sum_instead_of_average"),
]


@pytest.mark.parametrize("name, fn, key", STUDENTS, ids=[f"{n}-{k}" for n, _, k in STUDENTS])
def test_handwritten_mistakes_are_named_in_every_failing_suite(name, fn, key):
    c = CONTRACTS_UNDER_TEST[name]
    title = next(m.title for m in c.mistakes if m.key == key)
    failed = {s: m for s, cs in suite_cases(c, seed=5).items() if (m := first_message(c, fn, cs))}
    assert failed
    for suite, message in failed.items():
        assert named(message, title), (suite, message)


def _gd_in_place(theta, grad, lr):
    theta -= lr * grad
    return theta


def _mom_in_place(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):
    if buf is None:
        buf = grad.copy()
    else:
        buf *= momentum
        buf += grad
    return theta - lr * buf, buf


def _ada_in_place(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):
    sum_sq += grad**2
    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


@pytest.mark.parametrize("name, fn, expected", [
    ("gd_step", _gd_in_place, "modified its input `theta` in place"),
    ("gd_step", lambda theta, grad, lr: list(theta - lr * grad), "returned theta as list"),
    ("gd_step", lambda theta, grad, lr: (theta - lr * grad,), "returned theta as tuple"),
    ("gd_step", lambda theta, grad, lr: (theta - lr * grad).astype(np.float32), "dtype float32"),
    ("gd_step", lambda theta, grad, lr: (theta - lr * grad)[:1], "with shape (1,)"),
    ("momentum_step", _mom_in_place, "modified its input `buf` in place"),
    ("momentum_step", lambda theta, grad, buf, *, lr, momentum=0.9, nesterov=False: (theta - lr * grad, buf),
     "returned buf as NoneType"),
    ("momentum_step", lambda theta, grad, buf, *, lr, momentum=0.9, nesterov=False: [theta, grad],
     "must return a tuple (theta, buf); it returned list"),
    ("adagrad_step", _ada_in_place, "modified its input `sum_sq` in place"),
    ("rmsprop_step", lambda theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8: theta,
     "must return a tuple (theta, sq_avg)"),
])
def test_structural_errors_have_clear_messages(name, fn, expected):
    c = CONTRACTS_UNDER_TEST[name]
    pure = cases(c, "pure", None)[0]
    message = check_case(c, fn, pure, check_purity=True) or check_case(c, fn, cases(c, "first_step", None)[0])
    assert message and expected in message, message


def test_signature_defaults_are_checked():
    def adagrad_step(theta, grad, sum_sq, *, lr=0.1, eps=1e-10):
        return O.adagrad_step(theta, grad, sum_sq, lr=lr, eps=eps)

    assert "default for `lr` is 0.1" in signature_problems(L.ADAGRAD, adagrad_step)

    def momentum_step(theta, grad, buf, *, lr, momentum=0.9):
        return O.momentum_step(theta, grad, buf, lr=lr, momentum=momentum)

    assert "no parameter `nesterov`" in signature_problems(L.MOMENTUM, momentum_step)


@pytest.mark.parametrize("name", sorted(CONTRACTS_UNDER_TEST))
@pytest.mark.parametrize("regime", [1.0, 1e-9, 1e4])
def test_torch_reference_matches_adamlab_over_100_steps(name, regime):
    c = CONTRACTS_UNDER_TEST[name]
    rng = np.random.default_rng(6)
    for hp in ({**c.defaults, **c.required}, *c.settings):
        hp = {**c.required, **hp}
        case = Case("torch check", rng.normal(size=7) * 3, rng.normal(size=(100, 7)) * regime, hp)
        ours, theirs = rollout(c, c.reference, case), torch_rollout(c, case)
        assert first_departure(theirs, ours, c.outputs) is None, hp
        assert np.abs(ours["theta"][-1] - case.theta0).max() > 0


# --- max_stable_lr ------------------------------------------------------------------------------------


def test_max_stable_lr_reference_values_and_errors():
    f = P.max_stable_lr_reference
    assert f(np.diag([1.0, 4.0])) == pytest.approx(0.5)
    assert f(np.array([[2.0, 1.0], [1.0, 2.0]])) == pytest.approx(2 / 3)
    assert f(np.array([[4.0]])) == pytest.approx(0.5)
    for bad in (np.array([[2.0, 1.0], [0.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]), -np.eye(3), np.ones((2, 3))):
        with pytest.raises(ValueError):
            f(bad)
    example = P._max_stable_lr_inputs("examples", None)[3]["A"]
    assert np.linalg.eigvalsh(example) == pytest.approx([3.0, 6.0, 9.0])


def test_max_stable_lr_is_the_stability_threshold_of_gradient_descent():
    rng = np.random.default_rng(7)
    for args in P._max_stable_lr_inputs("random", rng)[:6]:
        A = args["A"]
        limit = P.max_stable_lr_reference(A)
        assert limit == pytest.approx(2 / np.max(np.linalg.eigvals(A).real))
        top = np.linalg.eigh(A)[1][:, -1]  # the stiffest direction

        def after(lr, steps=300):
            x = top.copy()
            for _ in range(steps):
                x = O.sgd_step(x, A @ x, lr=lr)
            return np.linalg.norm(x)

        assert after(0.98 * limit) < 1.0 < after(1.02 * limit)


def _probes(spec, seed=8):
    rng = np.random.default_rng(seed)
    return {s: spec.items(s, None) for s in spec.fixed_suites} | {s: spec.items(s, rng) for s in spec.random_suites}


def _spec_messages(spec, fn, seed=8):
    out = {}
    for suite, probes in _probes(spec, seed).items():
        for item in probes:
            message = spec.judge(spec, item, P.outcome(spec, fn, item))
            if message:
                out[suite] = message
                break
    return out


@pytest.mark.parametrize("name", sorted(P.FUNCTIONS))
def test_function_references_pass_their_own_checks(name):
    spec = P.FUNCTIONS[name]
    assert _spec_messages(spec, spec.reference) == {}
    for suite in spec.fixed_suites + spec.random_suites:
        check_probe(f"{name}:{suite}", spec.reference, seed=9)


@pytest.mark.parametrize("name", sorted(P.FUNCTIONS))
def test_every_function_mistake_fails_with_its_name(name):
    spec = P.FUNCTIONS[name]
    assert len(spec.mistakes) >= 5
    for mistake in spec.mistakes:
        messages = _spec_messages(spec, mistake.fn)
        assert messages, f"{mistake.key} passes every suite"
        assert any(mistake.title in m for m in messages.values()), (mistake.key, messages)
        suite = next(iter(messages))
        with pytest.raises(AssertionError, match="Most likely mistake"):
            check_probe(f"{name}:{suite}", mistake.fn, seed=8)


def _mslr_assert(A):
    A = np.asarray(A)
    assert np.allclose(A, A.T), "not symmetric"
    lam = np.linalg.eigvalsh(A)
    assert lam[0] > 0, "not positive definite"
    return 2 / lam[-1]


@pytest.mark.parametrize("fn, suite, expected", [
    (_mslr_assert, "errors", "must raise ValueError for this input"),
    (_mslr_assert, "errors", "it raised AssertionError: not symmetric"),
    (lambda A: 2 / np.linalg.eigvalsh(A), "examples", "returned an array of shape (2,)"),
    (lambda A: 2 / np.max(np.linalg.eigvals(A)), "errors", "no validation of A"),
    (lambda A: 2 / np.max(np.linalg.eigvals(A)) + 0j, "examples", "complex"),
    (lambda A: 2 / np.linalg.eigvalsh(A)[0], "examples", "2/λ_min instead of 2/λ_max"),
    (lambda A: 2 / np.linalg.eigvalsh(A)[0], "examples", "expected 0.5, got 2.0"),
    (lambda A: 1 / np.linalg.norm(A, 2), "examples", "1/λ_max instead of 2/λ_max"),
])
def test_max_stable_lr_messages(fn, suite, expected):
    with pytest.raises(AssertionError) as err:
        check_probe(f"max_stable_lr:{suite}", fn)
    assert expected in str(err.value)


# --- ex02: minibatches and schedules --------------------------------------------------------------------


def test_minibatches_reference_is_a_shuffled_partition():
    rng = np.random.default_rng(10)
    batches = P.minibatches_reference(10, 3, rng)
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert [len(b) for b in P.minibatches_reference(12, 4, rng)] == [4, 4, 4]
    assert [len(b) for b in P.minibatches_reference(5, 8, rng)] == [5]


def _mb_generator(n, batch_size, rng):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def _mb_floats(n, batch_size, rng):
    order = rng.permutation(np.arange(n, dtype=float))
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _mb_numpy_global(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _mb_split(n, batch_size, rng):
    return np.array_split(rng.permutation(n), math.ceil(n / batch_size))


def _mb_lists(n, batch_size, rng):  # lists of ints are fine
    order = rng.permutation(n).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.parametrize("fn, expected", [
    (_mb_generator, "wrap a generator in list(...)"),
    (_mb_floats, "indices must be integers"),
    (_mb_numpy_global, "rng is not used"),
    (_mb_split, "np.array_split"),
    (lambda n, b, rng: None, "returned a NoneType"),
])
def test_minibatches_messages(fn, expected):
    with pytest.raises(AssertionError) as err:
        check_probe("minibatches:examples", fn)
    assert expected in str(err.value)


def test_minibatches_accepts_lists_of_ints():
    check_probe("minibatches:examples", _mb_lists)
    check_probe("minibatches:random", _mb_lists, seed=11)


def _torch_rates(make, lr, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched, rates = make(opt), []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(rates)


@pytest.mark.parametrize("lr, step_size, gamma", [(0.1, 3, 0.1), (1.0, 1, 0.5), (0.03, 17, 0.7)])
def test_step_decay_reference_matches_steplr(lr, step_size, gamma):
    ours = [P.step_decay_lr_reference(k, lr=lr, step_size=step_size, gamma=gamma) for k in range(120)]
    theirs = _torch_rates(lambda o: lr_scheduler.StepLR(o, step_size, gamma), lr, 120)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("lr, total, min_lr", [(0.1, 10, 0.0), (1.0, 4, 0.1), (0.02, 97, 1e-4)])
def test_cosine_reference_matches_cosineannealinglr_then_holds(lr, total, min_lr):
    ours = np.array([P.cosine_lr_reference(k, lr=lr, total_steps=total, min_lr=min_lr) for k in range(total + 1)])
    theirs = _torch_rates(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=min_lr), lr, total + 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)
    assert P.cosine_lr_reference(3 * total, lr=lr, total_steps=total, min_lr=min_lr) == pytest.approx(min_lr)


def test_schedule_messages_name_step_and_defaults():
    def step_decay_lr(step, *, lr, step_size, gamma=0.5):
        return lr * gamma ** (step // step_size)

    with pytest.raises(AssertionError, match="default for `gamma` is 0.5"):
        check_probe("step_decay_lr:examples", step_decay_lr)

    def cosine_lr(step, *, lr, total_steps, min_lr=0.0):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        check_probe("cosine_lr:examples", cosine_lr)

    def rounded(step, *, lr, step_size, gamma=0.1):
        return lr * gamma ** round(step / step_size)

    with pytest.raises(AssertionError, match=r"at step \d+: expected"):
        check_probe("step_decay_lr:examples", rounded)

    def returns_array(step, *, lr, total_steps, min_lr=0.0):
        return np.array([lr, lr])

    with pytest.raises(AssertionError, match="expected one float"):
        check_probe("cosine_lr:examples", returns_array)


# --- notebooks ------------------------------------------------------------------------------------------


def _graded_cells(nb):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            yield cell, meta


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_has_a_written_answer_and_a_prediction(assignment):
    """(That its test cells agree with registry.TESTS is tests/test_source_notebooks.py's job, for every assignment.)"""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    written = [meta["grade_id"] for cell, meta in _graded_cells(nb) if meta.get("solution")]
    assert written and all(meta.get("points", 0) > 0 for _, meta in _graded_cells(nb))
    assert any("Predict, then run" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_hides_solutions_and_hidden_tests(assignment):
    path = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Marking:"):
        assert marker not in text
    for cell, meta in _graded_cells(nb):
        if meta["grade_id"].endswith("_hidden"):
            assert "check" not in cell.source
        if meta.get("solution"):
            assert cell.source == "YOUR ANSWER HERE"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_runs_and_is_fast(assignment, capsys):
    """Every code cell of the source notebook, hidden tests included, in one namespace: no failure, < 5 s."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace = {"__name__": "__main__"}
    start = time.perf_counter()
    with np.errstate(all="raise"):
        for cell in nb.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, cell.id, "exec"), namespace)
    assert time.perf_counter() - start < 5.0
    out = capsys.readouterr().out
    n_checks = sum(1 for _ in _graded_cells(nb)) - sum(1 for c, m in _graded_cells(nb) if m.get("solution"))
    assert out.count("— correct.") == n_checks




@pytest.mark.parametrize("name", sorted(P.FUNCTIONS))
def test_packed_inputs_and_outcomes_give_the_same_verdicts(name):
    """What crosses the sandbox is float64 arrays only: packing and unpacking changes no verdict."""
    spec = P.FUNCTIONS[name]
    fns = [spec.reference, *(m.fn for m in spec.mistakes[:3]), lambda *a, **k: 1 / 0]
    for items in _probes(spec, seed=12).values():
        carried = P.unpack_inputs(spec, {k: np.asarray(v, dtype=np.float64)
                                         for k, v in P.pack_inputs(items).items()})
        assert [c.label for c in carried] == [i.label for i in items]
        for fn in fns:
            sent = [P.outcome(spec, fn, c) for c in carried]  # in the sandbox
            back = {k: np.asarray(v, dtype=np.float64) for k, v in P.pack_outcomes(sent).items()}
            for i, item in enumerate(items):
                assert spec.judge(spec, item, P.unpack_outcome(back, i)) == \
                    spec.judge(spec, item, P.outcome(spec, fn, item))


def test_every_function_suite_is_a_registered_probe():
    for name, spec in P.FUNCTIONS.items():
        for suite in spec.fixed_suites + spec.random_suites:
            p = probe(f"{name}:{suite}")
            assert p.function == name
            assert (p.visible_seed is None) == (suite in spec.random_suites)


EX02_CODE = """
import math
import numpy as np
def minibatches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]
def step_decay_lr(step, *, lr, step_size, gamma=0.1):
    return lr * gamma ** (step // step_size)
def cosine_lr(step, *, lr, total_steps, min_lr=0.0):
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
def max_stable_lr(A):
    A = np.asarray(A)
    if not np.allclose(A, A.T):
        raise ValueError("not symmetric")
    lam = np.linalg.eigvalsh(A)
    if lam[0] <= 0:
        raise ValueError("not positive definite")
    return 2 / lam[-1]
"""
WRONG_CODE = EX02_CODE.replace("range(0, n, batch_size)]", "range(0, n - batch_size + 1, batch_size)]").replace(
    "math.pi * min(step, total_steps)", "180 * min(step, total_steps)").replace(
    'raise ValueError("not symmetric")', 'assert False, "not symmetric"')


def test_probes_through_the_real_sandbox():
    """The grader's path: inputs drawn here, the student's code run in the sandbox, judged here."""
    rng = np.random.default_rng(13)
    names = [f"{n}:{s}" for n, spec in P.FUNCTIONS.items() for s in spec.fixed_suites + spec.random_suites]
    plan = [("probe", n, probe(n).make_inputs(rng)) for n in names]
    right, wrong = run_student_code([EX02_CODE], plan), run_student_code([WRONG_CODE], plan)
    assert right.problem is None and wrong.problem is None
    verdicts = {}
    for (_, n, inputs), ok, bad in zip(plan, right.items, wrong.items):
        assert ok["error"] is None, (n, ok)
        assert probe(n).judge(inputs, ok["outputs"]) is None, n
        verdicts[n] = bad["message"] if bad["error"] else probe(n).judge(inputs, bad["outputs"])
    assert verdicts["step_decay_lr:random"] is None
    assert "the last, smaller batch is missing" in verdicts["minibatches:examples"]
    assert "the angle is in degrees" in verdicts["cosine_lr:random"]
    assert "it raised AssertionError: not symmetric" in verdicts["max_stable_lr:errors"]
    assert verdicts["max_stable_lr:examples"] is None
