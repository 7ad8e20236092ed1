"""Step functions (``adam_step``, ...): roll out a student's function, compare, name the mistake.

A :class:`StepSpec` describes one exercise function: how it is called, what it returns, its
NumPy reference and its ``torch.optim`` counterpart, and a catalogue of known
:class:`~.messages.Mistake` variants. :func:`rollout` runs a function on a :class:`Case` (a start
point and a gradient sequence), feeding its own returned state back in, as a student's training
loop would. :func:`first_departure` finds where two rollouts part; :func:`diagnose` names the
catalogued mistakes whose rollouts the student's reproduces (their rollouts are cached per case).
:func:`step_probes` turns a spec into one :class:`~.probes.Probe` per suite.

Only NumPy is imported here (torch lazily, by the grader's :func:`torch_rollout`): this module runs
inside students' kernels and the grading sandbox, which must start fast.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from .messages import Mistake, diagnosis
from .probes import Probe

RTOL = 1e-6  # relative to each entry
ATOL_SCALE = 1e-9  # absolute, relative to the largest entry of that quantity over the rollout
SUITES = ("first_step", "trajectory", "default", "settings", "pure")
FIXED_SUITES = ("first_step", "trajectory", "pure")  # fixed inputs in the kernel; random when grading
VISIBLE_THETA = np.array([5.0, -1.0, 0.5, 2.0])
VISIBLE_GRAD = np.array([10.0, -2.0, 1e-9, 4.0])  # the first coordinate is x² at x = 5


class Case(NamedTuple):
    """One rollout's inputs: a start point, a gradient per step (rows), hyperparameters."""

    label: str
    theta0: np.ndarray
    grads: np.ndarray
    hp: Mapping[str, Any]


@dataclass(frozen=True)
class StepSpec:
    """How an exercise step function is called and checked.

    ``state`` names what the function returns after ``theta`` (``("m", "v")`` for Adam);
    ``init_state`` gives the state before the first step; ``uses_t`` says whether the
    1-based step number is passed after the state; ``required`` are hyperparameters
    that have no default in the signature; ``settings`` are other hyperparameter
    settings the hidden tests use; ``torch_name`` names the reference in messages;
    ``torch_optimizer(params, hp)`` builds it, and ``torch_state`` names its state
    tensors in the order of ``state``.
    """

    name: str
    reference: Callable
    state: tuple[str, ...]
    init_state: Callable[[np.ndarray], tuple]
    uses_t: bool
    defaults: Mapping[str, Any]
    settings: tuple[Mapping[str, Any], ...]
    torch_name: str
    torch_optimizer: Callable
    torch_state: tuple[str, ...] = ()
    required: Mapping[str, Any] = field(default_factory=dict)
    mistakes: tuple[Mistake, ...] = ()

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("theta", *self.state)

    def call(self, fn: Callable, theta, grad, state: tuple, t: int, hp: Mapping[str, Any]):
        args = (theta, grad, *state, *((t,) if self.uses_t else ()))
        return fn(*args, **hp)


class StudentError(Exception):
    """The student's function failed a structural check (raised, wrong type, modified its input...)."""

    def __init__(self, step: int, key: str, message: str):
        super().__init__(message)
        self.step, self.key, self.message = step, key, message


class Departure(NamedTuple):
    """Where two rollouts first differ."""

    step: int  # 1-based
    output: str  # "theta", "m", ...
    index: tuple
    expected: float
    got: float


# --- suites: which inputs each kind of check uses --------------------------------------------------------


