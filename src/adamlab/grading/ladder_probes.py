"""Checks of the ladder's functions that are not step functions: ``max_stable_lr`` (ex01), and
``minibatches``, ``step_decay_lr`` and ``cosine_lr`` (ex02).

Each function is a :class:`FunctionSpec`: a suite gives inputs (plain numbers and arrays);
:func:`outcome` calls the student's function on one and keeps only plain arrays, or the
exception it raised (``max_stable_lr`` *must* raise ``ValueError`` on invalid matrices);
the spec's ``judge`` compares that outcome with a NumPy reference and names the mistake,
from a catalogue of :class:`~.contract.Mistake` s (for ``minibatches``, from the property
that fails). The references follow ``torch.optim.lr_scheduler`` where torch has one
(``tests/test_grading_ladder.py`` checks them against it).

Every ``(function, suite)`` is registered as a :class:`~.probes.Probe` named
``"function:suite"``, so that notebooks call ``check_probe("minibatches:examples", minibatches)``
and the grader confirms the same cells outside the student's kernel: ``make_inputs`` packs a
suite's inputs into float64 arrays, ``run`` (in the sandbox) packs the outcomes, and ``judge``
(in the grader) unpacks both and decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from .contract import Mistake, signature_problems
from .probes import Probe, register


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
    are checked against the student's signature; ``reference_name`` names the ground truth.
    """

    name: str
    reference: Callable
    evaluate: Callable[[Callable, Mapping[str, Any]], dict[str, np.ndarray]]
    inputs: Callable[[str, np.random.Generator | None], list[dict]]
    label: Callable[[Mapping[str, Any]], str]
    judge: Callable[["FunctionSpec", Input, dict], str | None]
    fixed_suites: tuple[str, ...]
    random_suites: tuple[str, ...]
    reference_name: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    mistakes: tuple[Mistake, ...] = ()

    @property
    def torch_name(self) -> str:  # what contract.signature_problems calls the reference
        return self.reference_name

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
        return {"error": "not_implemented", "message": f"{spec.name} is not implemented yet (it raised "
                "NotImplementedError): replace the `raise` with your code."}
    except FunctionError as err:
        return {"error": "wrong_return", "message": str(err)}
    except Exception as exc:  # the student's code may raise anything
        return {"error": "raised", "exception": type(exc).__name__, "value_error": isinstance(exc, ValueError),
                "message": f"{type(exc).__name__}: {exc}"}
    return {"error": None, "values": {k: np.asarray(v) for k, v in values.items()}}


def same_outcome(a: dict, b: dict, rtol: float = 1e-6) -> bool:
    """Whether two outcomes agree: both raised a ValueError, or both returned close values."""
    if a["error"] or b["error"]:
        return a["error"] == b["error"] == "raised" and a["value_error"] and b["value_error"]
    if set(a["values"]) != set(b["values"]):
        return False
    for k, x in a["values"].items():
        y = b["values"][k]
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


def matching_mistakes(spec: FunctionSpec, item: Input, got: dict) -> list[Mistake]:
    """The catalogued mistakes whose outcome on ``item`` is ``got``."""
    return [m for m in spec.mistakes if same_outcome(outcome(spec, m.fn, item), got)]


def _diagnosis(spec: FunctionSpec, item: Input, got: dict) -> list[str]:
    found = matching_mistakes(spec, item, got)
    if not found:
        return ["It matches none of the common mistakes we know; compare your code with the rule line by line."]
    lines = [f"Most likely mistake: {found[0].title}. {found[0].hint}"]
    if len(found) > 1:
        lines.append("Also consistent with: " + "; ".join(m.title for m in found[1:]) + ".")
    return lines


def _error_message(spec: FunctionSpec, item: Input, got: dict) -> str | None:
    """The message for an outcome that is an error where a value was expected; ``None`` if it is not."""
    if got["error"] in ("not_implemented", "wrong_return"):
        return got["message"]
    if got["error"] == "raised":
        return f"{spec.name} raised {got['message']} (test case: {item.label})."
    return None


