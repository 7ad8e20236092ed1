r"""Adam in one pass over memory: the step of ``inplace.adam_step_``, compiled to a single loop.

:func:`adamlab.optim.inplace.adam_step_` removes NumPy's temporaries, but NumPy can only
run one operation at a time, so even in cache-sized chunks every number goes through
a dozen small passes. The only way to reach memory speed is to do the whole update
of one parameter while it is in a register: load :math:`\theta_i, g_i, m_i, v_i`
once, compute, store :math:`\theta_i, m_i, v_i` once. That is 28 bytes per float32
parameter, the least any Adam step can move, and it is what torch's ``fused=True``
kernel does in C++.

Here the loop is written in Python and compiled to machine code by Numba
(Lam, Pitrou & Seibert, 2015), which vectorises it with the CPU's SIMD instructions.
Each line of the loop is one line of Kingma & Ba (2015), Algorithm 1, in torch's
bias-correction-folded form:

.. math::
    m_i \leftarrow \beta_1 m_i + (1-\beta_1) g_i, \quad
    v_i \leftarrow \beta_2 v_i + (1-\beta_2) g_i^2, \quad
    \theta_i \leftarrow \theta_i - \frac{\alpha}{1-\beta_1^t}\,
        \frac{m_i}{\sqrt{v_i}/\sqrt{1-\beta_2^t} + \epsilon}

The operations and their order are those of ``optim.inplace``, and every constant is
rounded to the arrays' dtype first, as NumPy does, so the two give bit-identical
results (the tests check this). No ``fastmath``: IEEE arithmetic, NaN propagates.
"""

from __future__ import annotations

import math

import numpy as np

from .inplace import _check, lerp_weights

try:
    import numba
    from numba import prange
except ImportError as error:  # pragma: no cover - numba is in requirements.txt
    raise ImportError(
        "adamlab.optim.fused needs Numba (pip install numba); adamlab.optim.inplace.adam_step_ is the pure-NumPy step"
    ) from error

Array = np.ndarray

_KERNELS: dict[bool, object] = {}


def _adam_loop(p, g, m, v, weight, one_minus_weight, beta2, one_minus_beta2, eps, step_size, inv_root_bc2):
    """The whole step for element ``i``, once per element (``prange`` is ``range`` unless compiled parallel)."""
    for i in prange(p.size):
        gi = g[i]
        if weight < 0.5:  # m = beta1 m + (1 - beta1) g as torch's lerp,
            mi = m[i] + (gi - m[i]) * weight  # w = 1 - beta1 (inplace.lerp_weights)
        else:
            mi = gi - (gi - m[i]) * one_minus_weight
        vi = v[i] * beta2 + gi * gi * one_minus_beta2  # v = beta2 v + (1 - beta2) g^2
        denominator = math.sqrt(vi) * inv_root_bc2 + eps  # sqrt(v_hat) + eps
        p[i] = p[i] - mi / denominator * step_size  # theta -= lr m_hat / (sqrt(v_hat) + eps)
        m[i] = mi
        v[i] = vi


def _kernel(parallel: bool):
    """The compiled loop, serial or multi-threaded, compiled on first use.

    Only the serial one is cached on disk: Numba's cache key does not include
    ``parallel``, so caching both from one function could load the wrong one.
    """
    if parallel not in _KERNELS:
        # error_model="numpy": x / 0 gives inf or nan as in NumPy, with no exception check in the loop
        # (a check would stop Numba from vectorising it: measured 5x slower).
        compile_ = numba.njit(nogil=True, cache=not parallel, parallel=parallel, error_model="numpy")
        _KERNELS[parallel] = compile_(_adam_loop)
    return _KERNELS[parallel]


def adam_step_fused_(
    theta: Array,
    grad: Array,
    m: Array,
    v: Array,
    t: int,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    threads: int = 1,
) -> None:
    """One Adam step in a single compiled pass that overwrites ``theta``, ``m`` and ``v``.

    Same arguments and checks as :func:`adamlab.optim.inplace.adam_step_` (contiguous
    NumPy arrays of one shape and a float dtype; ``t`` is the 1-based step number).
    ``threads > 1`` splits the loop over that many threads (Numba's ``prange``).
    The first call per dtype compiles the loop (about a second, then cached on disk).
    Returns ``None``: the results are in the arrays passed in.
    """
    _check(theta, grad, m, v, t)
    if theta.dtype not in (np.float32, np.float64):
        raise TypeError(f"adam_step_fused_ works on float32 or float64 arrays, got {theta.dtype}")
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads must be an int >= 1, got {threads!r}")
    cast = theta.dtype.type  # constants in the arrays' precision, as NumPy rounds a Python float
    constants = (
        *lerp_weights(beta1, theta.dtype),
        cast(beta2),
        cast(1.0 - beta2),
        cast(eps),
        cast(lr / (1.0 - beta1**t)),
        cast(1.0 / math.sqrt(1.0 - beta2**t)),
    )
    flat = [a.reshape(-1) for a in (theta, grad, m, v)]  # views: contiguity was checked
    head = _elements_to_alignment(flat[0])
    _kernel(parallel=False)(*(a[:head] for a in flat), *constants)  # the few elements before a cache line
    body = [a[head:] for a in flat]
    if threads == 1:
        _kernel(parallel=False)(*body, *constants)
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))
    try:
        _kernel(parallel=True)(*body, *constants)
    finally:
        numba.set_num_threads(previous)


ALIGNMENT = 64
"""Bytes: a cache line, and the width of an AVX-512 register."""


def _elements_to_alignment(a: Array) -> int:
    """How many leading elements to do on their own so that the rest of ``a`` starts on a cache line.

    NumPy places large arrays 16 bytes past a page boundary, so without this every
    64-byte vector load of the main loop straddles two cache lines (measured: about
    20% slower). NumPy arrays of one size share that offset, so aligning θ aligns all four.
    """
    return min(a.size, (-a.ctypes.data % ALIGNMENT) // a.itemsize)