def cases(spec: StepSpec, suite: str, rng: np.random.Generator | None = None) -> list[Case]:
    """The cases of ``suite``: fixed when ``rng`` is None (students can read them), else freshly drawn.

    Random gradients come in three regimes: ordinary, tiny (where ε matters) and huge.
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; expected one of {SUITES}")
    required = dict(spec.required)
    if rng is None:
        fixed = np.random.default_rng(1412)  # fixed inputs, the same for every student
        grads = np.vstack([VISIBLE_GRAD, fixed.normal(size=(5, 4)) * [1.0, 10.0, 1e-6, 0.1]])
        if suite == "first_step":
            return [Case("first step from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads[:1], required)]
        if suite == "trajectory":
            return [Case("6 fixed steps from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads, required)]
        if suite == "pure":
            return [Case("3 fixed steps (inputs must stay unchanged)", VISIBLE_THETA, grads[:3], required)]
        raise ValueError(f"suite {suite!r} has no fixed inputs: pass an rng")
    if suite == "first_step":
        return [_random_case(rng, "first step, random inputs", 1, required, "normal")]
    if suite == "trajectory":
        return [_random_case(rng, "60 random steps", 60, required, "normal")]
    if suite == "pure":
        return [_random_case(rng, "3 random steps (inputs must stay unchanged)", 3, required, "normal")]
    if suite == "default":
        return [
            _random_case(rng, f"100 random steps, {regime} gradients, default hyperparameters", 100, required, regime)
            for regime in ("normal", "tiny", "huge")
        ]
    return [
        _random_case(rng, f"100 random steps, {regime} gradients", 100, {**required, **hp}, regime)
        for hp in spec.settings
        for regime in ("normal", "tiny")
    ]


def _random_case(rng: np.random.Generator, label: str, steps: int, hp: dict, regime: str) -> Case:
    dim = int(rng.integers(2, 12))
    scale = {"normal": 1.0, "tiny": 1e-9, "huge": 1e4}[regime] * rng.uniform(0.5, 2.0, size=dim)
    grads = rng.normal(size=(steps, dim)) * scale
    if steps >= 10:
        # a burst of fixed size, then calm: v then falls below its maximum (AMSGrad's case) in every coordinate
        grads[:3] = rng.choice([-1.0, 1.0], size=(3, dim)) * 30.0 * scale
    tiny = np.arange(dim) if regime == "tiny" else [rng.integers(dim)]  # where ε matters, as in the visible tests
    for j in tiny:
        # magnitudes 0.5e-9 .. 2e-9 with random signs: never so close to 0 that ε's place stops showing
        grads[:, j] = rng.choice([-1.0, 1.0], size=steps) * rng.uniform(0.5e-9, 2e-9, size=steps)
    # |θ₀| in [0.5, 5]: never so close to 0 that the relative tolerance decides alone
    theta0 = rng.choice([-1.0, 1.0], size=dim) * rng.uniform(0.5, 5.0, size=dim)
    return Case(label, theta0, grads, dict(hp))


# --- rollouts and their comparison ----------------------------------------------------------------------


def rollout(spec: StepSpec, fn: Callable, case: Case, *, check_purity: bool = True) -> dict[str, np.ndarray]:
    """Run ``fn`` for ``len(case.grads)`` steps; return each output's values per step, shape ``(T, *theta.shape)``.

    Raises :class:`StudentError` at the first step where ``fn`` raises, returns the
    wrong kind of thing, or modifies one of its inputs.
    """
    theta = np.array(case.theta0, dtype=np.float64)
    state = spec.init_state(theta)
    record: dict[str, list] = {name: [] for name in spec.outputs}
    for k, grad in enumerate(case.grads, start=1):
        grad = np.array(grad, dtype=np.float64)
        inputs = {"theta": theta, "grad": grad, **dict(zip(spec.state, state, strict=True))}
        copies = {n: (None if a is None else np.copy(a)) for n, a in inputs.items()}
        try:
            out = spec.call(fn, theta, grad, state, k, case.hp)
        except NotImplementedError:
            raise StudentError(
                k,
                "not_implemented",
                f"{spec.name} is not implemented yet "
                "(it raised NotImplementedError): replace the `raise` with your code.",
            ) from None
        except Exception as exc:  # the student's code may raise anything
            raise StudentError(
                k,
                "raised",
                f"{spec.name} raised {type(exc).__name__}: {exc} (at step {k}, hyperparameters {dict(case.hp)})",
            ) from None
        outputs = _as_outputs(spec, out, theta, k)
        if check_purity:
            for n, before in copies.items():
                if before is not None and not _same(inputs[n], before):
                    raise StudentError(
                        k,
                        "in_place",
                        f"{spec.name} modified its input `{n}` in place "
                        f"(step {k}). Return new arrays: write `{n} = ...` "
                        f"or use `{n} * ...`, never `{n} *= ...` or `{n}[...] = ...`.",
                    )
        for n, value in zip(spec.outputs, outputs, strict=True):
            record[n].append(np.copy(value))
        theta, state = outputs[0], tuple(outputs[1:])
    return {n: np.array(v) for n, v in record.items()}


def _as_outputs(spec: StepSpec, out, theta: np.ndarray, step: int) -> tuple:
    n = len(spec.outputs)
    if n == 1:
        out = (out,)
    elif not isinstance(out, tuple) or len(out) != n:
        kind = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise StudentError(
            step, "wrong_return", f"{spec.name} must return a tuple ({', '.join(spec.outputs)}); it returned {kind}."
        )
    for name, value in zip(spec.outputs, out, strict=True):
        if not isinstance(value, np.ndarray):
            raise StudentError(
                step,
                "wrong_type",
                f"{spec.name} returned {name} as {type(value).__name__}; expected a NumPy array (float64).",
            )
        if value.shape != theta.shape:
            raise StudentError(
                step,
                "wrong_shape",
                f"{spec.name} returned {name} with shape {value.shape}; expected {theta.shape}, the shape of theta.",
            )
        if value.dtype != np.float64:
            raise StudentError(
                step,
                "wrong_dtype",
                f"{spec.name} returned {name} with dtype {value.dtype}; expected float64 (do not round or cast).",
            )
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def first_departure(
    expected: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray], outputs: tuple[str, ...]
) -> Departure | None:
    """The earliest step (then output, then coordinate) where ``got`` leaves ``expected``; ``None`` if none."""
    best: Departure | None = None
    for name in outputs:
        exp, res = expected[name], got[name]
        steps = min(len(exp), len(res))
        exp, res = exp[:steps], res[:steps]
        with np.errstate(invalid="ignore", over="ignore"):
            scale = np.nanmax(np.abs(exp)) if exp.size and np.isfinite(exp).any() else 1.0
            bad = ~(np.abs(res - exp) <= RTOL * np.abs(exp) + ATOL_SCALE * scale)
        bad &= ~(np.isnan(exp) & np.isnan(res))
        if bad.any():
            idx = np.argwhere(bad)[0]
            d = Departure(
                int(idx[0]) + 1, name, tuple(int(i) for i in idx[1:]), float(exp[tuple(idx)]), float(res[tuple(idx)])
            )
            if best is None or d.step < best.step:
                best = d
    return best


# --- cached rollouts of the references and the catalogue -------------------------------------------------

_CACHE: dict[tuple, dict[str, np.ndarray] | None] = {}
_CACHE_SIZE = 4096


def _case_key(case: Case) -> str:
    h = hashlib.sha1(repr((case.label, sorted(dict(case.hp).items()))).encode())
    for arr in (np.asarray(case.theta0, dtype=np.float64), np.asarray(case.grads, dtype=np.float64)):
        h.update(repr(arr.shape).encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def _cached(key: tuple, compute: Callable[[], dict[str, np.ndarray] | None]) -> dict[str, np.ndarray] | None:
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = compute()
    return _CACHE[key]


def reference_rollout(spec: StepSpec, case: Case) -> dict[str, np.ndarray]:
    """The NumPy reference's rollout (what the student's kernel compares with)."""
    return _cached((spec.name, "reference", _case_key(case)), lambda: rollout(spec, spec.reference, case))


def torch_rollout(spec: StepSpec, case: Case) -> dict[str, np.ndarray]:
    """The ``torch.optim`` counterpart's rollout in float64 (what the grader confirms with)."""
    return _cached((spec.name, "torch", _case_key(case)), lambda: _torch_rollout(spec, case))


