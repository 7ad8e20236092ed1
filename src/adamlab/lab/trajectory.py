"""Run any optimizer on any landscape and keep the path it takes."""

from __future__ import annotations

import numpy as np

from ..optim.transforms import Optimizer
from ..problems.landscapes import Landscape


def run(optimizer: Optimizer, landscape: Landscape, steps: int, start=None) -> np.ndarray:
    """Iterate ``optimizer`` from ``start`` (default: the landscape's) for ``steps`` steps.

    Returns the path as an array of shape ``(steps + 1, dim)``; row 0 is the start.
    A path that leaves the floating-point range stops there and is padded with NaN,
    so that divergence shows up as a short curve, not an exception.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    theta = np.array(landscape.start if start is None else start, dtype=np.float64)
    if theta.shape != (landscape.dim,):
        raise ValueError(f"start must have shape ({landscape.dim},) for {landscape.name}, got {theta.shape}")
    path = np.full((steps + 1, landscape.dim), np.nan)
    path[0] = theta
    state = optimizer.init(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            theta, state = optimizer.step(theta, landscape.gradient(theta), state)
            if not np.all(np.isfinite(theta)):
                break
            path[k] = theta
    return path


def losses(landscape: Landscape, path: np.ndarray) -> np.ndarray:
    """The landscape's value at every point of ``path``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array([landscape.f(p) for p in path])
