"""Step functions (``adam_step``, ...): roll out a student's function, compare, name the mistake.

A :class:`StepSpec` describes one exercise function: how it is called, what it returns, its
NumPy reference and its ``torch.optim`` counterpart, and a catalogue of known
:class:`~.messages.Mistake` variants. :func:`rollout` runs a function on a :class:`Case` (a start
point and a gradient sequence), feeding its own returned state back in, as a student's training
loop would. :func:`first_departure` finds where two rollouts part (θ, its steps Δθ, and the state);
:func:`verdict_message` words the failure and names the mistake, in this order:

- state kept between calls (:func:`behaviour`: two calls, same inputs, different results);
- a catalogued mistake, only if it reproduces the student's results on every step, output and
  coordinate of the failing case *and* of the fixed :func:`diagnostic_cases` (the visible trajectory,
  and the same with each hyperparameter changed): never a one-step coincidence;
- hyperparameters ignored (:func:`behaviour`: one changed, nothing changes);
- else that it matches none of those known. NaN and inf are reported where they first appear.

Catalogues are grown by mutating the reference (:func:`output_swaps` here; the exercises' ``*_like``
functions); their rollouts are cached per case. :func:`step_probes` turns a spec into one
:class:`~.probes.Probe` per suite; a probe's ``run`` may be given a proxy of the student's function
(lists come back for tuples), and its verdicts carry the named mistake's key.

Only NumPy is imported here (torch lazily, by the grader's :func:`torch_rollout`): this module runs
inside students' kernels and the grading sandbox, which must start fast.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import traceback
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


def varied_hp(spec: StepSpec) -> dict[str, Any]:
    """One other value for each hyperparameter: the first the hidden settings use, else a fixed change.

    The visible trajectory runs once with all of them (so hard-coded hyperparameters fail a visible
    check), and the diagnosis varies them one at a time (so it can say which one is ignored).
    """
    base = {**spec.required, **spec.defaults}
    out = {}
    for name, value in base.items():
        other = next((s[name] for s in spec.settings if name in s and s[name] != value), None)
        if other is None:
            other = (not value) if isinstance(value, bool) else value * 3 + 0.1
        out[name] = other
    return out


def cases(spec: StepSpec, suite: str, rng: np.random.Generator | None = None) -> list[Case]:
    """The cases of ``suite``: fixed when ``rng`` is None (students can read them), else freshly drawn.

    The trajectory suite has two cases: the defaults, and every hyperparameter changed at once (so
    a function that ignores one fails a visible check). Random gradients come in three regimes:
    ordinary, tiny (where ε matters) and huge.
    """
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; expected one of {SUITES}")
    required = dict(spec.required)
    if rng is None:
        grads = _visible_grads()
        if suite == "first_step":
            return [Case("first step from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads[:1], required)]
        if suite == "trajectory":
            return [
                Case("6 fixed steps from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads, required),
                Case("6 fixed steps from theta = [5, -1, 0.5, 2]", VISIBLE_THETA, grads, varied_hp(spec)),
            ]
        if suite == "pure":
            return [Case("3 fixed steps (inputs must stay unchanged)", VISIBLE_THETA, grads[:3], required)]
        raise ValueError(f"suite {suite!r} has no fixed inputs: pass an rng")
    if suite == "first_step":
        return [_random_case(rng, "first step, random inputs", 1, required, "normal")]
    if suite == "trajectory":
        return [
            _random_case(rng, "60 random steps", 60, required, "normal"),
            _random_case(rng, "60 random steps", 60, varied_hp(spec), "normal"),
        ]
    if suite == "pure":
        return [_random_case(rng, "3 random steps (inputs must stay unchanged)", 3, required, "normal")]
    if suite == "default":
        return [
            _random_case(rng, f"100 random steps, {regime} gradients", 100, required, regime)
            for regime in ("normal", "tiny", "huge")
        ]
    return [
        _random_case(rng, f"100 random steps, {regime} gradients", 100, {**required, **hp}, regime)
        for hp in spec.settings
        for regime in ("normal", "tiny")
    ]


def _visible_grads() -> np.ndarray:
    fixed = np.random.default_rng(1412)  # fixed inputs, the same for every student
    return np.vstack([VISIBLE_GRAD, fixed.normal(size=(5, 4)) * [1.0, 10.0, 1e-6, 0.1]])


def diagnostic_cases(spec: StepSpec) -> dict[str, Case]:
    """The fixed cases every failing check also runs the student's function on, to name the mistake:
    the visible trajectory (``"base"``), the same with one hyperparameter changed (``"hp:lr"``, ...),
    and ``"again"``, the base case once more (a function with state of its own answers differently)."""
    grads, required = _visible_grads(), dict(spec.required)
    label = "6 fixed steps from theta = [5, -1, 0.5, 2]"
    out = {"base": Case(label, VISIBLE_THETA, grads, required)}
    for name, value in varied_hp(spec).items():
        out[f"hp:{name}"] = Case(label, VISIBLE_THETA, grads, {**required, name: value})
    out["again"] = out["base"]
    return out


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
    wrong kind of thing, or modifies one of its inputs. ``fn`` may be a proxy of the student's
    function in another process: a list comes back where the student returned a tuple.
    """
    theta = np.array(case.theta0, dtype=np.float64)
    state = spec.init_state(theta)
    record: dict[str, list] = {name: [] for name in spec.outputs}
    batched = getattr(fn, "rollout_calls", None)
    if batched is not None:  # a proxy of the student's function in the grader's jail: one request, not one per step
        fn = batched(
            theta0=theta,
            state0=state,
            grads=np.asarray(case.grads, dtype=np.float64),
            uses_t=spec.uses_t,
            outputs=len(spec.outputs),
            hp=case.hp,
        )
    for k, grad in enumerate(case.grads, start=1):
        grad = np.array(grad, dtype=np.float64)
        if check_purity:
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
                f"{spec.name} raised {type(exc).__name__}: {exc}\n"
                f"{student_lines(exc)}(at step {k}, {hp_words(spec, case.hp)})",
            ) from None
        outputs = _as_outputs(spec, out, theta, k)
        if check_purity:
            for n, before in copies.items():
                if before is not None and not _same(np.asarray(inputs[n]), before):
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