def judge_values(spec: FunctionSpec, item: Input, got: dict) -> str | None:
    """Compare ``got`` with the reference's outcome on ``item``; name the mistake when they differ."""
    expected = outcome(spec, spec.reference, item)
    if same_outcome(expected, got):
        return None
    if expected["error"]:  # the reference raises: the input is invalid
        if got["error"] == "raised":
            why = (f"it raised {got['message']}" if not got["value_error"] else "")
        elif got["error"]:
            why = got["message"]
        else:
            value = got["values"].get("value")
            why = f"it returned {value.item() if value is not None and value.size == 1 else value!r}"
        lines = [f"{spec.name} must raise ValueError for this input ({item.label}); {why}."]
        return "\n".join(lines + _diagnosis(spec, item, got))
    error = _error_message(spec, item, got)
    if error:
        return error
    lines = [f"{spec.name} departs from {spec.reference_name} (test case: {item.label}):"]
    for key, exp in expected["values"].items():
        if key not in got["values"]:
            lines.append(f"    no value came back for {key}.")
            break
        exp, res = np.atleast_1d(exp), np.atleast_1d(got["values"][key])
        if res.shape != exp.shape:
            lines.append(f"    {key} has shape {res.shape}, expected {exp.shape}.")
            break
        bad = np.argwhere(~np.isclose(res, exp, rtol=1e-6, atol=1e-12 * max(1.0, float(np.max(np.abs(exp))))))
        if bad.size:
            i = tuple(bad[0])
            where = _position(spec, item, key, i)
            lines.append(f"    {where}expected {exp[i].item()!r}, got {res[i].item()!r}.")
            break
    return "\n".join(lines + _diagnosis(spec, item, got))


def _position(spec: FunctionSpec, item: Input, key: str, index: tuple) -> str:
    """Words for where a value differs (``at step 7: `` for schedules)."""
    if "steps" in item.args and index:
        return f"at step {int(np.asarray(item.args['steps'])[index[0]])}: "
    return ""


# --- max_stable_lr(A) -> float ----------------------------------------------------------------------------


def max_stable_lr_reference(A) -> float:
    """2/λ_max for a symmetric positive definite ``A``; ``ValueError`` otherwise."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.allclose(A, A.T):
        raise ValueError("A must be symmetric")
    eigenvalues = np.linalg.eigvalsh(A)
    if eigenvalues[0] <= 0:
        raise ValueError(f"A must be positive definite (its smallest eigenvalue is {eigenvalues[0]:g})")
    return 2.0 / eigenvalues[-1]


def _scalar(name: str, value) -> np.ndarray:
    """``value`` as a 0-d float64 array, or :class:`FunctionError` saying why it is not one number."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        raise FunctionError(f"{name} returned {value!r} ({type(value).__name__}); expected one float.")
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise FunctionError(f"{name} returned a complex number ({value!r}); expected a real float. "
                            "np.linalg.eigvals may return complex values: for a symmetric matrix use "
                            "np.linalg.eigvalsh, whose eigenvalues are real (and sorted).")
    if arr.dtype.kind not in "fiu":
        raise FunctionError(f"{name} returned {type(value).__name__}; expected one float.")
    if arr.size != 1:
        raise FunctionError(f"{name} returned an array of shape {arr.shape}; expected one float "
                            "(did you return a value per eigenvalue?).")
    return np.asarray(float(arr.reshape(())), dtype=np.float64)


def _evaluate_max_stable_lr(fn, args):
    A = np.array(args["A"], dtype=np.float64)
    before = A.copy()
    value = fn(A)
    if not np.array_equal(A, before):
        raise FunctionError("max_stable_lr modified its input A in place: work on a copy.")
    return {"value": _scalar("max_stable_lr", value)}