def _torch_rollout(spec: StepSpec, case: Case) -> dict[str, np.ndarray]:
    import torch

    hp = {**spec.defaults, **spec.required, **case.hp}
    p = torch.tensor(np.asarray(case.theta0, dtype=np.float64), requires_grad=True)
    opt = spec.torch_optimizer([p], hp)
    record: dict[str, list] = {n: [] for n in spec.outputs}
    for g in case.grads:
        p.grad = torch.tensor(np.asarray(g, dtype=np.float64))
        opt.step()
        record["theta"].append(p.detach().numpy().copy())
        for name, key in zip(spec.state, spec.torch_state, strict=True):
            record[name].append(opt.state[p][key].detach().numpy().copy())
    return {n: np.array(v) for n, v in record.items()}


def mistake_rollout(spec: StepSpec, mistake: Mistake, case: Case) -> dict[str, np.ndarray] | None:
    """The rollout of a catalogued mistake (``None`` if it fails structurally), computed once per case."""

    def compute():
        try:
            with np.errstate(all="ignore"):
                return rollout(spec, mistake.fn, case, check_purity=False)
        except StudentError:
            return None

    return _cached((spec.name, "mistake", mistake.key, _case_key(case)), compute)


def diagnose(spec: StepSpec, case: Case, got: Mapping[str, np.ndarray]) -> list[Mistake]:
    """The catalogued mistakes whose rollout on ``case`` reproduces ``got`` (most likely first).

    A mistake that reproduces every output is preferred; failing any, one that reproduces the
    path of ``theta`` alone (the student also returned a different state) is named. ``got`` may
    hold only some outputs (an optimizer class shows its ``theta`` path alone).
    """
    outputs = tuple(n for n in spec.outputs if n in got)
    full, theta_only = [], []
    for mistake in spec.mistakes:
        theirs = mistake_rollout(spec, mistake, case)
        if theirs is None:
            continue
        if first_departure(theirs, got, outputs) is None:
            full.append(mistake)
        elif first_departure(theirs, got, ("theta",)) is None:
            theta_only.append(mistake)
    return full or theta_only


