"""Schedule-free AdamW against Defazio et al. (2024), Algorithm 1, and against the authors' reference update.

torch has no schedule-free optimizer, so the paper is the reference: ``algorithm_1`` below transcribes the
paper's pseudo-code line by line with plain Python floats, one coordinate at a time, and
``authors_reference`` re-implements the update order of facebookresearch/schedule_free's
``AdamWScheduleFreeReference.step`` (decay first, then the gradient step, weights from the running
maximum of the rate). adamlab's NumPy step, its init/step pair and its torch optimizer must agree with both.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from adamlab.optim import schedule_free as sf

HYPER = [
    dict(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup_steps=0),
    dict(lr=0.1, beta1=0.5, beta2=0.99, eps=1e-6, weight_decay=0.1, warmup_steps=7),
    dict(lr=0.02, beta1=0.0, beta2=0.9, eps=1e-3, weight_decay=0.01, warmup_steps=20),
]


def grad_fn(y: np.ndarray) -> np.ndarray:
    """A smooth non-quadratic gradient, so that errors in where the gradient is taken show."""
    return np.tanh(3.0 * y) + 0.3 * y**3 - np.array([0.5, -1.0, 0.2, 0.0])[: len(y)]


def algorithm_1(x1, steps, *, lr, beta1, beta2, eps, weight_decay, warmup_steps):
    """Defazio et al. 2024, Algorithm 1, one scalar at a time. Returns the list of (y_t, x_{t+1})."""
    n = len(x1)
    z, x, v = list(x1), list(x1), [0.0] * n
    sum_sq, out = 0.0, []
    for t in range(1, steps + 1):
        y = [(1 - beta1) * z[i] + beta1 * x[i] for i in range(n)]
        g = grad_fn(np.array(y))
        gamma = lr * math.sqrt(1 - beta2**t) * (min(1.0, t / warmup_steps) if warmup_steps else 1.0)
        for i in range(n):
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2
            z[i] = z[i] - gamma * g[i] / (math.sqrt(v[i]) + eps) - gamma * weight_decay * y[i]
        sum_sq += gamma**2
        c = gamma**2 / sum_sq
        x = [(1 - c) * x[i] + c * z[i] for i in range(n)]
        out.append((np.array(y), np.array(x)))
    return out


def authors_reference(x1, steps, *, lr, beta1, beta2, eps, weight_decay, warmup_steps):
    """The update order of the authors' reference code (r = 0, weight_lr_power = 2, decay at y)."""
    z, x, y = (np.array(x1, dtype=float) for _ in range(3))
    v = np.zeros(len(x1))
    lr_max, weight_sum, out = -1.0, 0.0, []
    for k in range(steps):
        sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0
        rate = lr * sched * math.sqrt(1 - beta2 ** (k + 1))
        lr_max = max(rate, lr_max)
        weight_sum += lr_max**2
        ckp1 = lr_max**2 / weight_sum
        g = grad_fn(y)
        y_used = y.copy()
        z = z - rate * weight_decay * y
        v = beta2 * v + (1 - beta2) * g * g
        z = z - rate * g / (np.sqrt(v) + eps)
        x = (1 - ckp1) * x + ckp1 * z
        y = beta1 * x + (1 - beta1) * z
        out.append((y_used, x.copy()))
    return out


@pytest.mark.parametrize("hyper", HYPER)
def test_numpy_step_is_algorithm_1(hyper):
    x1 = np.array([1.5, -0.7, 0.3, 2.0])
    expected = algorithm_1(x1, 150, **hyper)
    state = sf.schedule_free_init(x1)
    for y_ref, x_ref in expected:
        y = sf.interpolation(state, hyper["beta1"])
        np.testing.assert_allclose(y, y_ref, rtol=1e-13, atol=1e-15)
        state = sf.schedule_free_adamw_step(grad_fn(y), state, **hyper)
        np.testing.assert_allclose(state.x, x_ref, rtol=1e-13, atol=1e-15)
    assert state.t == 150


@pytest.mark.parametrize("hyper", HYPER)
def test_numpy_step_matches_the_authors_reference_update(hyper):
    x1 = np.array([1.5, -0.7, 0.3, 2.0])
    state = sf.schedule_free_init(x1)
    for y_ref, x_ref in authors_reference(x1, 150, **hyper):
        y = sf.interpolation(state, hyper["beta1"])
        np.testing.assert_allclose(y, y_ref, rtol=1e-11, atol=1e-13)
        state = sf.schedule_free_adamw_step(grad_fn(y), state, **hyper)
        np.testing.assert_allclose(state.x, x_ref, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("hyper", HYPER)
def test_torch_optimizer_matches_numpy_and_swaps_x_and_y(hyper):
    x1 = np.array([1.5, -0.7, 0.3, 2.0])
    p = torch.tensor(x1, requires_grad=True)
    opt = sf.ScheduleFreeAdamW(
        [p],
        lr=hyper["lr"],
        betas=(hyper["beta1"], hyper["beta2"]),
        eps=hyper["eps"],
        weight_decay=hyper["weight_decay"],
        warmup_steps=hyper["warmup_steps"],
    )
    opt_np = sf.schedule_free_adamw(**hyper)
    y, state = x1.copy(), opt_np.init(x1)
    for _ in range(100):
        p.grad = torch.tensor(grad_fn(p.detach().numpy()))
        opt.step()
        y, state = opt_np.step(y, grad_fn(y), state)
        np.testing.assert_allclose(p.detach().numpy(), y, rtol=1e-13, atol=1e-15)
    opt.eval()
    np.testing.assert_allclose(p.detach().numpy(), state.x, rtol=1e-13, atol=1e-15)
    with pytest.raises(RuntimeError):
        opt.step()
    opt.train()
    np.testing.assert_allclose(p.detach().numpy(), y, rtol=1e-13, atol=1e-15)


def test_constant_rate_makes_x_the_plain_average_of_z():
    """With beta2 = 0 and no warm-up gamma_t is constant, so c_{t+1} = 1/t and x_{T+1} is the mean of z_2 .. z_{T+1}."""
    x1 = np.array([1.0, -2.0])
    state, zs = sf.schedule_free_init(x1), []
    for _ in range(40):
        state = sf.schedule_free_adamw_step(grad_fn(sf.interpolation(state, 0.9)), state, lr=0.1, beta2=0.0)
        zs.append(state.z)
    np.testing.assert_allclose(state.x, np.mean(zs, axis=0), rtol=1e-12)


def test_converges_on_a_quadratic_without_a_schedule():
    opt = sf.schedule_free_adamw(lr=0.5)
    y = np.array([3.0, -2.0])
    state = opt.init(y)
    for _ in range(2000):
        y, state = opt.step(y, np.array([1.0, 10.0]) * y, state)
    assert np.abs(state.x).max() < 1e-2


def test_importing_the_module_does_not_import_torch_until_the_class_is_used():
    import subprocess
    import sys

    code = "import sys; import adamlab.optim.schedule_free as m; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