def _spd(rng: np.random.Generator, n: int, cond: float, top: float) -> np.ndarray:
    """A random symmetric positive definite matrix with largest eigenvalue ``top`` and condition ``cond``."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lam = top * np.concatenate([[1.0, 1.0 / cond], cond ** -rng.uniform(0, 1, size=n - 2)])[:n]
    rng.shuffle(lam)
    A = (q * lam) @ q.T
    return (A + A.T) / 2


def _max_stable_lr_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        return [{"A": np.diag([1.0, 4.0])}, {"A": np.array([[2.0, 1.0], [1.0, 2.0]])}, {"A": np.array([[4.0]])},
                {"A": np.array([[6.0, -2.0, 2.0], [-2.0, 5.0, 0.0], [2.0, 0.0, 7.0]])}]  # eigenvalues 3, 6, 9
    if suite == "errors":
        return [{"A": np.array([[2.0, 1.0], [0.0, 2.0]])}, {"A": np.array([[1.0, 2.0], [2.0, 1.0]])},
                {"A": -np.eye(3)}]
    assert rng is not None
    items = []
    for _ in range(6):
        n = int(rng.integers(2, 9))
        items.append({"A": _spd(rng, n, cond=10 ** rng.uniform(0, 4), top=10 ** rng.uniform(-1, 2))})
    n = int(rng.integers(2, 7))
    skew = rng.normal(size=(n, n))
    items.append({"A": _spd(rng, n, 10.0, 1.0) + 0.3 * (skew - skew.T)})  # not symmetric
    lam = np.concatenate([[-rng.uniform(0.1, 1.0)], rng.uniform(0.5, 5.0, size=n - 1)])
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    B = (q * lam) @ q.T
    items.append({"A": (B + B.T) / 2})  # symmetric, one negative eigenvalue
    return items


def _matrix_label(args: Mapping[str, Any]) -> str:
    """``A = [[2, 1], [0, 2]] (not symmetric)``, or ``a random 6 × 6 matrix (...)`` for larger ones."""
    A = np.asarray(args["A"], dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.isfinite(A).all():
        return f"an array of shape {A.shape}"
    n = A.shape[0]
    if n <= 3 and np.array_equal(A, np.round(A)):
        rows = ", ".join("[" + ", ".join(f"{x + 0.0:g}" for x in row) + "]" for row in A)  # + 0.0: no "-0"
        name = f"A = [{rows}]".replace("-", "−")
    else:
        name = f"a random {n} × {n} matrix"
    if not np.allclose(A, A.T):
        return f"{name} (not symmetric)"
    lam = np.linalg.eigvalsh(A)
    if n <= 3:
        words = [f"{x:.4g}".replace("-", "−") for x in lam]
        shown = words[0] if n == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"{name} (eigenvalue{'s' if n > 1 else ''} {shown})"
    kind = "positive definite" if lam[0] > 0 else "not positive definite"
    return f"{name} (symmetric, {kind}, eigenvalues from {lam[0]:.3g} to {lam[-1]:.3g})".replace("-", "−")


def _mslr_like(A, *, value="2/lmax", check_symmetric=True, check_definite=True):
    """max_stable_lr with one mistake: a wrong formula or a missing validation."""
    A = np.asarray(A, dtype=np.float64)
    if check_symmetric and not np.allclose(A, A.T):
        raise ValueError("A must be symmetric")
    lam = np.linalg.eigvalsh(A)
    if check_definite and lam[0] <= 0:
        raise ValueError("A must be positive definite")
    with np.errstate(all="ignore"):
        return float({
            "2/lmax": 2 / lam[-1], "1/lmax": 1 / lam[-1], "2/lmin": 2 / lam[0], "1/lmax2": 1 / lam[-1] ** 2,
            "2/maxdiag": 2 / np.max(np.abs(np.diag(A))), "2/trace": 2 / np.trace(A),
            "2/fro": 2 / np.linalg.norm(A), "lmax": lam[-1],
        }[value])


def _mslr_variant(key, title, hint, **flags):
    return Mistake(key, title, hint, partial(_mslr_like, **flags))


MAX_STABLE_LR = FunctionSpec(
    name="max_stable_lr",
    reference=max_stable_lr_reference,
    evaluate=_evaluate_max_stable_lr,
    inputs=_max_stable_lr_inputs,
    label=_matrix_label,
    judge=judge_values,
    fixed_suites=("examples", "errors"),
    random_suites=("random",),
    reference_name="2/λ_max",
    mistakes=(
        _mslr_variant("one_over_lmax", "1/λ_max instead of 2/λ_max",
                      "Gradient descent on ½xᵀAx multiplies each eigen-coordinate by (1 − lr·λ): it stays "
                      "stable while |1 − lr·λ| < 1, that is lr < 2/λ. lr = 1/λ_max is the step that removes "
                      "the top coordinate in one move, not the largest stable one.", value="1/lmax"),
        _mslr_variant("two_over_lmin", "2/λ_min instead of 2/λ_max",
                      "The largest eigenvalue limits the step: every coordinate needs lr < 2/λ. "
                      "np.linalg.eigvalsh returns the eigenvalues in ascending order: λ_max is the last one.",
                      value="2/lmin"),
        _mslr_variant("one_over_lmax_squared", "1/λ_max² instead of 2/λ_max",
                      "The condition is |1 − lr·λ| < 1 for every eigenvalue λ: lr < 2/λ_max.", value="1/lmax2"),
        _mslr_variant("lmax", "λ_max returned instead of 2/λ_max",
                      "Return the step size 2/λ_max, not the eigenvalue.", value="lmax"),
        _mslr_variant("two_over_max_diag", "2/max|diagonal| instead of 2/λ_max",
                      "The diagonal entries are the eigenvalues only for a diagonal matrix: use "
                      "np.linalg.eigvalsh(A).", value="2/maxdiag"),
        _mslr_variant("two_over_trace", "2/trace(A) instead of 2/λ_max",
                      "The trace is the sum of the eigenvalues, not the largest: use np.linalg.eigvalsh(A).",
                      value="2/trace"),
        _mslr_variant("two_over_frobenius", "2/‖A‖_F (Frobenius norm) instead of 2/λ_max",
                      "np.linalg.norm(A) is the Frobenius norm, √(Σλ²), larger than λ_max: use "
                      "np.linalg.eigvalsh(A) (or np.linalg.norm(A, 2)).", value="2/fro"),
        _mslr_variant("no_validation", "no validation of A",
                      "Raise ValueError when A is not symmetric (np.allclose(A, A.T)) or not positive "
                      "definite (smallest eigenvalue ≤ 0).", check_symmetric=False, check_definite=False),
        _mslr_variant("no_symmetry_check", "A is not checked for symmetry",
                      "np.linalg.eigvalsh reads only one triangle of A and silently assumes symmetry: "
                      "raise ValueError unless np.allclose(A, A.T).", check_symmetric=False),
        _mslr_variant("no_definiteness_check", "A is not checked for positive definiteness",
                      "Raise ValueError when the smallest eigenvalue is ≤ 0: then no constant step "
                      "converges (the quadratic has no minimum).", check_definite=False),
    ),
)


# --- minibatches(n, batch_size, rng) -> list of index arrays ---------------------------------------


def minibatches_reference(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle 0..n−1 with ``rng.permutation`` and cut into batches of ``batch_size`` (the last may be smaller)."""
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _encode_batches(result, n: int) -> dict[str, np.ndarray]:
    if not isinstance(result, (list, tuple)):
        kind = type(result).__name__
        more = " (wrap a generator in list(...))" if hasattr(result, "__next__") else ""
        raise FunctionError(f"minibatches returned a {kind}; expected a list of index arrays{more}.")
    sizes, parts = [], []
    for k, batch in enumerate(result):
        arr = np.asarray(batch)
        if arr.ndim != 1:
            raise FunctionError(f"minibatches: batch {k} has shape {arr.shape}; expected a 1-D array of indices.")
        if arr.size and arr.dtype.kind not in "iu":
            raise FunctionError(f"minibatches: batch {k} has dtype {arr.dtype}; indices must be integers "
                                "(they index the rows of the data: X[batch]).")
        sizes.append(arr.size)
        parts.append(arr.astype(np.int64))
    order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return {"order": order, "sizes": np.array(sizes, dtype=np.int64)}


