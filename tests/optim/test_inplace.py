"""inplace.adam_step_: the same step as optim.adam_step and torch.optim.Adam, in place."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from adamlab.optim import adam_step, inplace

SETTINGS = [dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8), dict(lr=0.05, beta1=0.5, beta2=0.9, eps=1e-3)]


def gradients(rng, steps, n):
    return [rng.normal(size=n) * rng.choice([1e-4, 1.0, 1e4], size=n) for _ in range(steps)]


@pytest.mark.parametrize("hyper", SETTINGS)
@pytest.mark.parametrize("chunk", [None, 1, 7, 64, inplace.DEFAULT_CHUNK])
def test_matches_textbook_adam_in_float64(hyper, chunk):
    rng = np.random.default_rng(1)
    n = 300
    theta0 = rng.normal(size=n)
    ref = (theta0.copy(), np.zeros(n), np.zeros(n))
    theta, m, v = theta0.copy(), np.zeros(n), np.zeros(n)
    for t, g in enumerate(gradients(rng, 50, n), start=1):
        ref = adam_step(ref[0], g, ref[1], ref[2], t, **hyper)
        assert inplace.adam_step_(theta, g, m, v, t, chunk=chunk, **hyper) is None
    for ours, theirs in zip((theta, m, v), ref):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_matches_torch_adam_in_float32_on_a_2d_array():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=(30, 40)).astype(np.float32)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    p = torch.tensor(theta, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-2, foreach=False)
    for t in range(1, 31):
        g = rng.normal(size=theta.shape).astype(np.float32)
        inplace.adam_step_(theta, g, m, v, t, lr=1e-2, chunk=100)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    assert theta.dtype == np.float32
    np.testing.assert_allclose(theta, p.detach().numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(v, opt.state[p]["exp_avg_sq"].numpy(), rtol=1e-5, atol=1e-9)


def test_updates_in_place_and_leaves_the_gradient_alone():
    rng = np.random.default_rng(3)
    theta, g = rng.normal(size=100), rng.normal(size=100)
    m, v, g_before = np.zeros(100), np.zeros(100), g.copy()
    ids = [id(a) for a in (theta, m, v)]
    theta_before = theta.copy()
    scratch = np.empty(32)
    inplace.adam_step_(theta, g, m, v, 1, lr=0.1, scratch=scratch, chunk=32)
    assert [id(a) for a in (theta, m, v)] == ids
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_allclose(theta_before - theta, 0.1 * np.sign(g), rtol=1e-5)  # first step: lr * sign(g)


@pytest.mark.parametrize(
    "bad",
    [
        dict(t=0),
        dict(t=True),
        dict(t=1.0),
        dict(grad=np.zeros(5)),
        dict(m=np.zeros(10, np.float32)),
        dict(theta=np.zeros(20)[::2]),
        dict(scratch=np.empty(2)),
        dict(chunk=0),
    ],
)
def test_rejects_bad_inputs(bad):
    args = dict(theta=np.zeros(10), grad=np.ones(10), m=np.zeros(10), v=np.zeros(10), t=1)
    kwargs = {k: bad.pop(k) for k in ("scratch", "chunk") if k in bad}
    args.update(bad)
    with pytest.raises((ValueError, TypeError)):
        inplace.adam_step_(args["theta"], args["grad"], args["m"], args["v"], args["t"], **kwargs)
