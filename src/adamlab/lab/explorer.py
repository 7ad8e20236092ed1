"""The Python twin of the book's interactive explorer (``book/_static/explorer/explorer.js``).

The explorer runs in the reader's browser with no kernel: plain JavaScript draws the paths of
gradient descent, heavy ball, Nesterov and Adam on a 2-D quadratic, and the heavy-ball
(α, β) phase diagram. This module computes the same numbers in Python, with the optimizers of
:mod:`adamlab.optim.functional` (each checked against ``torch.optim``), so that

- the page's guard cell checks the twin against ``torch.optim.SGD`` and ``torch.optim.Adam``;
- ``tests/tools/test_explorer_browser.py`` moves the sliders in a real browser and checks that
  what the JavaScript shows equals what this module computes at the same settings.

The problem is :math:`f(x) = \\tfrac12 x^\\top A x` with :math:`A = R(\\varphi)\\,
\\mathrm{diag}(1/\\kappa, 1)\\,R(\\varphi)^\\top`: curvature 1 along the steep axis, 1/κ along the
shallow one, both axes turned by φ degrees. The gradient is computed component by component in
the same order as the JavaScript, so the two agree to rounding.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from adamlab.optim.functional import adam_step, momentum_step

START = (-1.5, 0.6)
"""Where every path starts when φ = 0; the rotation turns it with the axes (view: [-2.6, 2.6] x [-1.625, 1.625])."""

DIVERGED = 1e6
"""A path whose coordinates leave [-1e6, 1e6] is called diverged and stops there (both twins)."""


class Settings(NamedTuple):
    """Everything the explorer's sliders set (the defaults are the page's opening view)."""

    kappa: float = 20.0  # condition number λ_max / λ_min
    angle: float = 0.0  # rotation of the axes, degrees
    lr: float = 0.9  # α of GD, heavy ball and Nesterov
    momentum: float = 0.6  # β (torch's `momentum`)
    steps: int = 60
    adam_lr: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8


def hessian(kappa: float, angle: float) -> np.ndarray:
    """The matrix A: eigenvalue 1/κ along direction φ, 1 across it."""
    lam1, lam2 = 1.0 / kappa, 1.0
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    a11 = lam1 * c * c + lam2 * s * s
    a12 = (lam1 - lam2) * c * s
    a22 = lam1 * s * s + lam2 * c * c
    return np.array([[a11, a12], [a12, a22]])


def start(angle: float) -> np.ndarray:
    """START turned by ``angle`` degrees with the problem, so that a rotation changes nothing but the coordinates."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return np.array([c * START[0] - s * START[1], s * START[0] + c * START[1]])


def gradient(A: np.ndarray, p: np.ndarray) -> np.ndarray:
    """A p, written out as the JavaScript writes it."""
    return np.array([A[0, 0] * p[0] + A[0, 1] * p[1], A[1, 0] * p[0] + A[1, 1] * p[1]])


def value(A: np.ndarray, p: np.ndarray) -> float:
    """f(p) = ½ pᵀ A p."""
    g = gradient(A, p)
    return 0.5 * (p[0] * g[0] + p[1] * g[1])


def _diverged(p: np.ndarray) -> bool:
    return not (abs(p[0]) <= DIVERGED and abs(p[1]) <= DIVERGED)  # NaN counts as diverged


def path_momentum(
    A: np.ndarray, x0: np.ndarray, lr: float, momentum: float, steps: int, *, nesterov: bool = False
) -> np.ndarray:
    """``torch.optim.SGD(lr, momentum, nesterov)`` from ``x0``; momentum 0 is gradient descent. Shape (≤ steps+1, 2)."""
    theta, buf = np.array(x0, dtype=float), None
    path = [theta]
    for _ in range(steps):
        theta, buf = momentum_step(theta, gradient(A, theta), buf, lr=lr, momentum=momentum, nesterov=nesterov)
        path.append(theta)
        if _diverged(theta):
            break
    return np.array(path)


