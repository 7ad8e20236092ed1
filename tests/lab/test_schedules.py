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


# --- 1cycle and warm-up-stable-decay (issue 14 §5) -------------------------------------------------------


def _one_cycle_reference(steps, **kw):
    """The rates and the betas[0] that OneCycleLR gives an Adam optimizer, for steps 0 .. steps - 1."""
    import torch

    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1.0)
    sched = tls.OneCycleLR(opt, **kw)
    rates, betas = [], []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        betas.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    return np.array(rates), np.array(betas)


@pytest.mark.parametrize(
    "kw",
    [
        dict(total_steps=100),
        dict(total_steps=97, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
        dict(total_steps=60, anneal_strategy="linear"),
        dict(total_steps=80, three_phase=True, pct_start=0.2),
        dict(total_steps=33, pct_start=0.45, three_phase=True, anneal_strategy="linear"),
    ],
)
def test_one_cycle_matches_torch_one_cycle_lr(kw):
    kw = {"max_lr": 0.3, **kw}
    rates, betas = _one_cycle_reference(kw["total_steps"], **kw)
    ours = dict(
        total_steps=kw["total_steps"],
        pct_start=kw.get("pct_start", 0.3),
        anneal="linear" if kw.get("anneal_strategy") == "linear" else "cos",
        three_phase=kw.get("three_phase", False),
    )
    lr_kw = {k: kw[k] for k in ("div_factor", "final_div_factor") if k in kw}
    mine = [S.one_cycle(t, lr=kw["max_lr"], **ours, **lr_kw) for t in range(kw["total_steps"])]
    np.testing.assert_allclose(mine, rates, rtol=1e-12, atol=1e-15)
    mom = [S.one_cycle_momentum(t, **ours) for t in range(kw["total_steps"])]
    np.testing.assert_allclose(mom, betas, rtol=1e-12, atol=1e-15)
    assert max(mine) == pytest.approx(0.3, rel=2e-2) and min(mom) == pytest.approx(0.85, abs=2e-2)


def test_one_cycle_endpoints():
    f = partial(S.one_cycle, lr=1.0, total_steps=101, pct_start=0.5)
    assert f(0) == pytest.approx(1 / 25) and f(100) == pytest.approx(1 / 25 / 1e4)
    with pytest.raises(ValueError):
        f(102)  # torch: "Tried to step 102 times"


@pytest.mark.parametrize("min_lr", [0.0, 1e-3])
def test_warmup_stable_decay_linear_matches_torch(min_lr):
    T, W, D = 120, 10, 30
    ours = [
        S.warmup_stable_decay(t, lr=LR, warmup_steps=W, total_steps=T, decay_steps=D, start_factor=0.05, min_lr=min_lr)
        for t in range(T + 1)
    ]
    reference = S.torch_reference(
        lambda o: tls.SequentialLR(
            o,
            [
                tls.LinearLR(o, start_factor=0.05, total_iters=W),
                tls.ConstantLR(o, factor=1.0, total_iters=0),
                tls.LinearLR(o, start_factor=1.0, end_factor=max(min_lr, 1e-300) / LR, total_iters=D),
            ],
            milestones=[W, T - D],
        ),
        LR,
        T + 1,
    )
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-15)
    assert ours[W] == ours[T - D - 1] == LR and ours[T] == pytest.approx(min_lr, abs=1e-15)


def test_warmup_stable_decay_sqrt_cooldown():
    f = partial(S.warmup_stable_decay, lr=1.0, warmup_steps=5, total_steps=105, decay_steps=100, shape="sqrt")
    assert f(5) == 1.0 and f(105) == 0.0 and f(200) == 0.0
    assert f(30) == pytest.approx(1 - math.sqrt(0.25))  # 1 - sqrt cools down faster at first than linear
    linear = partial(S.warmup_stable_decay, lr=1.0, warmup_steps=5, total_steps=105, decay_steps=100)
    assert f(30) < linear(30)
    with pytest.raises(ValueError):
        S.warmup_stable_decay(0, lr=1.0, warmup_steps=5, total_steps=10, decay_steps=6)
    with pytest.raises(ValueError):
        f(0, shape="exp")
