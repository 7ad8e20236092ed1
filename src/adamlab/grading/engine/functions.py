"""Plain functions (``max_stable_lr``, ``minibatches``, schedules): call on inputs, compare outcomes, name the mistake.

A :class:`FunctionSpec`'s suites give inputs (plain numbers and arrays); :func:`outcome` calls a
function on one and keeps only plain values, or the exception it raised (``max_stable_lr`` *must*
raise ``ValueError`` on invalid matrices); the spec's ``judge`` compares that outcome with the
reference's and names the mistake from the catalogue (:func:`judge_values`, or a judge of the
spec's own). :func:`function_probes` turns a spec into one :class:`~.probes.Probe` per suite.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from .messages import NONE_KNOWN, Keyed, Mistake, diagnosis
from .probes import Probe
from .steps import signature_problems, student_lines
from .transport import encode

MESSAGE_CHARS = 400  # of an exception's text, kept in an outcome


class Input(NamedTuple):
    """One input of a check: ``args`` holds plain values only (numbers, arrays, a dict of numbers)."""

    label: str
    args: Mapping[str, Any]


class FunctionError(Exception):
    """The student's function returned the wrong kind of thing (the message says what and why)."""


@dataclass(frozen=True)
class FunctionSpec:
    """How a non-step exercise function is checked.

    ``inputs(suite, rng)`` gives a suite's argument dicts (fixed when ``rng`` is None) and
    ``label(args)`` words one for messages; ``evaluate(fn, args)`` calls ``fn`` and returns
    plain arrays (it raises :class:`FunctionError` for a wrongly shaped result);
    ``judge(spec, item, got)`` returns ``None`` or the message for the student. ``defaults``
    are checked against the student's signature; ``torch_name`` names the ground truth.
    """

    name: str
    reference: Callable
    evaluate: Callable[[Callable, Mapping[str, Any]], dict[str, np.ndarray]]
    inputs: Callable[[str, np.random.Generator | None], list[dict]]
    label: Callable[[Mapping[str, Any]], str]
    judge: Callable[[FunctionSpec, Input, dict], str | None]
    fixed_suites: tuple[str, ...]
    random_suites: tuple[str, ...]
    torch_name: str  # the reference, in messages (torch's, when torch has one)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    mistakes: tuple[Mistake, ...] = ()
    approximate: Mistake | None = None  # named when no mistake fits but the values are within 1 %

    def items(self, suite: str, rng: np.random.Generator | None = None) -> list[Input]:
        if suite not in self.fixed_suites + self.random_suites:
            raise ValueError(f"{self.name} has no suite {suite!r}")
        return [Input(self.label(args), args) for args in self.inputs(suite, rng)]


def outcome(spec: FunctionSpec, fn: Callable, item: Input) -> dict:
    """Run ``fn`` on ``item``: ``{"error": None, "values": {...}}`` or an error record (all plain values).

    This is the part that runs where the student's code runs (the kernel, or the grader's
    sandbox); it never decides anything.
    """
    try:
        with np.errstate(all="ignore"):
            values = spec.evaluate(fn, item.args)
    except NotImplementedError:
        return {
            "error": "not_implemented",
            "message": f"{spec.name} is not implemented yet (it raised "
            "NotImplementedError): replace the `raise` with your code.",
        }
    except FunctionError as err:
        return {"error": "wrong_return", "message": str(err)}
    except Exception as exc:  # the student's code may raise anything
        return {
            "error": "raised",
            "exception": type(exc).__name__,
            "value_error": isinstance(exc, ValueError),
            "message": f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS],
            "where": _lines(exc),
        }
    return {"error": None, "values": {k: np.asarray(v) for k, v in values.items()}}


def _lines(exc: BaseException) -> str:
    text = student_lines(exc).rstrip()
    return "\n" + text if text else ""


def same_outcome(a: Mapping, b: Mapping, rtol: float = 1e-6) -> bool:
    """Whether two outcomes agree: both raised a ValueError, or both returned close values."""
    if a["error"] or b["error"]:
        return a["error"] == b["error"] == "raised" and bool(a["value_error"]) and bool(b["value_error"])
    if set(a["values"]) != set(b["values"]):
        return False
    for k, x in a["values"].items():
        x, y = np.asarray(x), np.asarray(b["values"][k])
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "iub" or y.dtype.kind in "iub":
            if not np.array_equal(x, y):
                return False
        elif not _close(x, y, rtol):
            return False
    return True


