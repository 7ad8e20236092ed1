"""adamlab.lab.explorer, the Python twin of the book's JavaScript explorer: against torch.optim and the theory.

The browser side is tests/tools/test_explorer_browser.py (needs the built book)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from adamlab.lab import explorer as E

SETTINGS = [
    E.Settings(),
    E.Settings(kappa=100, angle=30, lr=1.2, momentum=0.8, beta1=0.5, beta2=0.99, eps=1e-3, steps=80),
    E.Settings(kappa=5, angle=60, lr=0.3, momentum=0.95, adam_lr=0.02, beta1=0.0, eps=0.1),
]


def torch_path(s: E.Settings, method: str) -> np.ndarray:
    A = torch.tensor(E.hessian(s.kappa, s.angle))
    p = torch.tensor(E.start(s.angle), requires_grad=True)
    if method == "adam":
        opt = torch.optim.Adam([p], lr=s.adam_lr, betas=(s.beta1, s.beta2), eps=s.eps)
    else:
        mu = 0.0 if method == "gd" else s.momentum
        opt = torch.optim.SGD([p], lr=s.lr, momentum=mu, nesterov=method == "nesterov")
    out = [p.detach().clone().numpy()]
    for _ in range(s.steps):
        opt.zero_grad()
        (0.5 * p @ A @ p).backward()
        opt.step()
        out.append(p.detach().clone().numpy())
    return np.array(out)


@pytest.mark.parametrize("s", SETTINGS)
@pytest.mark.parametrize("method", ["gd", "heavy_ball", "nesterov", "adam"])
def test_paths_match_torch_optim(s, method):
    twin = np.array(E.explore(s)["paths"][method])
    ref = torch_path(s, method)
    np.testing.assert_allclose(twin, ref[: len(twin)], rtol=1e-12, atol=1e-14)


def test_hessian_has_the_stated_eigenvalues_and_start_turns_with_it():
    for angle in (0, 30, 90):
        A = E.hessian(20, angle)
        np.testing.assert_allclose(np.linalg.eigvalsh(A), [1 / 20, 1.0], rtol=1e-12)
        assert E.value(A, E.start(angle)) == pytest.approx(E.value(E.hessian(20, 0), E.start(0)), rel=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("lr,mu,lam", [(0.9, 0.6, 1.0), (0.9, 0.6, 0.05), (0.2, 0.95, 1.0), (1.9, 0.1, 1.0)])
def test_spectral_radius_is_that_of_the_two_by_two_iteration(lr, mu, lam, nesterov):
    q = 1 - lr * lam
    T = np.array([[q * (1 + mu), -q * mu], [1, 0]]) if nesterov else np.array([[1 + mu - lr * lam, -mu], [1, 0]])
    assert E.spectral_radius(lr, mu, lam, nesterov=nesterov) == pytest.approx(np.abs(np.linalg.eigvals(T)).max())


def test_polyak_optimum_is_critical_damping_of_both_directions():
    for kappa in (2, 20, 1000):
        lr, beta = E.polyak(kappa)
        assert E.critical_lr(beta, 1.0)[1] == pytest.approx(lr)
        assert E.critical_lr(beta, 1 / kappa)[0] == pytest.approx(lr)
        assert E.rate(lr, beta, kappa) == pytest.approx(math.sqrt(beta), abs=1e-6)


def test_divergence_stops_the_path():
    out = E.explore(E.Settings(lr=3.9, momentum=0.0, steps=200))
    assert out["finals"]["gd"]["diverged"] and out["finals"]["gd"]["steps"] < 200
    assert not out["finals"]["heavy_ball"]["diverged"] or out["rate_heavy_ball"] > 1