def path_adam(
    A: np.ndarray, x0: np.ndarray, lr: float, beta1: float, beta2: float, eps: float, steps: int
) -> np.ndarray:
    """``torch.optim.Adam(lr, betas=(beta1, beta2), eps)`` from ``x0``. Shape (≤ steps+1, 2)."""
    theta, m, v = np.array(x0, dtype=float), np.zeros(2), np.zeros(2)
    path = [theta]
    for t in range(1, steps + 1):
        theta, m, v = adam_step(theta, gradient(A, theta), m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        path.append(theta)
        if _diverged(theta):
            break
    return np.array(path)


def spectral_radius(lr: float, momentum: float, lam: float, *, nesterov: bool = False) -> float:
    r"""Per-step contraction of heavy ball (or Nesterov) along an eigenvector with curvature ``lam``.

    Heavy ball on :math:`\lambda`: :math:`z^2 - (1 + \beta - \alpha\lambda) z + \beta = 0`; Nesterov
    (torch's form): :math:`z^2 - q(1+\beta) z + q\beta = 0` with :math:`q = 1 - \alpha\lambda`. The
    rate is the larger modulus of the two roots (Goh, 2017, "Why Momentum Really Works").
    """
    if nesterov:
        q = 1.0 - lr * lam
        a, c = q * (1.0 + momentum), q * momentum
    else:
        a, c = 1.0 + momentum - lr * lam, momentum
    disc = a * a - 4.0 * c
    if disc >= 0.0:
        root = math.sqrt(disc)
        return max(abs(a + root), abs(a - root)) / 2.0
    return math.sqrt(c)


def rate(lr: float, momentum: float, kappa: float, *, nesterov: bool = False) -> float:
    """The slower of the two eigendirections: max of the spectral radius over λ = 1/κ and λ = 1."""
    return max(spectral_radius(lr, momentum, lam, nesterov=nesterov) for lam in (1.0 / kappa, 1.0))


def critical_lr(momentum: float, lam: float) -> tuple[float, float]:
    r"""The step sizes where heavy ball is critically damped on curvature ``lam``: :math:`(1 \mp \sqrt\beta)^2/\lambda`.

    Between them the roots are complex (the path spirals, rate :math:`\sqrt\beta`); below the
    first the direction is over-damped (a slow crawl), above the second it flips sign each step.
    """
    r = math.sqrt(momentum)
    return (1.0 - r) ** 2 / lam, (1.0 + r) ** 2 / lam


def polyak(kappa: float) -> tuple[float, float]:
    r"""Polyak's optimal heavy ball for curvatures in [1/κ, 1]: :math:`\alpha^* = 4/(1 + 1/\sqrt\kappa)^2`,
    :math:`\beta^* = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`."""
    lam_min, lam_max = 1.0 / kappa, 1.0
    lr = 4.0 / (math.sqrt(lam_max) + math.sqrt(lam_min)) ** 2
    beta = ((math.sqrt(kappa) - 1.0) / (math.sqrt(kappa) + 1.0)) ** 2
    return lr, beta


def explore(settings: Settings | None = None) -> dict:
    """Everything the explorer shows, as the JavaScript's ``adamlabExplorer.state()`` returns it."""
    s = Settings() if settings is None else settings
    A, x0 = hessian(s.kappa, s.angle), start(s.angle)
    paths = {
        "gd": path_momentum(A, x0, s.lr, 0.0, s.steps),
        "heavy_ball": path_momentum(A, x0, s.lr, s.momentum, s.steps),
        "nesterov": path_momentum(A, x0, s.lr, s.momentum, s.steps, nesterov=True),
        "adam": path_adam(A, x0, s.adam_lr, s.beta1, s.beta2, s.eps, s.steps),
    }
    finals = {}
    for name, path in paths.items():
        end = path[-1]
        finals[name] = {
            "x": float(end[0]),
            "y": float(end[1]),
            "f": float(value(A, end)),
            "steps": len(path) - 1,
            "diverged": bool(_diverged(end)),
        }
    return {
        "settings": s._asdict(),
        "paths": {k: v.tolist() for k, v in paths.items()},
        "finals": finals,
        "rate_heavy_ball": rate(s.lr, s.momentum, s.kappa),
        "rate_nesterov": rate(s.lr, s.momentum, s.kappa, nesterov=True),
        "rate_gd": rate(s.lr, 0.0, s.kappa),
        "critical": [critical_lr(s.momentum, lam) for lam in (1.0 / s.kappa, 1.0)],
        "polyak": polyak(s.kappa),
    }
