"""How fast is one Adam step? A measured table, against the memory-bandwidth ideal.

Adam does about a dozen floating-point operations per parameter and must move
(at least) 28 bytes per float32 parameter: read θ, g, m, v and write θ, m, v. A CPU
moves bytes far more slowly than it does arithmetic, so the step is *memory-bound*:
its best possible time is ``28 * N / bandwidth``. :func:`step_table` times several
implementations of the same step on ``N`` parameters and reports each one's time,
its effective rate (28 N bytes divided by the time) and the fraction of the ideal it
reaches. The bandwidth is measured on the spot with simple streaming kernels on large
arrays (:func:`memory_bandwidth`: copies, counted as the STREAM benchmark counts them,
and an in-place add). It is a yardstick, not a hard limit: one thread cannot saturate
the memory system, and a kernel with more concurrent streams (Adam has seven) can
keep more requests in flight than a copy, so a fraction above 100% is possible.

Usage::

    from adamlab.lab.stepbench import step_table, format_table
    print(format_table(step_table(n=1 << 22, repeats=5)))

or ``python -m adamlab.lab.stepbench --n 8000000 --repeats 7`` (what ``make bench`` can call).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..optim import functional, fused, inplace

BYTES_PER_PARAM = 28
"""Bytes an fp32 Adam step must move per parameter: read θ, g, m, v (16) and write θ, m, v (12)."""

FUSED_NAME = "Numba, one pass (optim.fused)"
"""The row of adamlab's fastest CPU path, the compiled single-pass loop of :mod:`adamlab.optim.fused`."""

HYPER = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)


class Row(NamedTuple):
    """One line of the table; ``seconds`` is the median time of one step over the timed repeats."""

    method: str
    seconds: float
    gb_per_s: float
    fraction_of_ideal: float


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


BANDWIDTH_N = 1 << 24
"""Floats per array when measuring bandwidth: 64 MiB, larger than most CPUs' last-level cache (not all: some server
parts have more, and then the copy partly runs from the cache and the ideal looks faster than memory)."""


