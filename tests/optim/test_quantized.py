"""8-bit block-wise Adam states (adamlab.optim.quantized): the data type, the round trip, the step, and its error.

bitsandbytes is not required; where it is installed, its dynamic maps and its CPU Adam8bit are compared too."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from adamlab.optim import quantized as Q


def test_dynamic_maps_have_256_sorted_entries_in_range():
    signed, unsigned = Q.dynamic_map(True), Q.dynamic_map(False)
    assert signed.shape == unsigned.shape == (256,) and signed.dtype == np.float32
    assert np.all(np.diff(signed) >= 0) and np.all(np.diff(unsigned) >= 0)
    assert signed.min() == pytest.approx(-0.99297, abs=1e-4) and signed.max() == 1.0 and 0.0 in signed
    assert unsigned.min() == 0.0 and unsigned.max() == 1.0
    assert 0 < np.abs(signed[signed != 0]).min() < 1e-6  # the smallest magnitude is ~1e-7: seven decades


def test_blockwise_round_trip_error_is_relative_to_each_value():
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(5000) * np.exp(2 * rng.standard_normal(5000))).astype(np.float32)
    q, absmax = Q.quantize_blockwise(a, Q.dynamic_map(True))
    assert q.dtype == np.uint8 and absmax.shape == (int(np.ceil(5000 / Q.BLOCK)),)
    np.testing.assert_array_equal(absmax, [np.abs(a[i : i + 256]).max() for i in range(0, 5000, 256)])
    back = Q.dequantize_blockwise(q, absmax, Q.dynamic_map(True))
    rel = np.abs(back - a) / np.abs(a)
    assert np.median(rel) < 0.05
    big = np.abs(a) > 0.01 * np.repeat(absmax, 256)[:5000]  # within two decades of the block's largest value
    assert rel[big].max() < 0.15  # the table's coarsest step, two decades below the block maximum


def test_quantize_picks_the_nearest_table_entry():
    code = Q.dynamic_map(False)
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    x[-1] = 1.0
    q, absmax = Q.quantize_blockwise(x, code, block=1001)
    scaled = x / absmax[0]
    nearest = np.abs(code[None, :] - scaled[:, None]).min(axis=1)
    np.testing.assert_allclose(np.abs(code[q] - scaled), nearest, atol=1e-7)


def test_adam8bit_step_follows_fp32_adam_closely():
    """Same gradients into fp32 torch.optim.Adam and into 8-bit Adam: the paths stay close."""
    rng = np.random.default_rng(1)
    n = 4096
    theta = rng.standard_normal(n).astype(np.float32)
    start = theta.copy()
    p = torch.tensor(theta.copy(), requires_grad=True)
    ref = torch.optim.Adam([p], lr=1e-2)
    state = Q.adam8bit_init(theta)
    assert state.nbytes() == 2 * n + 2 * 4 * (n // 256)
    for _ in range(100):
        g = (0.5 * theta + 0.1 * rng.standard_normal(n)).astype(np.float32)
        p.grad = torch.tensor(g)
        ref.step()
        theta, state = Q.adam8bit_step(theta, g, state, lr=1e-2)
    fp32 = p.detach().numpy()
    gap = np.linalg.norm(fp32 - theta) / np.linalg.norm(fp32 - start)  # relative to the distance travelled
    assert gap < 0.1  # 4.5% here; bitsandbytes' Adam8bit, measured the same way, 4.5% too
    assert state.t == 100 and state.m_q.dtype == np.uint8


def test_first_step_equals_fp32_adam_step():
    """From zero moments the first step uses m = (1-b1) g, v = (1-b2) g^2 before any rounding."""
    rng = np.random.default_rng(2)
    theta = rng.standard_normal(1000).astype(np.float32)
    g = rng.standard_normal(1000).astype(np.float32)
    p = torch.tensor(theta.copy(), requires_grad=True)
    p.grad = torch.tensor(g)
    torch.optim.Adam([p], lr=1e-3).step()
    new, _ = Q.adam8bit_step(theta, g, Q.adam8bit_init(theta), lr=1e-3)
    np.testing.assert_allclose(new, p.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes is not installed (optional)")
def test_against_bitsandbytes_cpu_adam8bit():
    import bitsandbytes as bnb
    import bitsandbytes.functional as F

    for signed in (True, False):  # the same table, up to bitsandbytes computing it in fp32
        np.testing.assert_allclose(Q.dynamic_map(signed), F.create_dynamic_map(signed=signed).numpy(), atol=1e-7)
    rng = np.random.default_rng(3)
    n = 8192  # above bitsandbytes' min_8bit_size (4096): its states are 8-bit
    theta = rng.standard_normal(n).astype(np.float32)
    p = torch.tensor(theta.copy(), requires_grad=True)
    opt = bnb.optim.Adam8bit([p], lr=1e-2)
    codes = (F.create_dynamic_map(signed=True).numpy(), F.create_dynamic_map(signed=False).numpy())
    state = Q.adam8bit_init(theta)
    for _ in range(50):
        g = (0.5 * theta + 0.1 * rng.standard_normal(n)).astype(np.float32)
        p.grad = torch.tensor(g)
        opt.step()
        theta, state = Q.adam8bit_step(theta, g, state, lr=1e-2, codes=codes)
    assert opt.state[p]["state1"].dtype == torch.uint8 and opt.state[p]["absmax1"].numel() == n // 256
    # bitsandbytes' C kernel rounds a few values to a neighbouring code; the two paths stay close
    assert np.abs(p.detach().numpy() - theta).max() < 0.1 * np.abs(theta).max()
