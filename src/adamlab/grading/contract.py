"""The checking engine: roll out a student's step function, compare, name the mistake.

A :class:`Contract` describes one exercise function (``adam_step``, ...): how it is
called, what it returns, its reference implementation and a catalogue of known
:class:`Mistake` variants. :func:`rollout` runs a function on a :class:`Case` (a
start point and a gradient sequence), feeding its own returned state back in, as
a student's training loop would. :func:`first_departure` finds where two rollouts
part; :func:`diagnose` names the catalogued mistake whose rollout matches the
student's.

Only NumPy is imported here: this module runs inside students' kernels and the
grading sandbox, which must start fast.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

RTOL = 1e-6  # relative to each entry
ATOL_SCALE = 1e-9  # absolute, relative to the largest entry of that quantity over the rollout


class Case(NamedTuple):
    """One rollout's inputs: a start point, a gradient per step (rows), hyperparameters."""

    label: str
    theta0: np.ndarray
    grads: np.ndarray
    hp: Mapping[str, Any]


@dataclass(frozen=True)
class Mistake:
    """A known wrong variant: ``fn`` has the contract's signature and makes this one mistake."""

    key: str
    title: str
    hint: str
    fn: Callable


@dataclass(frozen=True)
class Contract:
    """How an exercise function is called and checked.

    ``state`` names what the function returns after ``theta`` (``("m", "v")`` for Adam);
    ``init_state`` gives the state before the first step; ``uses_t`` says whether the
    1-based step number is passed after the state; ``required`` are hyperparameters
    that have no default in the signature; ``settings`` are other hyperparameter
    settings the hidden tests use; ``torch_name`` names the reference in messages.
    """

    name: str
    reference: Callable
    state: tuple[str, ...]
    init_state: Callable[[np.ndarray], tuple]
    uses_t: bool
    defaults: Mapping[str, Any]
    settings: tuple[Mapping[str, Any], ...]
    torch_name: str
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


def rollout(contract: Contract, fn: Callable, case: Case, *, check_purity: bool = True) -> dict[str, np.ndarray]:
    """Run ``fn`` for ``len(case.grads)`` steps; return each output's values per step, shape ``(T, *theta.shape)``.

    Raises :class:`StudentError` at the first step where ``fn`` raises, returns the
    wrong kind of thing, or modifies one of its inputs.
    """
    theta = np.array(case.theta0, dtype=np.float64)
    state = contract.init_state(theta)
    record: dict[str, list] = {name: [] for name in contract.outputs}
    for k, grad in enumerate(case.grads, start=1):
        grad = np.array(grad, dtype=np.float64)
        inputs = {"theta": theta, "grad": grad, **dict(zip(contract.state, state))}
        copies = {n: (None if a is None else np.copy(a)) for n, a in inputs.items()}
        try:
            out = contract.call(fn, theta, grad, state, k, case.hp)
        except NotImplementedError:
            raise StudentError(k, "not_implemented", f"{contract.name} is not implemented yet "
                               "(it raised NotImplementedError): replace the `raise` with your code.") from None
        except Exception as exc:  # the student's code may raise anything
            raise StudentError(k, "raised", f"{contract.name} raised {type(exc).__name__}: {exc} "
                               f"(at step {k}, hyperparameters {dict(case.hp)})") from None
        outputs = _as_outputs(contract, out, theta, k)
        if check_purity:
            for n, before in copies.items():
                if before is not None and not _same(inputs[n], before):
                    raise StudentError(k, "in_place", f"{contract.name} modified its input `{n}` in place "
                                       f"(step {k}). Return new arrays: write `{n} = ...` "
                                       f"or use `{n} * ...`, never `{n} *= ...` or `{n}[...] = ...`.")
        for n, value in zip(contract.outputs, outputs):
            record[n].append(np.copy(value))
        theta, state = outputs[0], tuple(outputs[1:])
    return {n: np.array(v) for n, v in record.items()}


