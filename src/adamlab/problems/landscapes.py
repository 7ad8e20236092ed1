"""Test functions with exact gradients, for drawing optimizer paths.

Each landscape's ``f`` uses only arithmetic operators, so the same code
evaluates NumPy arrays (grids for contour plots) and torch tensors (which is how
``tests/problems/test_landscapes.py`` checks every hand-written gradient against autograd).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Landscape:
    """A differentiable function of a point ``xy`` (a length-``dim`` vector), with its exact gradient.

    ``minimum`` is a global minimizer (or the saddle point for :data:`SADDLE`);
    ``start`` is the customary starting point; ``xlim``/``ylim`` frame the contour plot.
    """

    name: str
    f: Callable
    grad: Callable[[Array], Array]
    minimum: tuple[float, ...]
    start: tuple[float, ...]
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)
    latex: str = ""

    @property
    def dim(self) -> int:
        return len(self.start)

    def value(self, xy: Array) -> float:
        return float(self.f(np.asarray(xy, dtype=np.float64)))

    def gradient(self, xy: Array) -> Array:
        xy = np.asarray(xy, dtype=np.float64)
        if xy.shape != (self.dim,):
            raise ValueError(f"{self.name} takes a point of shape ({self.dim},), got {xy.shape}")
        return np.asarray(self.grad(xy), dtype=np.float64)


def _parabola(x):
    return x[0] ** 2


def _ill_conditioned(xy):
    return 0.1 * xy[0] ** 2 + 2.0 * xy[1] ** 2


def _rosenbrock(xy):
    return (1.0 - xy[0]) ** 2 + 100.0 * (xy[1] - xy[0] ** 2) ** 2


def _beale(xy):
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _saddle(xy):
    return xy[0] ** 2 - xy[1] ** 2


def _beale_grad(xy: Array) -> Array:
    x, y = xy
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    return np.array(
        [
            2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1),
            2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2,
        ]
    )


PARABOLA = Landscape(
    "x²",
    _parabola,
    lambda x: np.array([2.0 * x[0]]),
    minimum=(0.0,),
    start=(5.0,),
    xlim=(-6.0, 6.0),
    latex=r"f(x) = x^2",
)
ILL_CONDITIONED = Landscape(
    "0.1x² + 2y²",
    _ill_conditioned,
    lambda xy: np.array([0.2 * xy[0], 4.0 * xy[1]]),
    minimum=(0.0, 0.0),
    start=(-5.0, -2.0),
    xlim=(-5.5, 2.0),
    ylim=(-2.5, 2.5),
    latex=r"f(x, y) = 0.1x^2 + 2y^2",
)
ROSENBROCK = Landscape(
    "Rosenbrock",
    _rosenbrock,
    lambda xy: np.array(
        [
            -2.0 * (1.0 - xy[0]) - 400.0 * xy[0] * (xy[1] - xy[0] ** 2),
            200.0 * (xy[1] - xy[0] ** 2),
        ]
    ),
    minimum=(1.0, 1.0),
    start=(-1.5, 2.0),
    xlim=(-2.0, 2.0),
    ylim=(-1.0, 3.0),
    latex=r"f(x, y) = (1-x)^2 + 100\,(y-x^2)^2",
)
BEALE = Landscape(
    "Beale",
    _beale,
    _beale_grad,
    minimum=(3.0, 0.5),
    start=(1.0, 1.5),
    xlim=(-1.0, 4.5),
    ylim=(-1.5, 2.0),
    latex=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
)
SADDLE = Landscape(
    "saddle x² − y²",
    _saddle,
    lambda xy: np.array([2.0 * xy[0], -2.0 * xy[1]]),
    minimum=(0.0, 0.0),
    start=(-2.0, 1e-3),
    xlim=(-2.5, 2.5),
    ylim=(-2.5, 2.5),
    latex=r"f(x, y) = x^2 - y^2",
)

ALL = (PARABOLA, ILL_CONDITIONED, ROSENBROCK, BEALE, SADDLE)
