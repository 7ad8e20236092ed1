r"""Adam with 8-bit states, quantised block-wise as bitsandbytes does it (Dettmers et al., 2022), in NumPy.

Each moment is stored as one byte per value plus one fp32 scale per block of :data:`BLOCK` = 256
values (the block's largest absolute value, ``absmax``). A byte is an index into a 256-entry
table of values in [-1, 1] (``m``, signed) or [0, 1] (``v``, unsigned): the *dynamic* data type,
whose entries are spread over seven orders of magnitude (an exponent of 10 and a fraction), so that
small values keep a relative precision of a few percent instead of being rounded to zero. A value
``a`` in a block with scale ``s`` is stored as the index of the table entry nearest to ``a / s``.

One step, as bitsandbytes' CPU kernel does it: dequantise ``m`` and ``v``; do the fp32 Adam update
(``torch.optim.Adam``'s formula); re-quantise ``m`` and ``v`` with fresh block scales.

- :func:`dynamic_map`, :func:`quantize_blockwise`, :func:`dequantize_blockwise`: the data type;
- :func:`adam8bit_init`, :func:`adam8bit_step`: Adam on those states (``theta`` stays fp32).

References: Dettmers et al. (2022), "8-bit Optimizers via Block-wise Quantization",
https://arxiv.org/abs/2110.02861 (Section 2); bitsandbytes ``functional.create_dynamic_map``
and ``backends/cpu/ops.py`` ``_optimizer_update_8bit_blockwise_cpu`` (blocksize 256).
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numpy as np

BLOCK = 256
"""Values per block, each block with its own fp32 scale (bitsandbytes' ``blocksize = 256`` since 0.44)."""

Array = np.ndarray


@cache
def dynamic_map(signed: bool = True, max_exponent_bits: int = 7, total_bits: int = 8) -> Array:
    """The 2**total_bits sorted fp32 values of the dynamic data type (bitsandbytes' ``create_dynamic_map``).

    For each exponent i = 0..6 the fraction range [0.1, 1] is cut into 2**i (signed) or 2**(i+1)
    (unsigned) intervals, and their midpoints, times 10**(i - 6), are table entries (with their
    negatives when signed); then 0 and 1. Computed in float64 and rounded once to fp32; bitsandbytes
    computes it in fp32 with ``torch.linspace``, so some entries differ in the last bit (pass its
    own table as ``codes`` to :func:`adam8bit_step` to reproduce it byte for byte).
    """
    data: list[float] = []
    non_sign_bits = total_bits - 1
    additional = 2 ** (non_sign_bits - max_exponent_bits) - 1
    for i in range(max_exponent_bits):
        n = (
            2 ** (i + non_sign_bits - max_exponent_bits) + 1
            if signed
            else 2 ** (i + non_sign_bits - max_exponent_bits + 1) + 1
        )
        bounds = np.linspace(0.1, 1, n)
        means = (bounds[:-1] + bounds[1:]) / 2.0
        scale = 10.0 ** (-(max_exponent_bits - 1) + i)
        data += (scale * means).tolist()
        if signed:
            data += (-scale * means).tolist()
    if additional > 0:
        bounds = np.linspace(0.1, 1, additional + 1)
        means = (bounds[:-1] + bounds[1:]) / 2.0
        data += means.tolist()  # the last exponent's scale, 10**0
        if signed:
            data += (-means).tolist()
    data += [0.0, 1.0]
    data += [0.0] * (2**total_bits - len(data))
    table = np.sort(np.array(data, dtype=np.float32))
    table.flags.writeable = False
    return table


def quantize_blockwise(a: Array, code: Array, block: int = BLOCK) -> tuple[Array, Array]:
    """(indices as uint8, one fp32 absmax per block): each value becomes the index of the nearest ``code`` entry."""
    flat = np.asarray(a, dtype=np.float32).reshape(-1)
    n_blocks = math.ceil(flat.size / block)
    padded = np.zeros(n_blocks * block, dtype=np.float32)
    padded[: flat.size] = flat
    blocks = padded.reshape(n_blocks, block)
    absmax = np.abs(blocks).max(axis=1)
    scaled = np.clip(blocks / np.maximum(absmax, np.float32(1e-38))[:, None], -1, 1).reshape(-1)[: flat.size]
    midpoints = (code[:-1] + code[1:]) / np.float32(2.0)
    q = np.searchsorted(midpoints, scaled, side="left").astype(np.uint8)  # torch.bucketize(right=False)
    return q.reshape(np.shape(a)), absmax.astype(np.float32)


def dequantize_blockwise(q: Array, absmax: Array, code: Array, block: int = BLOCK) -> Array:
    """The fp32 values the bytes stand for: ``code[q]`` times its block's absmax."""
    flat = code[np.asarray(q).reshape(-1).astype(np.int64)]
    scales = np.repeat(absmax, block)[: flat.size]
    return (flat * scales).astype(np.float32).reshape(np.shape(q))


class Adam8bitState(NamedTuple):
    """Steps taken; ``m`` and ``v`` as bytes (``m_q``, ``v_q``) and their block scales (bitsandbytes: ``absmax1/2``)."""

    t: int
    m_q: Array
    m_absmax: Array
    v_q: Array
    v_absmax: Array

    def nbytes(self) -> int:
        """Bytes the state takes: one per value per moment, four per block per moment."""
        return self.m_q.nbytes + self.v_q.nbytes + self.m_absmax.nbytes + self.v_absmax.nbytes


def adam8bit_init(theta: Array, block: int = BLOCK) -> Adam8bitState:
    """Zero moments: every byte points at the table's 0, every scale is 0."""
    shape, n_blocks = np.shape(theta), math.ceil(np.size(theta) / block)
    zero_m = int(np.flatnonzero(dynamic_map(True) == 0)[0])
    zero_v = int(np.flatnonzero(dynamic_map(False) == 0)[0])
    return Adam8bitState(
        0,
        np.full(shape, zero_m, dtype=np.uint8),
        np.zeros(n_blocks, dtype=np.float32),
        np.full(shape, zero_v, dtype=np.uint8),
        np.zeros(n_blocks, dtype=np.float32),
    )


def adam8bit_step(
    theta: Array,
    grad: Array,
    state: Adam8bitState,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    block: int = BLOCK,
    codes: tuple[Array, Array] | None = None,
) -> tuple[Array, Adam8bitState]:
    """One Adam(W) step with 8-bit states, in fp32: dequantise, update as ``torch.optim.Adam(W)``, re-quantise.

    ``codes`` = (table for m, table for v); by default ``dynamic_map(True)``, ``dynamic_map(False)``.
    """
    signed, unsigned = codes if codes is not None else (dynamic_map(True), dynamic_map(False))
    f32 = np.float32
    m = dequantize_blockwise(state.m_q, state.m_absmax, signed, block)
    v = dequantize_blockwise(state.v_q, state.v_absmax, unsigned, block)
    g = np.asarray(grad, dtype=f32)
    t = state.t + 1
    m = m * f32(beta1) + g * f32(1 - beta1)
    v = v * f32(beta2) + g * g * f32(1 - beta2)
    correction1, correction2 = 1.0 - beta1**t, math.sqrt(1.0 - beta2**t)
    denom = np.sqrt(v) / f32(correction2) + f32(eps)
    p = np.asarray(theta, dtype=f32)
    if weight_decay:
        p = p * f32(1.0 - lr * weight_decay)
    p = p - f32(lr / correction1) * (m / denom)
    m_q, m_absmax = quantize_blockwise(m, signed, block)
    v_q, v_absmax = quantize_blockwise(v, unsigned, block)
    return p, Adam8bitState(t, m_q, m_absmax, v_q, v_absmax)
