"""Exercise 2's grading: minibatches' property checks and the schedules against torch.optim.lr_scheduler."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from submissions import CellSubmission
from torch.optim import lr_scheduler

from adamlab.grading import check_probe
from adamlab.grading.confirm.sandbox import run_student_code
from adamlab.grading.exercises import ex02_sgd as ex
from adamlab.grading.exercises import probe


def test_minibatches_reference_is_a_shuffled_partition():
    rng = np.random.default_rng(10)
    batches = ex.minibatches_reference(10, 3, rng)
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert [len(b) for b in ex.minibatches_reference(12, 4, rng)] == [4, 4, 4]
    assert [len(b) for b in ex.minibatches_reference(5, 8, rng)] == [5]


def _mb_generator(n, batch_size, rng):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i : i + batch_size]


def _mb_floats(n, batch_size, rng):
    order = rng.permutation(np.arange(n, dtype=float))
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _mb_numpy_global(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _mb_split(n, batch_size, rng):
    return np.array_split(rng.permutation(n), math.ceil(n / batch_size))


def _mb_lists(n, batch_size, rng):  # lists of ints are fine
    order = rng.permutation(n).tolist()
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.parametrize(
    "fn, expected",
    [
        (_mb_generator, "wrap a generator in list(...)"),
        (_mb_floats, "indices must be integers"),
        (_mb_numpy_global, "rng is not used"),
        (_mb_split, "np.array_split"),
        (lambda n, b, rng: None, "returned a NoneType"),
    ],
)
def test_minibatches_messages(fn, expected):
    with pytest.raises(AssertionError) as err:
        check_probe("minibatches:examples", fn)
    assert expected in str(err.value)


def test_minibatches_accepts_lists_of_ints(capsys):
    check_probe("minibatches:examples", _mb_lists)
    check_probe("minibatches:random", _mb_lists, seed=11)
    assert capsys.readouterr().out.count("— correct.") == 2


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
    ours = [ex.step_decay_lr_reference(k, lr=lr, step_size=step_size, gamma=gamma) for k in range(120)]
    theirs = _torch_rates(lambda o: lr_scheduler.StepLR(o, step_size, gamma), lr, 120)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("lr, total, min_lr", [(0.1, 10, 0.0), (1.0, 4, 0.1), (0.02, 97, 1e-4)])
def test_cosine_reference_matches_cosineannealinglr_then_holds(lr, total, min_lr):
    ours = np.array([ex.cosine_lr_reference(k, lr=lr, total_steps=total, min_lr=min_lr) for k in range(total + 1)])
    theirs = _torch_rates(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=min_lr), lr, total + 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)
    assert ex.cosine_lr_reference(3 * total, lr=lr, total_steps=total, min_lr=min_lr) == pytest.approx(min_lr)


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
"""
WRONG_CODE = EX02_CODE.replace("range(0, n, batch_size)]", "range(0, n - batch_size + 1, batch_size)]").replace(
    "math.pi * min(step, total_steps)", "180 * min(step, total_steps)"
)


def test_probes_through_the_real_sandbox():
    """The grader's path: inputs drawn here, the student's code run in the sandbox, judged here."""
    rng = np.random.default_rng(13)
    plan = [(p.name, p.make_inputs(rng)) for p in ex.EXERCISE.probes]
    right, wrong = run_student_code([EX02_CODE], plan), run_student_code([WRONG_CODE], plan)
    assert right.problem is None and wrong.problem is None
    verdicts = {}
    for (name, inputs), ok, bad in zip(plan, right.items, wrong.items, strict=True):
        assert ok["error"] is None, (name, ok)
        assert probe(name).grader_judge(inputs, ok["outputs"]) is None, name
        verdicts[name] = bad["message"] if bad["error"] else probe(name).grader_judge(inputs, bad["outputs"])
    assert verdicts["step_decay_lr:random"] is None
    assert "the last, smaller batch is missing" in verdicts["minibatches:examples"]
    assert "the angle is in degrees" in verdicts["cosine_lr:random"]


# --- wrong solutions as students write them, graded by tests/grading/test_instructor_flow.py: each must lose the
# points of its function's tests alone, and the report must name the catalogued mistake.
ASSIGNMENT = ex.EXERCISE.name
WRONG_CELLS = [
    CellSubmission(
        ASSIGNMENT,
        "drop_last",
        "minibatches",
        "def minibatches(n, batch_size, rng):\n    order = rng.permutation(n)\n"
        "    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]\n",
        "drop_last",
    ),
    CellSubmission(
        ASSIGNMENT,
        "not_shuffled",
        "minibatches",
        "def minibatches(n, batch_size, rng):\n    order = np.arange(n)\n"
        "    return [order[i:i + batch_size] for i in range(0, n, batch_size)]\n",
        "not_shuffled",
    ),
    CellSubmission(
        ASSIGNMENT,
        "decay_every_step",
        "step_decay_lr",
        "def step_decay_lr(step, *, lr, step_size, gamma=0.1):\n    return lr * gamma**step\n",
        "every_step",
    ),
    CellSubmission(
        ASSIGNMENT,
        "cosine_degrees",
        "cosine_lr",
        "def cosine_lr(step, *, lr, total_steps, min_lr=0.0):\n"
        "    progress = min(step, total_steps) / total_steps\n"
        "    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(180 * progress))\n",
        "degrees",
    ),
    CellSubmission(
        ASSIGNMENT,
        "cosine_no_clamp",
        "cosine_lr",
        "def cosine_lr(step, *, lr, total_steps, min_lr=0.0):\n"
        "    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * step / total_steps))\n",
        "no_clamp",
    ),
]