def student_lines(exc: BaseException) -> str:
    """The student's own lines in ``exc``'s traceback (not NumPy's, not the checker's), ready to print.

    An exception that crossed from the grader's jail carries them as text (``student_trace``).
    """
    carried = getattr(exc, "student_trace", None) or getattr(exc, "trace", None)
    if isinstance(carried, str) and carried.strip():
        return carried.rstrip() + "\n"
    ours = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    library = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(np.__file__)})
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not os.path.abspath(f.filename).startswith(ours) and not f.filename.startswith(library)
    ]
    if not frames:
        return ""
    lines = ["Your code raised it here:"]
    for f in frames[-3:]:
        lines.append(f"    line {f.lineno}, in {f.name}" + (f": {f.line.strip()}" if f.line else ""))
    return "\n".join(lines) + "\n"


def hp_words(spec: StepSpec, hp: Mapping[str, Any]) -> str:
    """``default hyperparameters`` or ``lr = 0.1, beta1 = 0.5`` (the values that differ from the defaults)."""
    changed = {k: v for k, v in dict(hp).items() if k not in spec.defaults or spec.defaults[k] != v}
    words = ", ".join(f"{k} = {v!r}" for k, v in changed.items())
    if all(spec.required.get(k, object()) == v for k, v in changed.items()):
        return "default hyperparameters" + (f", {words}" if words else "")
    if set(spec.defaults) - set(changed):
        return f"{words}, the others at their defaults"
    return words