def memory_bandwidth(n: int = BANDWIDTH_N, repeats: int = 5) -> float:
    """Memory bandwidth in bytes/s: the best of three streaming kernels on arrays of ``n`` float32.

    The kernels are a NumPy copy and a torch copy (a read and a write per element,
    8 bytes, counted as the STREAM benchmark counts them) and an in-place torch add
    ``a += b`` (two reads and a write, 12 bytes). Each is timed by its median; the
    fastest rate is returned. ``n`` should be large enough that the arrays do not fit in
    the cache, or the "bandwidth" is the cache's.
    """
    import torch

    rng = np.random.default_rng(0)
    src, dst = rng.random(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    a, b = torch.from_numpy(src), torch.from_numpy(rng.random(n, dtype=np.float32))
    tdst = torch.from_numpy(dst)
    rates = [
        8 * n / median_time(lambda: np.copyto(dst, src), repeats),
        8 * n / median_time(lambda: tdst.copy_(a), repeats),
        12 * n / median_time(lambda: b.add_(a, alpha=1e-30), repeats),  # tiny alpha: b stays finite
    ]
    return max(rates)


def fused_available() -> bool:
    """``torch.optim.Adam`` accepts ``fused=`` (feature check, not version check) and it runs on a CPU tensor."""
    import torch

    if "fused" not in inspect.signature(torch.optim.Adam).parameters:
        return False
    try:
        p = torch.zeros(2, requires_grad=True)
        p.grad = torch.ones(2)
        torch.optim.Adam([p], fused=True).step()
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def _numpy_methods(n: int, rng: np.random.Generator, threads: int = 1) -> dict[str, Callable[[], Callable[[], None]]]:
    """Each entry builds fresh state and returns a function that takes one step.

    ``threads`` is used by the compiled one-pass loop only (NumPy's operations run on one thread).
    """

    def textbook():
        state = {
            "theta": rng.random(n, dtype=np.float32),
            "m": np.zeros(n, np.float32),
            "v": np.zeros(n, np.float32),
            "t": 0,
        }
        grad = rng.standard_normal(n, dtype=np.float32)

        def step():
            state["t"] += 1
            state["theta"], state["m"], state["v"] = functional.adam_step(
                state["theta"], grad, state["m"], state["v"], state["t"], **HYPER
            )

        return step

    def arrays():
        return (
            rng.random(n, dtype=np.float32),
            rng.standard_normal(n, dtype=np.float32),
            np.zeros(n, np.float32),
            np.zeros(n, np.float32),
        )

    def in_place(chunk):
        def build():
            theta, grad, m, v = arrays()
            scratch = np.empty(n if chunk is None else min(chunk, n), np.float32)
            counter = [0]

            def step():
                counter[0] += 1
                inplace.adam_step_(theta, grad, m, v, counter[0], scratch=scratch, chunk=chunk, **HYPER)

            return step

        return build

    def one_pass():
        theta, grad, m, v = arrays()
        counter = [0]

        def step():
            counter[0] += 1
            fused.adam_step_fused_(theta, grad, m, v, counter[0], threads=threads, **HYPER)

        step()  # compile (or load the compiled loop) outside the timing
        return step

    return {
        "NumPy, textbook (optim.adam_step)": textbook,
        "NumPy, in place (optim.inplace, whole arrays)": in_place(None),
        "NumPy, in place, in chunks (optim.inplace)": in_place(inplace.DEFAULT_CHUNK),
        FUSED_NAME: one_pass,
    }


def _torch_methods(n: int, n_tensors: int, seed: int) -> dict[str, Callable[[], Callable[[], None]]]:
    import torch

    sizes = [len(part) for part in np.array_split(np.arange(n), n_tensors)]

    def build(**flags):
        def make():
            g = torch.Generator().manual_seed(seed)
            params = [torch.rand(k, generator=g).requires_grad_() for k in sizes]
            for p in params:
                p.grad = torch.randn(p.shape, generator=g)
            opt = torch.optim.Adam(
                params, lr=HYPER["lr"], betas=(HYPER["beta1"], HYPER["beta2"]), eps=HYPER["eps"], **flags
            )
            return opt.step

        return make

    methods = {
        "torch.optim.Adam(foreach=False)": build(foreach=False),
        "torch.optim.Adam(foreach=True)": build(foreach=True),
    }
    if fused_available():
        methods["torch.optim.Adam(fused=True)"] = build(fused=True)
    return methods


def step_table(
    n: int = 1 << 22,
    repeats: int = 5,
    *,
    n_tensors: int = 8,
    threads: int | None = 1,
    seed: int = 0,
    bandwidth: float | None = None,
) -> list[Row]:
    """Time one fp32 Adam step on ``n`` parameters, per implementation; the first row is the ideal.

    The NumPy methods work on one flat array; the torch ones on ``n_tensors`` tensors
    of about ``n / n_tensors`` elements (a model has many parameter tensors; that is
    what ``foreach`` batches). ``threads`` fixes torch's intra-op threads, and the threads
    of the compiled loop, while timing (NumPy's elementwise operations always use one
    thread); ``None`` leaves torch's as they are and gives the loop as many.
    ``bandwidth`` (bytes/s) skips the bandwidth measurement (otherwise it streams
    ``max(n, BANDWIDTH_N)`` floats). Medians over ``repeats`` steps.
    """
    import torch

    if n < 1 or n_tensors < 1:
        raise ValueError(f"n and n_tensors must be >= 1, got {n} and {n_tensors}")
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        bw = memory_bandwidth(max(n, BANDWIDTH_N), repeats) if bandwidth is None else float(bandwidth)
        ideal = BYTES_PER_PARAM * n / bw
        rows = [Row("memory-bandwidth ideal (28 B x N / bandwidth)", ideal, bw / 1e9, 1.0)]
        rng = np.random.default_rng(seed)
        builders = {**_numpy_methods(n, rng, torch.get_num_threads()), **_torch_methods(n, n_tensors, seed)}
        for name, build in builders.items():
            step = build()
            seconds = median_time(step, repeats)
            del step
            rows.append(Row(name, seconds, BYTES_PER_PARAM * n / seconds / 1e9, ideal / seconds))
    finally:
        torch.set_num_threads(previous_threads)
    return rows


def format_table(rows: list[Row], n: int | None = None) -> str:
    """The rows as a fixed-width text table."""
    width = max(len(r.method) for r in rows)
    title = f"Adam step on {n:,} fp32 parameters\n" if n else ""
    lines = [f"{'method':<{width}}  {'ms / step':>9}  {'GB/s':>6}  {'of ideal':>8}"]
    lines += [
        f"{r.method:<{width}}  {1e3 * r.seconds:>9.2f}  {r.gb_per_s:>6.1f}  {r.fraction_of_ideal:>8.0%}" for r in rows
    ]
    return title + "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time one fp32 Adam step per implementation.")
    parser.add_argument("--n", type=int, default=1 << 23, help="number of parameters (default 8,388,608)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tensors", type=int, default=8, help="torch: split the parameters into this many tensors")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads for torch and the compiled loop (0: torch as is)"
    )
    args = parser.parse_args(argv)
    rows = step_table(args.n, args.repeats, n_tensors=args.tensors, threads=args.threads or None)
    print(format_table(rows, args.n))


if __name__ == "__main__":
    main()