def _evaluate_minibatches(fn, args):
    """Four calls: two epochs from one rng, the same seed again, and another seed."""
    n, bs, seed = int(args["n"]), int(args["batch_size"]), int(args["seed"])
    rng = np.random.default_rng(seed)
    out = {}
    for tag, r in (("first", rng), ("second", rng), ("same_seed", np.random.default_rng(seed)),
                   ("other_seed", np.random.default_rng(seed + 1))):
        for key, value in _encode_batches(fn(n, bs, r), n).items():
            out[f"{tag}_{key}"] = value
    return out


def _minibatches_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        shapes = [(10, 3), (12, 4), (5, 8), (20, 20), (1, 1)]
        return [{"n": n, "batch_size": b, "seed": 2024 + k} for k, (n, b) in enumerate(shapes)]
    assert rng is not None
    items = []
    for k in range(8):
        n = int(rng.integers(8, 300))
        if k % 2:  # every other case: batch_size divides n
            b = max(int(n // rng.integers(2, 9)), 1)
            n = b * (n // b)
        else:
            b = int(rng.integers(1, n + 10))
        items.append({"n": n, "batch_size": b, "seed": int(rng.integers(2**31))})
    return items


MINIBATCH_PROBLEMS = {
    "drop_last": "the last, smaller batch is missing",
    "array_split": "batches of balanced sizes (np.array_split) instead of full batches plus a smaller last one",
    "empty_last": "an empty batch at the end",
    "wrong_sizes": "wrong batch sizes",
    "repeated": "indices repeated (sampled with replacement?)",
    "out_of_range": "indices outside 0 … n − 1",
    "missing": "indices missing",
    "not_shuffled": "the indices are not shuffled",
    "ignores_rng": "rng is not used (another random generator draws the order)",
    "same_every_epoch": "every epoch has the same order",
}

_MINIBATCH_HINTS = {
    "drop_last": "Keep the remainder: for n = 10 and batch_size = 3 the sizes are 3, 3, 3, 1 — "
                 "range(0, n, batch_size) gives every start.",
    "array_split": "np.array_split(order, k) makes k batches of nearly equal size; the contract wants "
                   "batch_size everywhere except the last: [order[i:i + batch_size] for i in range(0, n, batch_size)].",
    "empty_last": "When batch_size divides n there is no partial batch: loop over range(0, n, batch_size).",
    "wrong_sizes": "Every batch has batch_size indices except the last, which has the remainder.",
    "repeated": "Draw a permutation (rng.permutation(n)), not n random indices: each index must appear "
                "exactly once per epoch.",
    "out_of_range": "Indices run from 0 to n − 1.",
    "missing": "Every index 0 … n − 1 must appear exactly once per epoch.",
    "not_shuffled": "Shuffle the indices with rng.permutation(n) before cutting them into batches.",
    "ignores_rng": "Draw the order from the rng you are given (rng.permutation(n)), not from np.random or a "
                   "generator of your own: the caller's seed must make the run reproducible.",
    "same_every_epoch": "Do not create a new generator inside the function (np.random.default_rng(0) restarts "
                        "the same sequence every call): use rng, which moves on between epochs.",
}


def _minibatch_problem(order: np.ndarray, sizes: np.ndarray, n: int, bs: int) -> tuple[str, str] | None:
    """The first thing wrong with one epoch's batches: ``(key, details)``, or ``None``."""
    full, rest = divmod(n, bs)
    want = [bs] * full + ([rest] if rest else [])
    got = [int(s) for s in sizes]
    if got != want:
        if got == [bs] * full and rest:
            key = "drop_last"
        elif got == [bs] * full + [0]:
            key = "empty_last"
        elif len(got) == len(want) and sum(got) == n and max(got) - min(got) <= 1:
            key = "array_split"
        else:
            key = "wrong_sizes"
        shown = lambda s: str(s) if len(s) <= 12 else f"{s[:5]} … {s[-3:]} ({len(s)} batches)"
        return key, f"batch sizes {shown(got)}, expected {shown(want)}"
    if order.size and (order.min() < 0 or order.max() >= n):
        return "out_of_range", f"indices from {order.min()} to {order.max()}"
    counts = np.bincount(order, minlength=n)
    if (counts > 1).any():
        return "repeated", f"{int((counts > 1).sum())} indices appear more than once, e.g. {int(np.argmax(counts))}"
    if (counts == 0).any():
        return "missing", f"index {int(np.argmin(counts))} never appears"
    if n >= 8 and np.array_equal(order, np.arange(n)):
        return "not_shuffled", "the batches are 0, 1, 2, … in order"
    return None


def judge_minibatches(spec: FunctionSpec, item: Input, got: dict) -> str | None:
    """Property checks: sizes, a permutation per epoch, drawn from ``rng``; each failure names its mistake."""
    error = _error_message(spec, item, got)
    if error:
        return error
    n, bs = int(item.args["n"]), int(item.args["batch_size"])
    v = {}
    for key, value in got["values"].items():  # floats when they come back from the sandbox
        value = np.asarray(value, dtype=np.float64).ravel()
        if not (np.isfinite(value).all() and np.array_equal(value, np.round(value))):
            return f"minibatches is wrong for {item.label}: the batches do not hold integer indices."
        v[key] = value.astype(np.int64)
    for tag in ("first", "second", "same_seed", "other_seed"):
        if f"{tag}_order" not in v or f"{tag}_sizes" not in v:
            return f"minibatches is wrong for {item.label}: no result came back."
    problem = None
    for tag in ("first", "second", "same_seed", "other_seed"):
        problem = _minibatch_problem(v[f"{tag}_order"], v[f"{tag}_sizes"], n, bs)
        if problem:
            break
    if problem is None and n >= 8:
        if not np.array_equal(v["first_order"], v["same_seed_order"]):
            problem = ("ignores_rng", "two generators with the same seed gave different batches")
        elif np.array_equal(v["first_order"], v["second_order"]) and np.array_equal(
                v["first_order"], v["other_seed_order"]):
            problem = ("same_every_epoch", "two epochs (and two different seeds) gave the same order")
        elif np.array_equal(v["first_order"], v["second_order"]):
            problem = ("same_every_epoch", "two successive epochs from one rng gave the same order")
    if problem is None:
        return None
    key, details = problem
    return (f"minibatches is wrong for {item.label}: {details}.\n"
            f"Most likely mistake: {MINIBATCH_PROBLEMS[key]}. {_MINIBATCH_HINTS[key]}")


def _mb_like(n, batch_size, rng, *, mistake):
    """minibatches with one mistake (the ``MINIBATCH_PROBLEMS`` key)."""
    if mistake == "repeated":
        order = rng.integers(0, n, size=n)
    elif mistake == "not_shuffled":
        order = np.arange(n)
    elif mistake == "ignores_rng":
        order = np.random.permutation(n)
    elif mistake == "same_every_epoch":
        order = np.random.default_rng(0).permutation(n)
    else:
        order = rng.permutation(n)
    if mistake == "drop_last":
        return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
    if mistake == "array_split":
        return list(np.array_split(order, math.ceil(n / batch_size)))
    if mistake == "empty_last":
        return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size + 1)]
    if mistake == "out_of_range":
        order = order + 1
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


MINIBATCHES = FunctionSpec(
    name="minibatches",
    reference=minibatches_reference,
    evaluate=_evaluate_minibatches,
    inputs=_minibatches_inputs,
    label=lambda args: f"n = {int(args['n'])}, batch_size = {int(args['batch_size'])}",
    judge=judge_minibatches,
    fixed_suites=("examples",),
    random_suites=("random",),
    reference_name="the contract (a permutation from rng, cut into batches)",
    mistakes=tuple(Mistake(k, MINIBATCH_PROBLEMS[k], _MINIBATCH_HINTS[k], partial(_mb_like, mistake=k))
                   for k in ("drop_last", "array_split", "empty_last", "repeated", "out_of_range",
                             "not_shuffled", "ignores_rng", "same_every_epoch")),
)


# --- step_decay_lr(step, *, lr, step_size, gamma=0.1) and cosine_lr(step, *, lr, total_steps, min_lr=0.0) ---


def step_decay_lr_reference(step: int, *, lr: float, step_size: int, gamma: float = 0.1) -> float:
    """lr·γ^⌊step/step_size⌋: torch.optim.lr_scheduler.StepLR after ``step`` scheduler steps."""
    return lr * gamma ** (step // step_size)


def cosine_lr_reference(step: int, *, lr: float, total_steps: int, min_lr: float = 0.0) -> float:
    """Half a cosine from lr to min_lr over total_steps (CosineAnnealingLR(T_max=total_steps)), then min_lr."""
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


def _evaluate_schedule(name: str):
    def evaluate(fn, args):
        hp = dict(args["hp"])
        return {"lr": np.array([_scalar(name, fn(int(s), **hp)) for s in np.asarray(args["steps"])])}
    return evaluate


def _schedule_label(args: Mapping[str, Any]) -> str:
    steps = np.asarray(args["steps"])
    where = (f"steps {int(steps[0])} … {int(steps[-1])}" if np.array_equal(steps, np.arange(steps[0], steps[-1] + 1))
             else f"{len(steps)} steps from {int(steps[0])} to {int(steps[-1])}")
    return ", ".join(f"{k} = {v:.6g}" for k, v in args["hp"].items()) + ", " + where


def _step_decay_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        return [{"steps": np.arange(11), "hp": {"lr": 0.1, "step_size": 3, "gamma": 0.1}},
                {"steps": np.arange(6), "hp": {"lr": 1.0, "step_size": 1, "gamma": 0.5}},
                {"steps": np.arange(13), "hp": {"lr": 0.3, "step_size": 4}}]  # the default gamma
    assert rng is not None
    items = []
    for _ in range(4):
        hp = {"lr": float(10 ** rng.uniform(-4, 0)), "step_size": int(rng.integers(2, 50)),
              "gamma": float(rng.uniform(0.05, 0.95))}
        steps = np.unique(np.concatenate([[0, hp["step_size"] - 1, hp["step_size"]],
                                          rng.integers(0, 10 * hp["step_size"], size=20)]))
        items.append({"steps": steps, "hp": hp})
    return items


def _step_decay_like(step, *, lr, step_size, gamma=0.1, mistake=""):
    k = {"early": (step + 1) // step_size, "one_based": (step - 1) // step_size, "smooth": step / step_size,
         "every_step": step}.get(mistake, step // step_size)
    return lr * gamma * k if mistake == "times_k" else lr * gamma**k


STEP_DECAY_LR = FunctionSpec(
    name="step_decay_lr",
    reference=step_decay_lr_reference,
    evaluate=_evaluate_schedule("step_decay_lr"),
    inputs=_step_decay_inputs,
    label=_schedule_label,
    judge=judge_values,
    fixed_suites=("examples",),
    random_suites=("random",),
    reference_name="torch.optim.lr_scheduler.StepLR",
    defaults={"gamma": 0.1},
    mistakes=tuple(Mistake(key, title, hint, partial(_step_decay_like, mistake=key)) for key, title, hint in (
        ("early", "the rate decays one step early (off by one)",
         "step counts the steps already taken, from 0: the rate stays lr for steps 0 … step_size − 1, "
         "so use step // step_size."),
        ("one_based", "steps counted from 1 (off by one)",
         "step is 0-based (torch's last_epoch): the first rate, at step 0, is lr; use step // step_size."),
        ("smooth", "γ^(step/step_size) without rounding down (a smooth decay)",
         "StepLR decays in stairs: γ^⌊step/step_size⌋, with integer division (//)."),
        ("every_step", "the rate decays at every step (γ^step)",
         "Decay once every step_size steps: γ^⌊step/step_size⌋."),
        ("times_k", "lr·γ·k instead of lr·γᵏ",
         "Each decay multiplies by γ once more: lr·γ**(step // step_size)."),
    )),
)


def _cosine_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        return [{"steps": np.arange(13), "hp": {"lr": 0.1, "total_steps": 10}},
                {"steps": np.arange(7), "hp": {"lr": 1.0, "total_steps": 4, "min_lr": 0.1}}]
    assert rng is not None
    items = []
    for k in range(4):
        total = int(rng.integers(2, 500))
        lr = float(10 ** rng.uniform(-4, 0))
        hp = {"lr": lr, "total_steps": total, "min_lr": float(lr * rng.uniform(0.01, 0.5)) if k % 2 else 0.0}
        steps = np.unique(np.concatenate([[0, 1, total // 2, total - 1, total, total + 1, 2 * total],
                                          rng.integers(0, total, size=20)]))
        items.append({"steps": steps, "hp": hp})
    return items


def _cosine_like(step, *, lr, total_steps, min_lr=0.0, mistake=""):
    t, T = (step if mistake == "no_clamp" else min(step, total_steps)), total_steps
    if mistake == "off_by_one":
        t = min(step + 1, T)
    if mistake == "t_minus_one_denominator":
        T = max(total_steps - 1, 1)
        t = min(step, T)
    angle = {"degrees": 180.0 * t / T, "full_period": 2 * math.pi * t / T}.get(mistake, math.pi * t / T)
    half = 1.0 if mistake == "no_half" else 0.5
    if mistake == "min_lr_ignored":
        return half * lr * (1 + math.cos(angle))
    if mistake == "min_lr_added":
        return min_lr + half * lr * (1 + math.cos(angle))
    return min_lr + half * (lr - min_lr) * (1 + math.cos(angle))


COSINE_LR = FunctionSpec(
    name="cosine_lr",
    reference=cosine_lr_reference,
    evaluate=_evaluate_schedule("cosine_lr"),
    inputs=_cosine_inputs,
    label=_schedule_label,
    judge=judge_values,
    fixed_suites=("examples",),
    random_suites=("random",),
    reference_name="CosineAnnealingLR held at min_lr after total_steps",
    defaults={"min_lr": 0.0},
    mistakes=tuple(Mistake(key, title, hint, partial(_cosine_like, mistake=key)) for key, title, hint in (
        ("degrees", "the angle is in degrees (180·t/T)",
         "math.cos and np.cos take radians: the angle is π·t/T."),
        ("full_period", "a full cosine period (2π·t/T)",
         "Half a period takes the rate from lr down to min_lr: the angle is π·t/T."),
        ("no_half", "the factor ½ is missing",
         "At step 0 the rate is lr: min_lr + ½(lr − min_lr)(1 + cos(π·t/T))."),
        ("min_lr_ignored", "min_lr is ignored",
         "The curve ends at min_lr: min_lr + ½(lr − min_lr)(1 + cos(π·t/T))."),
        ("min_lr_added", "min_lr added without subtracting it from lr",
         "Scale the cosine by (lr − min_lr): min_lr + ½(lr − min_lr)(1 + cos(π·t/T)) starts at lr, not lr + min_lr."),
        ("no_clamp", "the rate rises again after total_steps",
         "After total_steps the rate stays at min_lr: use min(step, total_steps). (torch's CosineAnnealingLR "
         "would climb back up; the exercise asks you to hold min_lr.)"),
        ("off_by_one", "the schedule runs one step ahead (t + 1)",
         "step is 0-based: the rate at step 0 is lr, so the angle is π·step/total_steps."),
        ("t_minus_one_denominator", "π·t/(total_steps − 1): the minimum comes one step early",
         "The rate reaches min_lr at step = total_steps: divide by total_steps."),
    )),
)


FUNCTIONS: dict[str, FunctionSpec] = {s.name: s for s in (MAX_STABLE_LR, MINIBATCHES, STEP_DECAY_LR, COSINE_LR)}


# --- the probes: a suite's inputs and outcomes as float64 arrays ------------------------------------------

_INT_ARGS = {"n", "batch_size", "seed", "step_size", "total_steps"}
_MESSAGE_BYTES = 400


def pack_inputs(items: list[Input]) -> dict[str, np.ndarray]:
    """``{"count": k, "0__A": ..., "1__hp__lr": ...}``: what crosses into the sandbox (float64 arrays only)."""
    out = {"count": np.array(float(len(items)))}
    for i, item in enumerate(items):
        for key, value in item.args.items():
            if isinstance(value, Mapping):
                out |= {f"{i}__hp__{k}": np.array(float(v)) for k, v in value.items()}
            else:
                out[f"{i}__{key}"] = np.asarray(value, dtype=np.float64)
    return out


def unpack_inputs(spec: FunctionSpec, inputs: Mapping[str, np.ndarray]) -> list[Input]:
    """The inverse of :func:`pack_inputs` (labels are recomputed from the arguments)."""
    items = []
    for i in range(int(inputs["count"])):
        args: dict[str, Any] = {}
        for key, value in inputs.items():
            head, _, rest = key.partition("__")
            if head != str(i):
                continue
            if rest.startswith("hp__"):
                args.setdefault("hp", {})[rest[4:]] = _number(rest[4:], value)
            elif rest in _INT_ARGS:
                args[rest] = _number(rest, value)
            else:
                args[rest] = np.asarray(value, dtype=np.int64) if rest == "steps" else np.asarray(value)
        if spec.name in ("step_decay_lr", "cosine_lr"):
            args.setdefault("hp", {})
        items.append(Input(spec.label(args), args))
    return items


def _number(key: str, value) -> int | float:
    x = float(np.asarray(value).reshape(()))
    return int(x) if key in _INT_ARGS else x


def pack_outcomes(outcomes: list[dict]) -> dict[str, np.ndarray]:
    """Outcomes as float64 arrays: ``"0__v__value"``, or ``"0__raised"`` (1: a ValueError, 2: another
    exception) with ``"0__message"``, its text as byte values."""
    out = {}
    for i, res in enumerate(outcomes):
        if res["error"] is None:
            out |= {f"{i}__v__{k}": np.asarray(v, dtype=np.float64) for k, v in res["values"].items()}
        else:
            out[f"{i}__raised"] = np.array(1.0 if res.get("value_error") else 2.0)
            text = res["message"].encode("utf-8", "replace")[:_MESSAGE_BYTES]
            out[f"{i}__message"] = np.frombuffer(text, dtype=np.uint8).astype(np.float64)
    return out


def unpack_outcome(outputs: Mapping[str, np.ndarray], i: int) -> dict:
    """One outcome back from :func:`pack_outcomes` (whatever the sandbox sent: it is only compared)."""
    if f"{i}__raised" in outputs:
        codes = np.clip(np.nan_to_num(np.asarray(outputs.get(f"{i}__message", []), dtype=np.float64)), 0, 255)
        message = bytes(codes.astype(np.uint8)[:_MESSAGE_BYTES]).decode("utf-8", "replace")
        return {"error": "raised", "value_error": float(np.asarray(outputs[f"{i}__raised"]).ravel()[0]) == 1.0,
                "message": message}
    prefix = f"{i}__v__"
    values = {k[len(prefix):]: np.asarray(v, dtype=np.float64) for k, v in outputs.items() if k.startswith(prefix)}
    if not values:
        return {"error": "wrong_return", "message": "no result came back for this test case."}
    return {"error": None, "values": values}


def _make_inputs(spec: FunctionSpec, suite: str) -> Callable:
    fixed = suite in spec.fixed_suites
    return lambda rng: pack_inputs(spec.items(suite, None if fixed else rng))


def _run(spec: FunctionSpec) -> Callable:
    """Where the student's code runs: the signature check, then every input's outcome, packed."""
    def run(fn, inputs):
        problem = signature_problems(spec, fn)
        if problem:
            raise AssertionError(problem)
        outcomes = []
        for item in unpack_inputs(spec, inputs):
            res = outcome(spec, fn, item)
            if res["error"] == "not_implemented":
                raise NotImplementedError
            if res["error"] == "wrong_return":
                raise AssertionError(res["message"])
            outcomes.append(res)
        return pack_outcomes(outcomes)
    return run


def _judge(spec: FunctionSpec) -> Callable:
    """Where no student code runs: unpack the inputs and the outcomes, and judge the first failure."""
    def judge(inputs, outputs):
        for i, item in enumerate(unpack_inputs(spec, inputs)):
            message = spec.judge(spec, item, unpack_outcome(outputs, i))
            if message:
                return message
        return None
    return judge


PROBES: dict[str, Probe] = {}
for _spec in FUNCTIONS.values():
    for _suite in _spec.fixed_suites + _spec.random_suites:
        _name = f"{_spec.name}:{_suite}"
        PROBES[_name] = register(Probe(_name, _spec.name, _make_inputs(_spec, _suite), _run(_spec), _judge(_spec),
                                       visible_seed=2015 if _suite in _spec.fixed_suites else None))