def describe(spec: StepSpec, case: Case, departure: Departure, mistakes: list[Mistake]) -> str:
    """A message for the student: where the result departs, and the most likely cause."""
    where = f"[{', '.join(map(str, departure.index))}]" if departure.index else ""
    lines = [
        f"{spec.name} departs from {spec.torch_name} at step {departure.step} "
        f"in {departure.output}{where} (test case: {case.label}, "
        f"{'hyperparameters ' + str(dict(case.hp)) if case.hp else 'default hyperparameters'}):",
        f"    expected {departure.expected!r}, got {departure.got!r}.",
    ]
    if np.isnan(departure.got) or np.isinf(departure.got):
        lines.append(
            "    Your result is not finite: look for a division by zero or a square root of a "
            "negative number (is t counted from 1?)."
        )
    lines.append(diagnosis(mistakes))
    return "\n".join(lines)


def check_case(
    spec: StepSpec,
    fn: Callable,
    case: Case,
    expected: Mapping[str, np.ndarray] | None = None,
    *,
    check_purity: bool = False,
) -> str | None:
    """Check ``fn`` on one case against ``expected`` (default: the NumPy reference). ``None`` if it passes.

    With ``check_purity`` only structure and purity are checked: the function must return new
    float64 arrays of the right shape and leave its inputs unchanged; its values are not compared.
    """
    try:
        with np.errstate(all="ignore"):
            got = rollout(spec, fn, case, check_purity=check_purity)
    except StudentError as err:
        return err.message
    if check_purity:
        return None
    expected = reference_rollout(spec, case) if expected is None else expected
    departure = first_departure(expected, got, spec.outputs)
    if departure is None:
        return None
    return describe(spec, case, departure, diagnose(spec, case, got))


