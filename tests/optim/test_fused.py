"""fused.adam_step_fused_: one compiled pass, bit-identical to optim.inplace, equal to torch.optim.Adam."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from adamlab.optim import fused, inplace

SETTINGS = [
    dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8),
    dict(lr=0.05, beta1=0.5, beta2=0.9, eps=1e-3),
    dict(lr=1.0, beta1=0.0, beta2=0.99, eps=1e-12),
]


def gradients(rng, steps, shape, dtype):
    return [(rng.normal(size=shape) * rng.choice([1e-6, 1.0, 1e4], size=shape)).astype(dtype) for _ in range(steps)]


def offset_copy(a: np.ndarray, offset: int) -> np.ndarray:
    """A contiguous copy of ``a`` whose data starts ``offset`` elements past a 64-byte boundary."""
    base = np.empty(a.size + 64, dtype=a.dtype)
    start = (-base.ctypes.data % 64) // a.itemsize + offset
    out = base[start : start + a.size].reshape(a.shape)
    out[...] = a
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hyper", SETTINGS)
@pytest.mark.parametrize("threads", [1, 2])
def test_bit_identical_to_the_numpy_in_place_step(dtype, hyper, threads):
    rng = np.random.default_rng(0)
    shape = (37, 29)  # 1,073 elements: a vector loop and a remainder
    theta0 = rng.normal(size=shape).astype(dtype)
    ours = [theta0.copy(), np.zeros(shape, dtype), np.zeros(shape, dtype)]
    numpy_way = [theta0.copy(), np.zeros(shape, dtype), np.zeros(shape, dtype)]
    for t, g in enumerate(gradients(rng, 100, shape, dtype), start=1):
        assert fused.adam_step_fused_(ours[0], g, ours[1], ours[2], t, threads=threads, **hyper) is None
        inplace.adam_step_(numpy_way[0], g, numpy_way[1], numpy_way[2], t, **hyper)
    for a, b in zip(ours, numpy_way):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("offset", [0, 1, 3, 15, 16])
def test_any_alignment_and_tiny_arrays_give_the_same_result(offset):
    """The aligned main loop and the separately done head must together cover every element exactly once."""
    rng = np.random.default_rng(offset)
    for n in (1, 2, 17, 300):
        theta, g = rng.normal(size=n).astype(np.float32), rng.normal(size=n).astype(np.float32)
        moved = [offset_copy(a, offset) for a in (theta, g, np.zeros(n, np.float32), np.zeros(n, np.float32))]
        plain = [theta.copy(), g, np.zeros(n, np.float32), np.zeros(n, np.float32)]
        for t in (1, 2, 3):
            fused.adam_step_fused_(*moved, t, lr=0.1)
            inplace.adam_step_(*plain, t, lr=0.1)
        for a, b in zip(moved, plain):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("hyper", SETTINGS)
def test_matches_torch_optim_adam_in_float64_over_120_steps(hyper):
    rng = np.random.default_rng(1)
    theta = rng.normal(size=500)
    m, v = np.zeros(500), np.zeros(500)
    p = torch.tensor(theta.copy(), requires_grad=True)
    opt = torch.optim.Adam([p], lr=hyper["lr"], betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["eps"])
    worst = 0.0
    for t, g in enumerate(gradients(rng, 120, 500, np.float64), start=1):
        fused.adam_step_fused_(theta, g, m, v, t, **hyper)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        worst = max(worst, np.abs(theta - p.detach().numpy()).max())
    assert worst <= 1e-6
    np.testing.assert_allclose(m, opt.state[p]["exp_avg"].numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(v, opt.state[p]["exp_avg_sq"].numpy(), rtol=1e-12, atol=0)


def test_matches_torch_fused_adam_in_float32():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=10_000).astype(np.float32)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    p = torch.tensor(theta.copy(), requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-2, foreach=False)
    for t, g in enumerate(gradients(rng, 50, theta.shape, np.float32), start=1):
        fused.adam_step_fused_(theta, g, m, v, t, lr=1e-2, threads=2)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    np.testing.assert_allclose(theta, p.detach().numpy(), rtol=0, atol=1e-5)


def test_a_nan_gradient_gives_nan_not_a_quiet_number():
    theta, g = np.array([1.0, 2.0]), np.array([np.nan, 1.0])
    m, v = np.zeros(2), np.zeros(2)
    fused.adam_step_fused_(theta, g, m, v, 1, lr=0.1)
    assert np.isnan(theta[0]) and np.isnan(m[0]) and np.isnan(v[0])
    assert theta[1] == pytest.approx(1.9)


def test_updates_in_place_and_leaves_the_gradient_alone():
    rng = np.random.default_rng(3)
    theta, g = rng.normal(size=100), rng.normal(size=100)
    m, v, g_before, theta_before = np.zeros(100), np.zeros(100), g.copy(), theta.copy()
    ids = [id(a) for a in (theta, m, v)]
    fused.adam_step_fused_(theta, g, m, v, 1, lr=0.1)
    assert [id(a) for a in (theta, m, v)] == ids
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_allclose(theta_before - theta, 0.1 * np.sign(g), rtol=1e-5)  # first step: lr * sign(g)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(t=0), "t is the 1-based"),
        (dict(t=True), "t is the 1-based"),
        (dict(grad=np.zeros(5)), "grad has shape"),
        (dict(theta=np.zeros(20)[::2]), "C-contiguous"),
        (
            dict(
                theta=np.zeros(10, np.float16),
                grad=np.ones(10, np.float16),
                m=np.zeros(10, np.float16),
                v=np.zeros(10, np.float16),
            ),
            "float32 or float64",
        ),
        (
            dict(
                theta=np.zeros(10, np.int64),
                grad=np.ones(10, np.int64),
                m=np.zeros(10, np.int64),
                v=np.zeros(10, np.int64),
            ),
            "float32 or float64",
        ),
        (dict(threads=0), "threads must be"),
        (dict(threads=True), "threads must be"),
        (dict(threads=1.5), "threads must be"),
    ],
)
def test_rejects_bad_inputs_with_a_clear_message(bad, message):
    args = dict(theta=np.zeros(10), grad=np.ones(10), m=np.zeros(10), v=np.zeros(10), t=1, threads=1)
    args.update(bad)
    with pytest.raises((ValueError, TypeError), match=message):
        fused.adam_step_fused_(args["theta"], args["grad"], args["m"], args["v"], args["t"], threads=args["threads"])


def test_threads_setting_is_restored():
    import numba

    before = numba.get_num_threads()
    fused.adam_step_fused_(np.zeros(1000), np.ones(1000), np.zeros(1000), np.zeros(1000), 1, threads=2)
    assert numba.get_num_threads() == before
