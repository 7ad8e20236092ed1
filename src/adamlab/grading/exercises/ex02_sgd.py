"""Exercise 2: ``minibatches(n, batch_size, rng)``, ``step_decay_lr`` and ``cosine_lr`` (plain functions).

The schedules follow ``torch.optim.lr_scheduler`` where torch has one (``tests/grading/test_ex02_sgd.py``
checks the references against it); ``minibatches`` is judged by the property that fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from ..engine.functions import FunctionError, FunctionSpec, Input, error_message, function_probes, judge_values, scalar
from ..engine.messages import Mistake, diagnosis
from ..engine.probes import Exercise, NotebookSetup

# --- minibatches(n, batch_size, rng) -> list of index arrays ---------------------------------------


def minibatches_reference(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle 0..n−1 with ``rng.permutation`` and cut into batches of ``batch_size`` (the last may be smaller)."""
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


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
            raise FunctionError(
                f"minibatches: batch {k} has dtype {arr.dtype}; indices must be integers "
                "(they index the rows of the data: X[batch])."
            )
        sizes.append(arr.size)
        parts.append(arr.astype(np.int64))
    order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return {"order": order, "sizes": np.array(sizes, dtype=np.int64)}


def _evaluate_minibatches(fn, args):
    """Four calls: two epochs from one rng, the same seed again, and another seed."""
    n, bs, seed = int(args["n"]), int(args["batch_size"]), int(args["seed"])
    rng = np.random.default_rng(seed)
    out = {}
    for tag, r in (
        ("first", rng),
        ("second", rng),
        ("same_seed", np.random.default_rng(seed)),
        ("other_seed", np.random.default_rng(seed + 1)),
    ):
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


def _shown(sizes: list[int]) -> str:
    return str(sizes) if len(sizes) <= 12 else f"{sizes[:5]} … {sizes[-3:]} ({len(sizes)} batches)"


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
        return key, f"batch sizes {_shown(got)}, expected {_shown(want)}"
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