def signature_problems(spec: Any, fn: Callable) -> str | None:
    """Check the parameter names and defaults against ``spec.defaults``; ``None`` if they agree."""
    if not callable(fn):
        return f"{spec.name} is not a function (got {type(fn).__name__})."
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    for name, value in spec.defaults.items():
        if name not in params:
            return f"{spec.name} has no parameter `{name}`: keep the signature given in the exercise."
        default = params[name].default
        if default is not inspect.Parameter.empty and default != value:
            return (
                f"{spec.name}'s default for `{name}` is {default!r}; the exercise (and "
                f"{spec.torch_name}) use {value!r}."
            )
    return None


# --- the probes: a suite's cases cross to the sandbox, the rollouts come back ------------------------------


def _case_tree(case: Case) -> dict:
    return {
        "label": case.label,
        "theta0": np.asarray(case.theta0, dtype=np.float64),
        "grads": np.asarray(case.grads, dtype=np.float64),
        "hp": dict(case.hp),
    }


def _case(tree: Mapping) -> Case:
    return Case(
        str(tree["label"]),
        np.asarray(tree["theta0"], dtype=np.float64),
        np.asarray(tree["grads"], dtype=np.float64),
        dict(tree["hp"]),
    )


def _make_inputs(spec: StepSpec, suite: str, rng: np.random.Generator | None) -> dict:
    return {"cases": [_case_tree(c) for c in cases(spec, suite, rng)]}


def run_steps(spec: StepSpec, pure: bool, fn: Callable, inputs: Mapping) -> dict:
    """Where the student's code runs: the signature, then each case's rollout (up to the first error)."""
    problem = signature_problems(spec, fn)
    if problem:
        raise AssertionError(problem)
    results: list[dict] = []
    for tree in inputs["cases"]:
        try:
            with np.errstate(all="ignore"):
                got = rollout(spec, fn, _case(tree), check_purity=pure)
        except StudentError as err:
            results.append({"error": err.key, "message": err.message})
            break
        results.append({"error": None, "outputs": {} if pure else got})
    return {"rollouts": results}


def judge_steps(spec: StepSpec, pure: bool, reference: Callable, inputs: Mapping, outputs: Mapping) -> str | None:
    """Where no student code runs: compare each case's rollout with ``reference``'s; the first failure decides."""
    rollouts = outputs["rollouts"]
    for k, tree in enumerate(inputs["cases"]):
        case = _case(tree)
        if k >= len(rollouts):
            return f"{spec.name}: no result came back for the test case {case.label}."
        result = rollouts[k]
        if result["error"]:
            return str(result["message"])
        if pure:  # the purity suite checks structure only; its values are not graded
            continue
        expected = reference(spec, case)
        got = {n: np.asarray(v, dtype=np.float64) for n, v in result["outputs"].items()}
        if set(got) != set(spec.outputs) or any(got[n].shape != expected[n].shape for n in spec.outputs):
            return f"{spec.name}: the outputs came back with the wrong names or shapes."
        departure = first_departure(expected, got, spec.outputs)
        if departure is not None:
            return describe(spec, case, departure, diagnose(spec, case, got))
    return None


def step_probes(spec: StepSpec) -> tuple[Probe, ...]:
    """One probe per suite, ``"adam_step:first_step"`` ...: judged against the NumPy reference in the
    kernel and confirmed against ``torch.optim`` by the grader."""
    return tuple(
        Probe(
            f"{spec.name}:{suite}",
            spec.name,
            partial(_make_inputs, spec, suite),
            partial(run_steps, spec, suite == "pure"),
            partial(judge_steps, spec, suite == "pure", reference_rollout),
            confirm=partial(judge_steps, spec, suite == "pure", torch_rollout),
            visible=suite in FIXED_SUITES,
        )
        for suite in SUITES
    )