def _as_outputs(contract: Contract, out, theta: np.ndarray, step: int) -> tuple:
    n = len(contract.outputs)
    if n == 1:
        out = (out,)
    elif not isinstance(out, tuple) or len(out) != n:
        kind = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise StudentError(step, "wrong_return", f"{contract.name} must return a tuple "
                           f"({', '.join(contract.outputs)}); it returned {kind}.")
    for name, value in zip(contract.outputs, out):
        if not isinstance(value, np.ndarray):
            raise StudentError(step, "wrong_type", f"{contract.name} returned {name} as "
                               f"{type(value).__name__}; expected a NumPy array (float64).")
        if value.shape != theta.shape:
            raise StudentError(step, "wrong_shape", f"{contract.name} returned {name} with shape "
                               f"{value.shape}; expected {theta.shape}, the shape of theta.")
        if value.dtype != np.float64:
            raise StudentError(step, "wrong_dtype", f"{contract.name} returned {name} with dtype "
                               f"{value.dtype}; expected float64 (do not round or cast).")
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def first_departure(expected: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray],
                    outputs: tuple[str, ...]) -> Departure | None:
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
            d = Departure(int(idx[0]) + 1, name, tuple(int(i) for i in idx[1:]),
                          float(exp[tuple(idx)]), float(res[tuple(idx)]))
            if best is None or d.step < best.step:
                best = d
    return best


def diagnose(contract: Contract, case: Case, got: Mapping[str, np.ndarray]) -> list[Mistake]:
    """The catalogued mistakes whose rollout on ``case`` reproduces ``got`` (most likely first).

    A mistake that reproduces every output is preferred; failing any, one that reproduces the
    path of ``theta`` alone (the student also returned a different state) is named. ``got`` may
    hold only some outputs (an optimizer class shows its ``theta`` path alone).
    """
    outputs = tuple(n for n in contract.outputs if n in got)
    full, theta_only = [], []
    for mistake in contract.mistakes:
        try:
            with np.errstate(all="ignore"):
                theirs = rollout(contract, mistake.fn, case, check_purity=False)
        except StudentError:
            continue
        if first_departure(theirs, got, outputs) is None:
            full.append(mistake)
        elif first_departure(theirs, got, ("theta",)) is None:
            theta_only.append(mistake)
    return full or theta_only


def describe(contract: Contract, case: Case, departure: Departure, mistakes: list[Mistake]) -> str:
    """A message for the student: where the result departs, and the most likely cause."""
    where = f"[{', '.join(map(str, departure.index))}]" if departure.index else ""
    lines = [
        f"{contract.name} departs from {contract.torch_name} at step {departure.step} "
        f"in {departure.output}{where} (test case: {case.label}, "
        f"{'hyperparameters ' + str(dict(case.hp)) if case.hp else 'default hyperparameters'}):",
        f"    expected {departure.expected!r}, got {departure.got!r}.",
    ]
    if np.isnan(departure.got) or np.isinf(departure.got):
        lines.append("    Your result is not finite: look for a division by zero or a square root of a "
                     "negative number (is t counted from 1?).")
    if mistakes:
        lines.append(f"Most likely mistake: {mistakes[0].title}. {mistakes[0].hint}")
        if len(mistakes) > 1:
            lines.append("Also consistent with: " + "; ".join(m.title for m in mistakes[1:]) + ".")
    else:
        lines.append("It matches none of the common mistakes we know; compare your code with the "
                     "update rule line by line.")
    return "\n".join(lines)


def check_case(contract: Contract, fn: Callable, case: Case, expected: Mapping[str, np.ndarray] | None = None,
               *, check_purity: bool = False) -> str | None:
    """Check ``fn`` on one case against ``expected`` (default: the NumPy reference). ``None`` if it passes.

    With ``check_purity`` only structure and purity are checked: the function must return new
    float64 arrays of the right shape and leave its inputs unchanged; its values are not compared.
    """
    if expected is None:
        expected = rollout(contract, contract.reference, case)
    try:
        with np.errstate(all="ignore"):
            got = rollout(contract, fn, case, check_purity=check_purity)
    except StudentError as err:
        return err.message
    if check_purity:
        return None
    departure = first_departure(expected, got, contract.outputs)
    if departure is None:
        return None
    return describe(contract, case, departure, diagnose(contract, case, got))


def signature_problems(contract: Contract, fn: Callable) -> str | None:
    """Check the parameter names and defaults against the contract; ``None`` if they agree."""
    if not callable(fn):
        return f"{contract.name} is not a function (got {type(fn).__name__})."
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    for name, value in contract.defaults.items():
        if name not in params:
            return f"{contract.name} has no parameter `{name}`: keep the signature given in the exercise."
        default = params[name].default
        if default is not inspect.Parameter.empty and default != value:
            return (f"{contract.name}'s default for `{name}` is {default!r}; the exercise (and "
                    f"{contract.torch_name}) use {value!r}.")
    return None