def judge_minibatches(spec: FunctionSpec, item: Input, got: Mapping) -> str | None:
    """Property checks: sizes, a permutation per epoch, drawn from ``rng``; each failure names its mistake."""
    error = error_message(spec, item, got)
    if error:
        return error
    n, bs = int(item.args["n"]), int(item.args["batch_size"])
    v = {}
    for key, value in got["values"].items():  # any numbers: what the sandbox sends is not trusted
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
            v["first_order"], v["other_seed_order"]
        ):
            problem = ("same_every_epoch", "two epochs (and two different seeds) gave the same order")
        elif np.array_equal(v["first_order"], v["second_order"]):
            problem = ("same_every_epoch", "two successive epochs from one rng gave the same order")
    if problem is None:
        return None
    key, details = problem
    return f"minibatches is wrong for {item.label}: {details}.\n" + diagnosis(
        [Mistake(key, MINIBATCH_PROBLEMS[key], _MINIBATCH_HINTS[key])]
    )


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
        return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
    if mistake == "array_split":
        return list(np.array_split(order, math.ceil(n / batch_size)))
    if mistake == "empty_last":
        return [order[i * batch_size : (i + 1) * batch_size] for i in range(n // batch_size + 1)]
    if mistake == "out_of_range":
        order = order + 1
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


MINIBATCHES = FunctionSpec(
    name="minibatches",
    reference=minibatches_reference,
    evaluate=_evaluate_minibatches,
    inputs=_minibatches_inputs,
    label=lambda args: f"n = {int(args['n'])}, batch_size = {int(args['batch_size'])}",
    judge=judge_minibatches,
    fixed_suites=("examples",),
    random_suites=("random",),
    torch_name="the contract (a permutation from rng, cut into batches)",
    mistakes=tuple(
        Mistake(k, MINIBATCH_PROBLEMS[k], _MINIBATCH_HINTS[k], partial(_mb_like, mistake=k))
        for k in (
            "drop_last",
            "array_split",
            "empty_last",
            "repeated",
            "out_of_range",
            "not_shuffled",
            "ignores_rng",
            "same_every_epoch",
        )
    ),
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
        return {"lr": np.array([scalar(name, fn(int(s), **hp)) for s in np.asarray(args["steps"])])}

    return evaluate


def _schedule_label(args: Mapping[str, Any]) -> str:
    steps = np.asarray(args["steps"])
    where = (
        f"steps {int(steps[0])} … {int(steps[-1])}"
        if np.array_equal(steps, np.arange(steps[0], steps[-1] + 1))
        else f"{len(steps)} steps from {int(steps[0])} to {int(steps[-1])}"
    )
    return ", ".join(f"{k} = {v:.6g}" for k, v in args["hp"].items()) + ", " + where


def _step_decay_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        return [
            {"steps": np.arange(11), "hp": {"lr": 0.1, "step_size": 3, "gamma": 0.1}},
            {"steps": np.arange(6), "hp": {"lr": 1.0, "step_size": 1, "gamma": 0.5}},
            {"steps": np.arange(13), "hp": {"lr": 0.3, "step_size": 4}},
        ]  # the default gamma
    assert rng is not None
    items = []
    for _ in range(4):
        hp = {
            "lr": float(10 ** rng.uniform(-4, 0)),
            "step_size": int(rng.integers(2, 50)),
            "gamma": float(rng.uniform(0.05, 0.95)),
        }
        steps = np.unique(
            np.concatenate([[0, hp["step_size"] - 1, hp["step_size"]], rng.integers(0, 10 * hp["step_size"], size=20)])
        )
        items.append({"steps": steps, "hp": hp})
    return items


def _step_decay_like(step, *, lr, step_size, gamma=0.1, mistake=""):
    k = {
        "early": (step + 1) // step_size,
        "one_based": (step - 1) // step_size,
        "smooth": step / step_size,
        "every_step": step,
    }.get(mistake, step // step_size)
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
    torch_name="torch.optim.lr_scheduler.StepLR",
    defaults={"gamma": 0.1},
    mistakes=tuple(
        Mistake(key, title, hint, partial(_step_decay_like, mistake=key))
        for key, title, hint in (
            (
                "early",
                "the rate decays one step early (off by one)",
                "step counts the steps already taken, from 0: the rate stays lr for steps 0 … step_size − 1, "
                "so use step // step_size.",
            ),
            (
                "one_based",
                "steps counted from 1 (off by one)",
                "step is 0-based (torch's last_epoch): the first rate, at step 0, is lr; use step // step_size.",
            ),
            (
                "smooth",
                "γ^(step/step_size) without rounding down (a smooth decay)",
                "StepLR decays in stairs: γ^⌊step/step_size⌋, with integer division (//).",
            ),
            (
                "every_step",
                "the rate decays at every step (γ^step)",
                "Decay once every step_size steps: γ^⌊step/step_size⌋.",
            ),
            ("times_k", "lr·γ·k instead of lr·γᵏ", "Each decay multiplies by γ once more: lr·γ**(step // step_size)."),
        )
    ),
)


def _cosine_inputs(suite: str, rng: np.random.Generator | None) -> list[dict]:
    if suite == "examples":
        return [
            {"steps": np.arange(13), "hp": {"lr": 0.1, "total_steps": 10}},
            {"steps": np.arange(7), "hp": {"lr": 1.0, "total_steps": 4, "min_lr": 0.1}},
        ]
    assert rng is not None
    items = []
    for k in range(4):
        total = int(rng.integers(2, 500))
        lr = float(10 ** rng.uniform(-4, 0))
        hp = {"lr": lr, "total_steps": total, "min_lr": float(lr * rng.uniform(0.01, 0.5)) if k % 2 else 0.0}
        steps = np.unique(
            np.concatenate(
                [[0, 1, total // 2, total - 1, total, total + 1, 2 * total], rng.integers(0, total, size=20)]
            )
        )
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
    torch_name="CosineAnnealingLR held at min_lr after total_steps",
    defaults={"min_lr": 0.0},
    mistakes=tuple(
        Mistake(key, title, hint, partial(_cosine_like, mistake=key))
        for key, title, hint in (
            ("degrees", "the angle is in degrees (180·t/T)", "math.cos and np.cos take radians: the angle is π·t/T."),
            (
                "full_period",
                "a full cosine period (2π·t/T)",
                "Half a period takes the rate from lr down to min_lr: the angle is π·t/T.",
            ),
            (
                "no_half",
                "the factor ½ is missing",
                "At step 0 the rate is lr: min_lr + ½(lr − min_lr)(1 + cos(π·t/T)).",
            ),
            (
                "min_lr_ignored",
                "min_lr is ignored",
                "The curve ends at min_lr: min_lr + ½(lr − min_lr)(1 + cos(π·t/T)).",
            ),
            (
                "min_lr_added",
                "min_lr added without subtracting it from lr",
                "Scale the cosine by (lr − min_lr): min_lr + ½(lr − min_lr)(1 + cos(π·t/T)) starts at lr, "
                "not lr + min_lr.",
            ),
            (
                "no_clamp",
                "the rate rises again after total_steps",
                "After total_steps the rate stays at min_lr: use min(step, total_steps). (torch's CosineAnnealingLR "
                "would climb back up; the exercise asks you to hold min_lr.)",
            ),
            (
                "off_by_one",
                "the schedule runs one step ahead (t + 1)",
                "step is 0-based: the rate at step 0 is lr, so the angle is π·step/total_steps.",
            ),
            (
                "t_minus_one_denominator",
                "π·t/(total_steps − 1): the minimum comes one step early",
                "The rate reaches min_lr at step = total_steps: divide by total_steps.",
            ),
        )
    ),
)


EXERCISE = Exercise(
    name="ex02_sgd",
    tests={
        "test_minibatches_examples": "minibatches:examples",
        "test_minibatches_hidden": "minibatches:random",
        "test_step_decay_examples": "step_decay_lr:examples",
        "test_step_decay_hidden": "step_decay_lr:random",
        "test_cosine_examples": "cosine_lr:examples",
        "test_cosine_hidden": "cosine_lr:random",
    },
    probes=(*function_probes(MINIBATCHES), *function_probes(STEP_DECAY_LR), *function_probes(COSINE_LR)),
    function_specs=(MINIBATCHES, STEP_DECAY_LR, COSINE_LR),
    setup=NotebookSetup(
        plain=("import math", "import numpy as np"), guarded=("from adamlab.grading import check_probe",)
    ),
)