def _as_outputs(spec: StepSpec, out, theta: np.ndarray, step: int) -> tuple:
    n = len(spec.outputs)
    if n == 1:
        out = (out,)
    elif not isinstance(out, (tuple, list)) or len(out) != n:
        kind = f"a tuple of {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
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
    return tuple(out)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _steps_of(theta: np.ndarray, theta0: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.diff(np.concatenate([np.asarray(theta0, dtype=np.float64)[None], theta]), axis=0)


def _bad(exp: np.ndarray, res: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Where ``res`` is not ``exp``: relative to each entry, plus a floor relative to the largest entry."""
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(exp)
        scale = np.max(np.abs(exp[finite])) if finite.any() else 1.0
        bad = ~(np.abs(res - exp) <= RTOL * np.abs(exp) + ATOL_SCALE * scale + floor)
    return bad & ~(np.isnan(exp) & np.isnan(res))


def first_departure(
    expected: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray],
    outputs: tuple[str, ...],
    theta0: np.ndarray | None = None,
) -> Departure | None:
    """The earliest step (then output, then coordinate) where ``got`` leaves ``expected``; ``None`` if none.

    With ``theta0``, θ's *steps* Δθ are compared too, each to its own size (θ ≈ 5 must not hide
    a step of 1e-6 where 1e-3 was expected; a step of 0 and one of lr² must not look alike).
    """
    best: Departure | None = None
    for name in outputs:
        exp, res = expected[name], got[name]
        steps = min(len(exp), len(res))
        exp, res = exp[:steps], res[:steps]
        bad = _bad(exp, res)
        if name == "theta" and theta0 is not None and steps:
            with np.errstate(all="ignore"):
                rounding = 1e-13 * float(np.nanmax(np.abs(np.where(np.isfinite(exp), exp, 0.0))))
            bad |= _bad(_steps_of(exp, theta0), _steps_of(res, theta0), rounding)
        if bad.any():
            idx = np.argwhere(bad)[0]
            d = Departure(
                int(idx[0]) + 1, name, tuple(int(i) for i in idx[1:]), float(exp[tuple(idx)]), float(res[tuple(idx)])
            )
            if best is None or d.step < best.step:
                best = d
    return best


def swapped_outputs(spec_outputs: tuple[str, ...], reference: Callable, i: int, j: int) -> Mistake:
    """The mistake of returning outputs ``i`` and ``j`` in each other's places (the rest of the code right)."""
    a, b = spec_outputs[i], spec_outputs[j]

    def fn(*args, **kwargs):
        out = list(reference(*args, **kwargs))
        out[i], out[j] = out[j], out[i]
        return tuple(out)

    fn.__signature__ = inspect.signature(reference)
    order = list(spec_outputs)
    order[i], order[j] = order[j], order[i]
    return Mistake(
        f"swapped_outputs:{a},{b}",
        f"the outputs are returned in the wrong order, ({', '.join(order)})",
        f"Return ({', '.join(spec_outputs)}), in that order: the caller feeds them back in by position.",
        fn,
    )


def output_swaps(outputs: tuple[str, ...], reference: Callable) -> tuple[Mistake, ...]:
    """The wrong orders students write: θ and its one state swapped, or two states swapped."""
    if len(outputs) == 2:
        return (swapped_outputs(outputs, reference, 0, 1),)
    return tuple(
        swapped_outputs(outputs, reference, i, j) for i in range(1, len(outputs)) for j in range(i + 1, len(outputs))
    )


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


def _agrees(spec: StepSpec, case: Case, theirs, got: Mapping[str, np.ndarray] | None) -> bool:
    """Whether a rollout reproduces ``got`` on every step, output and coordinate (θ's steps included)."""
    if theirs is None or got is None:
        return False
    outputs = tuple(n for n in spec.outputs if n in got)
    if any(np.shape(theirs[n]) != np.shape(got[n]) for n in outputs):
        return False
    return first_departure(theirs, got, outputs, case.theta0) is None


def diagnose(
    spec: StepSpec, case: Case, got: Mapping[str, np.ndarray], more: Mapping[str, Any] | None = None
) -> list[Mistake]:
    """The catalogued mistakes that reproduce the student's results everywhere they were checked.

    ``got`` is the student's rollout on ``case`` (it may hold only some outputs: an optimizer class
    shows its ``theta`` path alone); ``more`` holds the student's rollouts on the
    :func:`diagnostic_cases` (``None`` where the function failed structurally). A mistake is named
    only if it reproduces *every* one of them, on every step, output and coordinate: never on a
    one-step coincidence. The catalogue's rollouts are cached per case.
    """
    found = []
    extra = diagnostic_cases(spec) if more else {}
    for mistake in spec.mistakes:
        if not _agrees(spec, case, mistake_rollout(spec, mistake, case), got):
            continue
        if all(
            _agrees(spec, extra[k], mistake_rollout(spec, mistake, extra[k]), more.get(k))
            for k in extra
            if k != "again"
        ):
            found.append(mistake)
    return found


HIDDEN_STATE = "hidden_state"
IGNORED_HP = "ignores_hyperparameter"


def behaviour(spec: StepSpec, more: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """What the student's function does, found by calling it: ``(key, message)`` or ``None``.

    - called twice on the same inputs, it answers differently: it keeps state of its own;
    - changing one hyperparameter changes nothing where it changes the reference: it is ignored.
    """
    if not more or more.get("base") is None:
        return None
    base = more["base"]
    again = more.get("again")
    if again is not None and any(not _same(np.asarray(base[n]), np.asarray(again[n])) for n in spec.outputs):
        t_note = " (t is the number of this step)" if spec.uses_t else ""
        return (
            HIDDEN_STATE,
            f"state kept between calls. Called twice with the same inputs, {spec.name} gave different "
            "results: it keeps state of its own (a global variable, a step counter, a mutable default "
            f"argument). Compute everything from the arguments{t_note}, and return the new state.",
        )
    cases_ = diagnostic_cases(spec)
    ref_base = reference_rollout(spec, cases_["base"])
    ignored = []
    for key, case in cases_.items():
        if not key.startswith("hp:") or more.get(key) is None:
            continue
        ref = reference_rollout(spec, case)
        if _agrees(spec, case, ref_base, ref):
            continue  # this hyperparameter changes nothing on these inputs
        if _agrees(spec, case, base, more[key]):
            ignored.append(key[3:])
    if ignored:
        names = ignored[0] if len(ignored) == 1 else ", ".join(ignored[:-1]) + " and " + ignored[-1]
        verb = "it is" if len(ignored) == 1 else "they are"
        return (
            IGNORED_HP,
            f"{names} hard-coded. {spec.name} gives the same result whatever {names} it is given: {verb} "
            "written into the code, or read from somewhere else. Use the arguments (the checks call your "
            "function with other values).",
        )
    return None


def nonfinite(spec: StepSpec, got: Mapping[str, np.ndarray]) -> str | None:
    """Where the student's result first stops being finite, in words; ``None`` if it never does."""
    first = None
    for name in spec.outputs:
        if name not in got:
            continue
        arr = np.asarray(got[name])
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            if first is None or idx[0] < first[0][0]:
                first = (idx, name, arr[idx])
    if first is None:
        return None
    idx, name, value = first
    what = "NaN" if np.isnan(value) else ("inf" if value > 0 else "−inf")
    where = f"{name}[{', '.join(map(str, idx[1:]))}]" if len(idx) > 1 else name
    cause = (
        "a square root of a negative number (is everything under the root a square?) or 0/0"
        if what == "NaN"
        else "a division by zero"
    )
    if spec.uses_t:
        cause += " (t counts from 1: 1 − β**t is 0 when t = 0)"
    return f"Your {where} is {what} at step {idx[0] + 1}, the first value that is not finite: look for {cause}."


def verdict_message(
    spec: StepSpec,
    case: Case,
    departure: Departure,
    got: Mapping[str, np.ndarray],
    more: Mapping[str, Any] | None = None,
    expected: Mapping[str, np.ndarray] | None = None,
) -> tuple[str, str | None]:
    """The message for the student and the key of the mistake it names (``None``: none named).

    ``expected`` is the rollout ``got`` was compared with (default: the NumPy reference's)."""
    where = f"[{', '.join(map(str, departure.index))}]" if departure.index else ""
    lines = [
        f"{spec.name} departs from {spec.torch_name} at step {departure.step} in {departure.output}{where} "
        f"(test case: {case.label}, {hp_words(spec, case.hp)}):",
        f"    expected {departure.expected!r}, got {departure.got!r}.",
    ]
    expected = reference_rollout(spec, case) if expected is None else expected
    if departure.output == "theta" and departure.index is not None and np.isfinite(departure.got):
        k, i = departure.step - 1, departure.index
        before_exp = case.theta0[i] if k == 0 else expected["theta"][(k - 1, *i)]
        before_got = case.theta0[i] if k == 0 else got["theta"][(k - 1, *i)]
        lines.append(
            f"    Your step there is {departure.got - before_got:+.6g}; {spec.torch_name}'s is "
            f"{departure.expected - before_exp:+.6g}."
        )
    elif departure.output != "theta" and "theta" in got:
        if first_departure(expected, got, ("theta",), case.theta0) is None:
            lines.append(f"    θ matches {spec.torch_name} on every step; the returned {departure.output} does not.")
    bad = nonfinite(spec, got)
    if bad:
        lines.append("    " + bad)
    found = behaviour(spec, more)
    if found and found[0] == HIDDEN_STATE:
        return "\n".join([*lines, f"Most likely mistake: {found[1]}"]), found[0]
    mistakes = diagnose(spec, case, got, more)
    if mistakes:
        return "\n".join([*lines, diagnosis(mistakes)]), mistakes[0].key
    if found:
        return "\n".join([*lines, f"Most likely mistake: {found[1]}"]), found[0]
    if bad:
        return "\n".join([*lines, diagnosis([])]), "not_finite"
    return "\n".join([*lines, diagnosis([])]), None


def student_diagnostics(spec: StepSpec, fn: Callable) -> dict[str, Any]:
    """Where the student's code runs: its rollouts on the :func:`diagnostic_cases` (``None`` where it
    failed structurally), for the diagnosis of a failing check."""
    out: dict[str, Any] = {}
    for key, case in diagnostic_cases(spec).items():
        try:
            with np.errstate(all="ignore"):
                out[key] = rollout(spec, fn, case, check_purity=False)
        except StudentError:
            out[key] = None
    return out


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
    departure = first_departure(expected, got, spec.outputs, case.theta0)
    if departure is None:
        return None
    return verdict_message(spec, case, departure, got, student_diagnostics(spec, fn), expected)[0]


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
    """Where the student's code runs: the signature, then each case's rollout (up to the first error).

    The purity suite also runs its case twice (a function with state of its own answers differently).
    When a case fails, the judge needs more to name the mistake: the student's rollouts on the
    :func:`diagnostic_cases` come back too (as ``"diagnostics"``).
    """
    problem = signature_problems(spec, fn)
    if problem:
        raise AssertionError(problem)
    results: list[dict] = []
    for tree in inputs["cases"]:
        case = _case(tree)
        try:
            with np.errstate(all="ignore"):
                got = rollout(spec, fn, case, check_purity=pure)
                if pure:
                    again = rollout(spec, fn, case, check_purity=pure)
                    if any(not _same(got[n], again[n]) for n in spec.outputs):
                        raise StudentError(
                            1,
                            HIDDEN_STATE,
                            f"Called twice with the same inputs ({case.label}), {spec.name} gave different "
                            "results: it keeps state of its own between calls (a global variable, a step "
                            "counter, a mutable default argument). Compute everything from the arguments"
                            f"{' (t is the number of this step)' if spec.uses_t else ''}, and return the new state.",
                        )
        except StudentError as err:
            results.append({"error": err.key, "message": err.message})
            break
        results.append({"error": None, "outputs": {} if pure else got})
    out: dict[str, Any] = {"rollouts": results}
    if not pure and any(r["error"] is None for r in results):
        out["diagnostics"] = {k: v for k, v in student_diagnostics(spec, fn).items()}
    return out


def _plain(rollout_tree: Any) -> dict[str, np.ndarray] | None:
    if rollout_tree is None:
        return None
    return {n: np.asarray(v, dtype=np.float64) for n, v in rollout_tree.items()}


def verdict_steps(
    spec: StepSpec, pure: bool, reference: Callable, inputs: Mapping, outputs: Mapping
) -> tuple[str | None, str | None]:
    """Where no student code runs: compare each case's rollout with ``reference``'s; the first failure
    decides. Returns the message (``None``: passed) and the key of the mistake it names."""
    rollouts = outputs["rollouts"]
    more = outputs.get("diagnostics")
    more = {k: _plain(v) for k, v in more.items()} if more else None
    for k, tree in enumerate(inputs["cases"]):
        case = _case(tree)
        if k >= len(rollouts):
            return f"{spec.name}: no result came back for the test case {case.label}.", None
        result = rollouts[k]
        if result["error"]:
            return str(result["message"]), str(result["error"])
        if pure:  # the purity suite checks structure only; its values are not graded
            continue
        expected = reference(spec, case)
        got = _plain(result["outputs"])
        if set(got) != set(spec.outputs) or any(got[n].shape != expected[n].shape for n in spec.outputs):
            return f"{spec.name}: the outputs came back with the wrong names or shapes.", None
        departure = first_departure(expected, got, spec.outputs, case.theta0)
        if departure is not None:
            return verdict_message(spec, case, departure, got, more, expected)
    return None, None


def judge_steps(spec: StepSpec, pure: bool, reference: Callable, inputs: Mapping, outputs: Mapping) -> str | None:
    """:func:`verdict_steps`' message alone."""
    return verdict_steps(spec, pure, reference, inputs, outputs)[0]


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
            judge_verdict=partial(verdict_steps, spec, suite == "pure", reference_rollout),
            confirm_verdict=partial(verdict_steps, spec, suite == "pure", torch_rollout),
        )
        for suite in SUITES
    )