def _close(expected: np.ndarray, got: np.ndarray, rtol: float) -> bool:
    with np.errstate(all="ignore"):
        scale = np.nanmax(np.abs(expected)) if expected.size and np.isfinite(expected).any() else 1.0
        return bool(np.all(np.abs(got - expected) <= rtol * np.abs(expected) + 1e-12 * scale))


_OUTCOMES: dict[tuple, dict] = {}


def cached_outcome(spec: FunctionSpec, key: str, fn: Callable, item: Input) -> dict:
    """:func:`outcome` of the reference or a catalogued mistake (``key``), computed once per input."""
    text, arrays = encode(dict(item.args))
    h = hashlib.sha1(text.encode())
    for name in sorted(arrays):
        h.update(name.encode() + str(arrays[name].dtype).encode() + np.ascontiguousarray(arrays[name]).tobytes())
    cache_key = (spec.name, key, h.hexdigest())
    if cache_key not in _OUTCOMES:
        if len(_OUTCOMES) > 4096:
            _OUTCOMES.clear()
        _OUTCOMES[cache_key] = outcome(spec, fn, item)
    return _OUTCOMES[cache_key]


_SUITE: contextvars.ContextVar[tuple] = contextvars.ContextVar("suite", default=())


def matching_mistakes(spec: FunctionSpec, item: Input, got: Mapping) -> list[Mistake]:
    """The catalogued mistakes whose outcome is the student's on ``item`` *and* on every other input of
    the suite of the same kind (valid inputs for a wrong value, invalid ones for a missing ValueError):
    never a coincidence on one input."""

    def invalid(i: Input) -> bool:
        return bool(cached_outcome(spec, "reference", spec.reference, i)["error"])

    kind = invalid(item)
    pairs = [(item, got), *((i, o) for i, o in _SUITE.get() if invalid(i) == kind)]
    return [m for m in spec.mistakes if all(same_outcome(cached_outcome(spec, m.key, m.fn, i), o) for i, o in pairs)]


def _approximately(expected: Mapping, got: Mapping) -> bool:
    """Whether every value is within 1 % of the reference's (an approximation, not a wrong formula)."""
    if expected["error"] or got["error"] or set(expected["values"]) != set(got["values"]):
        return False
    for k, x in expected["values"].items():
        x, y = np.asarray(x, dtype=float), np.asarray(got["values"][k], dtype=float)
        if x.shape != y.shape or not np.all(np.isfinite(y)) or not np.all(np.abs(y - x) <= 1e-2 * np.abs(x)):
            return False
    return True


def error_message(spec: FunctionSpec, item: Input, got: Mapping) -> str | None:
    """The message for an outcome that is an error where a value was expected; ``None`` if it is not."""
    if got["error"] in ("not_implemented", "wrong_return"):
        return str(got["message"])
    if got["error"] == "raised":
        return f"{spec.name} raised {got['message']} (test case: {item.label}).{got.get('where', '')}"
    return None


def judge_values(spec: FunctionSpec, item: Input, got: Mapping) -> str | None:
    """Compare ``got`` with the reference's outcome on ``item``; name the mistake when they differ."""
    expected = cached_outcome(spec, "reference", spec.reference, item)
    if same_outcome(expected, got):
        return None
    none_known = NONE_KNOWN.format(what="rule")
    if expected["error"]:  # the reference raises: the input is invalid
        if got["error"] == "raised":
            why = f"it raised {got['message']}" if not got["value_error"] else ""
        elif got["error"]:
            why = got["message"]
        else:
            value = np.asarray(got["values"].get("value")) if "value" in got["values"] else None
            why = f"it returned {value.item() if value is not None and value.size == 1 else value!r}"
        lines = [f"{spec.name} must raise ValueError for this input ({item.label}); {why}."]
        tail = diagnosis(matching_mistakes(spec, item, got), none_known)
        return Keyed("\n".join([*lines, tail]), tail.key)
    error = error_message(spec, item, got)
    if error:
        return Keyed(error, "raised" if got["error"] == "raised" else got["error"])
    lines = [f"{spec.name} departs from {spec.torch_name} (test case: {item.label}):"]
    for key, exp in expected["values"].items():
        if key not in got["values"]:
            lines.append(f"    no value came back for {key}.")
            break
        exp, res = np.atleast_1d(exp), np.atleast_1d(np.asarray(got["values"][key]))
        if res.shape != exp.shape:
            lines.append(f"    {key} has shape {res.shape}, expected {exp.shape}.")
            break
        bad = np.argwhere(~np.isclose(res, exp, rtol=1e-6, atol=1e-12 * max(1.0, float(np.max(np.abs(exp))))))
        if bad.size:
            i = tuple(bad[0])
            where = _position(item, i)
            lines.append(f"    {where}expected {exp[i].item()!r}, got {res[i].item()!r}.")
            break
    found = matching_mistakes(spec, item, got)
    if not found and spec.approximate is not None and _approximately(expected, got):
        found = [spec.approximate]
    tail = diagnosis(found, none_known)
    return Keyed("\n".join([*lines, tail]), tail.key)


