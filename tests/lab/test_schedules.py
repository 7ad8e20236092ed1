"""adamlab.lab.schedules against torch.optim.lr_scheduler, step by step."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from torch.optim import lr_scheduler as tls

from adamlab.lab import schedules as S

LR = 0.1
STEPS = 150
W = 12  # warm-up steps


CASES = {
    "constant": (partial(S.constant, lr=LR), lambda o: tls.ConstantLR(o, factor=1.0, total_iters=1)),
    "step_decay": (partial(S.step_decay, lr=LR, step_size=40, gamma=0.3), lambda o: tls.StepLR(o, 40, 0.3)),
    "exponential": (partial(S.exponential, lr=LR, gamma=0.97), lambda o: tls.ExponentialLR(o, 0.97)),
    "inverse_time": (
        partial(S.inverse_time, lr=LR, decay=0.05),
        lambda o: tls.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.05 * t)),
    ),
    "cosine": (
        partial(S.cosine, lr=LR, total_steps=STEPS - 1, min_lr=1e-3),
        lambda o: tls.CosineAnnealingLR(o, T_max=STEPS - 1, eta_min=1e-3),
    ),
    "linear_warmup": (
        partial(S.linear_warmup, lr=LR, warmup_steps=W, start_factor=0.05),
        lambda o: tls.LinearLR(o, start_factor=0.05, end_factor=1.0, total_iters=W),
    ),
    "warmup_cosine": (
        partial(S.warmup_cosine, lr=LR, warmup_steps=W, total_steps=STEPS - 1, start_factor=0.05, min_lr=1e-4),
        lambda o: tls.SequentialLR(
            o,
            [
                tls.LinearLR(o, start_factor=0.05, total_iters=W),
                tls.CosineAnnealingLR(o, T_max=STEPS - 1 - W, eta_min=1e-4),
            ],
            milestones=[W],
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_scheduler(name):
    ours, make = CASES[name]
    reference = np.array(S.torch_reference(make, LR, STEPS))
    mine = np.array([ours(t) for t in range(STEPS)])
    np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-15)
    # The schedule is not constant (except `constant`): the test compares real curves.
    assert name == "constant" or np.ptp(mine) > 1e-3


def test_torch_reference_follows_a_training_loop():
    rates = S.torch_reference(lambda o: tls.StepLR(o, step_size=2, gamma=0.5), 1.0, 6)
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_step_decay_values():
    assert [S.step_decay(t, lr=1.0, step_size=3, gamma=0.1) for t in (0, 2, 3, 5, 6)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01]
    )


def test_cosine_endpoints_and_midpoint():
    f = partial(S.cosine, lr=0.5, total_steps=10, min_lr=0.1)
    assert f(0) == pytest.approx(0.5)
    assert f(5) == pytest.approx(0.3)
    assert f(10) == pytest.approx(0.1)
    assert f(25) == pytest.approx(0.1)  # holds at min_lr after the end
    rates = [f(t) for t in range(11)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))


def test_linear_warmup_ramps_then_holds():
    f = partial(S.linear_warmup, lr=2.0, warmup_steps=4, start_factor=0.25)
    assert [f(t) for t in range(7)] == pytest.approx([0.5, 0.875, 1.25, 1.625, 2.0, 2.0, 2.0])


def test_warmup_cosine_is_continuous_at_the_junction():
    f = partial(S.warmup_cosine, lr=1.0, warmup_steps=10, total_steps=50)
    assert f(10) == pytest.approx(1.0)
    assert abs(f(10) - f(9)) < 0.1 and abs(f(11) - f(10)) < 0.01
    assert f(50) == pytest.approx(0.0, abs=1e-15)


def test_inverse_time_meets_robbins_monro_numerically():
    rates = np.array([S.inverse_time(t, lr=1.0, decay=1.0) for t in range(200_000)])
    # sum of rates grows like log(t) without bound; sum of squares converges to pi^2/6.
    assert rates.sum() > 12.0
    assert (rates**2).sum() == pytest.approx(math.pi**2 / 6, rel=1e-4)


def test_schedules_are_pure_functions():
    f = partial(S.warmup_cosine, lr=0.3, warmup_steps=5, total_steps=40)
    forward = [f(t) for t in range(41)]
    backward = [f(t) for t in reversed(range(41))][::-1]
    assert forward == backward


def test_numpy_integers_are_accepted():
    assert S.exponential(np.int64(3), lr=1.0, gamma=0.5) == pytest.approx(0.125)


@pytest.mark.parametrize(
    "call",
    [
        lambda: S.constant(-1, lr=0.1),
        lambda: S.constant(1.5, lr=0.1),
        lambda: S.constant(True, lr=0.1),
        lambda: S.step_decay(0, lr=0.1, step_size=0),
        lambda: S.cosine(0, lr=0.1, total_steps=0),
        lambda: S.linear_warmup(0, lr=0.1, warmup_steps=5, start_factor=0.0),
        lambda: S.warmup_cosine(0, lr=0.1, warmup_steps=10, total_steps=10),
        lambda: S.inverse_time(0, lr=0.1, decay=-1.0),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
