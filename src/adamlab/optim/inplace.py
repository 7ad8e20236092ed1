r"""Adam in NumPy without temporaries: torch's arithmetic for Adam's step, in place and in chunks.

Three things differ from :func:`adamlab.optim.adam_step`, each for a reason: (1) the
arrays are overwritten, not returned; (2) the work runs in cache-sized chunks; (3) the
arithmetic is torch's single-tensor path (bias corrections folded into the step size,
``m`` formed as ``torch.lerp`` forms it), so the result equals ``torch.optim.Adam``'s to
rounding, and ``adam_step``'s to about 1e-13 relative in float64 over 100 steps, not bit for bit.

:func:`adamlab.optim.adam_step` is written to be read: every expression
allocates a new array, and each one is a separate pass over memory. For a model
with ``N`` parameters that is a dozen arrays of ``N`` numbers written and read
again. An optimizer step does very little arithmetic per number, so its speed is
set by memory traffic, and the least it must move is

    read θ, g, m, v (4 arrays) + write θ, m, v (3 arrays) = 7 arrays = 28 bytes per float32 parameter.

:func:`adam_step_` gets closer to that in two ways:

1. every NumPy operation writes into an existing array (``out=``), so nothing is
   allocated after the first call;
2. the work is done in *chunks* of a few tens of thousands of numbers, so the one
   scratch array and the chunk of ``θ, g, m, v`` stay in the CPU cache while a dozen
   small passes run over them: main memory sees (almost) only the 28 bytes.

The maths is torch's (``torch.optim.Adam``, single-tensor path), in the
bias-correction-folded form of Kingma & Ba (2015), Section 2:

.. math::
    m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
    \theta \leftarrow \theta - \frac{\alpha}{1-\beta_1^t}\,
        \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}
"""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray

DEFAULT_CHUNK = 1 << 15
"""Numbers per chunk: 32,768 float32 = 128 KiB per array, so the five arrays of a chunk fit in a typical L2 cache."""


def adam_step_(
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
    scratch: Array | None = None,
    chunk: int | None = DEFAULT_CHUNK,
) -> None:
    """One Adam step that overwrites ``theta``, ``m`` and ``v`` (the trailing ``_`` says so, as in torch).

    ``theta, grad, m, v`` are contiguous arrays of one shape and dtype; ``t`` is the
    1-based number of this step. ``scratch`` is a work array of at least
    ``min(chunk, theta.size)`` elements of the same dtype (allocated if not given: pass
    one to allocate nothing). ``chunk=None`` works on whole arrays at once (no blocking).
    Returns ``None``: the results are in the arrays passed in.
    """
    _check(theta, grad, m, v, t)
    flat = [a.reshape(-1) for a in (theta, grad, m, v)]  # views, never copies (contiguity is checked)
    n = flat[0].size
    size = n if chunk is None else min(int(chunk), n)
    if size < 1 and n:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if scratch is None:
        scratch = np.empty(size, dtype=theta.dtype)
    elif scratch.dtype != theta.dtype or scratch.size < size:
        raise ValueError(
            f"scratch must hold >= {size} elements of dtype {theta.dtype}, got {scratch.size} of {scratch.dtype}"
        )
    step_size = lr / (1.0 - beta1**t)
    inv_root_bc2 = 1.0 / math.sqrt(1.0 - beta2**t)
    for start in range(0, n, max(size, 1)):
        stop = min(start + size, n)
        p, g, mm, vv = (a[start:stop] for a in flat)
        _chunk_update(p, g, mm, vv, scratch[: stop - start], beta1, beta2, eps, step_size, inv_root_bc2)


def _chunk_update(p, g, m, v, s, beta1, beta2, eps, step_size, inv_root_bc2) -> None:
    # m = beta1 m + (1 - beta1) g, computed as torch's lerp(m, g, w) with w = 1 - beta1 computes it
    np.subtract(g, m, out=s)
    weight, one_minus_weight = lerp_weights(beta1, s.dtype)
    if weight < 0.5:  # m + w (g - m)
        s *= weight
        m += s
    else:  # g - (1 - w)(g - m): exact at w = 1 (beta1 = 0), where m + (g - m) is not
        s *= one_minus_weight
        np.subtract(g, s, out=m)
    # v = beta2 v + (1 - beta2) g^2
    v *= beta2
    np.multiply(g, g, out=s)
    s *= 1.0 - beta2
    v += s
    # denominator sqrt(v_hat) + eps = sqrt(v) / sqrt(1 - beta2^t) + eps
    np.sqrt(v, out=s)
    s *= inv_root_bc2
    s += eps
    # theta -= lr / (1 - beta1^t) * m / denominator
    np.divide(m, s, out=s)
    s *= step_size
    p -= s


def lerp_weights(beta1: float, dtype) -> tuple:
    """``w = 1 - beta1`` and ``1 - w`` in the arrays' precision, as ``torch.lerp`` forms them.

    torch computes ``lerp(m, g, w)`` as ``m + w (g - m)`` when ``|w| < 0.5`` and as
    ``g - (1 - w)(g - m)`` otherwise, so that ``w = 1`` gives ``g`` exactly.
    """
    weight = np.dtype(dtype).type(1.0 - beta1)
    return weight, np.dtype(dtype).type(1.0) - weight


def _check(theta: Array, grad: Array, m: Array, v: Array, t: int) -> None:
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"t is the 1-based number of this step: expected an int >= 1, got {t!r}")
    for name, a in (("theta", theta), ("grad", grad), ("m", m), ("v", v)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(a).__name__}")
        if a.shape != theta.shape or a.dtype != theta.dtype:
            raise ValueError(
                f"{name} has shape {a.shape} and dtype {a.dtype}; theta has {theta.shape} and {theta.dtype}"
            )
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous (in-place updates through a copy would be lost)")
    for name, a in (("theta", theta), ("m", m), ("v", v)):
        if not a.flags.writeable:
            raise ValueError(f"{name} is updated in place and must be writeable")