def _position(item: Input, index: tuple) -> str:
    """Words for where a value differs (``at step 7: `` for schedules)."""
    if "steps" in item.args and index:
        return f"at step {int(np.asarray(item.args['steps'])[index[0]])}: "
    return ""


def scalar(name: str, value) -> np.ndarray:
    """``value`` as a 0-d float64 array, or :class:`FunctionError` saying why it is not one number."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        raise FunctionError(f"{name} returned {value!r} ({type(value).__name__}); expected one float.")
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise FunctionError(
            f"{name} returned a complex number ({value!r}); expected a real float. "
            "np.linalg.eigvals may return complex values: for a symmetric matrix use "
            "np.linalg.eigvalsh, whose eigenvalues are real (and sorted)."
        )
    if arr.dtype.kind not in "fiu":
        raise FunctionError(f"{name} returned {type(value).__name__}; expected one float.")
    if arr.size != 1:
        raise FunctionError(
            f"{name} returned an array of shape {arr.shape}; expected one float "
            "(did you return a value per eigenvalue?)."
        )
    return np.asarray(float(arr.reshape(())), dtype=np.float64)


# --- the probes: a suite's inputs cross to the sandbox, the outcomes come back ---------------------------


def _make_inputs(spec: FunctionSpec, suite: str, rng: np.random.Generator | None) -> dict:
    fixed = suite in spec.fixed_suites
    return {"items": [dict(i.args) for i in spec.items(suite, None if fixed else rng)]}


def run_function(spec: FunctionSpec, fn: Callable, inputs: Mapping) -> dict:
    """Where the student's code runs: the signature check, then every input's outcome."""
    problem = signature_problems(spec, fn)
    if problem:
        raise AssertionError(problem)
    outcomes = []
    for args in inputs["items"]:
        res = outcome(spec, fn, Input(spec.label(args), args))
        if res["error"] == "not_implemented":
            raise NotImplementedError
        if res["error"] == "wrong_return":
            raise AssertionError(res["message"])
        outcomes.append(res)
    return {"outcomes": outcomes}


def judge_function(spec: FunctionSpec, inputs: Mapping, outputs: Mapping) -> str | None:
    """Where no student code runs: judge each input's outcome; the first failure decides. A mistake is
    named only if it reproduces the student's outcome on every input of the suite."""
    outcomes = outputs["outcomes"]
    items = [Input(spec.label(args), args) for args in inputs["items"]]
    token = _SUITE.set(tuple(zip(items, outcomes)))
    try:
        for i, item in enumerate(items):
            if i >= len(outcomes):
                return f"{spec.name}: no result came back for the test case {item.label}."
            message = spec.judge(spec, item, outcomes[i])
            if message:
                return message
    finally:
        _SUITE.reset(token)
    return None


def function_probes(spec: FunctionSpec) -> tuple[Probe, ...]:
    """One probe per suite, ``"max_stable_lr:examples"`` ...; fixed suites have the same inputs everywhere."""
    return tuple(
        Probe(
            f"{spec.name}:{suite}",
            spec.name,
            partial(_make_inputs, spec, suite),
            partial(run_function, spec),
            partial(judge_function, spec),
            visible=suite in spec.fixed_suites,
        )
        for suite in spec.fixed_suites + spec.random_suites
    )
