"""Every landscape's hand-written gradient matches torch autograd; the runner behaves."""

import numpy as np
import pytest
import torch

from adamlab import optim as O
from adamlab.lab.trajectory import losses, run
from adamlab.problems import landscapes as L


@pytest.mark.parametrize("land", L.ALL, ids=lambda land: land.name)
def test_gradient_matches_autograd(land):
    rng = np.random.default_rng(0)
    lo = np.array([land.xlim[0], land.ylim[0]][: land.dim])
    hi = np.array([land.xlim[1], land.ylim[1]][: land.dim])
    for point in rng.uniform(lo, hi, size=(50, land.dim)):
        xy = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        land.f(xy).backward()
        np.testing.assert_allclose(land.gradient(point), xy.grad.numpy(), rtol=1e-10, atol=1e-10)
        assert land.value(point) == pytest.approx(float(land.f(torch.tensor(point))), rel=1e-12)


@pytest.mark.parametrize("land", [land for land in L.ALL if land is not L.SADDLE], ids=lambda land: land.name)
def test_minimum_is_stationary(land):
    np.testing.assert_allclose(land.gradient(np.array(land.minimum)), 0.0, atol=1e-12)


def test_run_returns_path_with_start_and_converges_on_quadratic():
    path = run(O.sgd(0.4), L.ILL_CONDITIONED, 200)
    assert path.shape == (201, 2)
    np.testing.assert_array_equal(path[0], L.ILL_CONDITIONED.start)
    assert np.linalg.norm(path[-1]) < 1e-3


def test_run_pads_a_diverging_path_with_nan():
    path = run(O.sgd(10.0), L.ROSENBROCK, 50)
    assert np.isnan(path[-1]).all() and np.isfinite(path[0]).all()


def test_run_rejects_bad_start_and_steps():
    with pytest.raises(ValueError, match="shape"):
        run(O.sgd(0.1), L.ROSENBROCK, 5, start=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="steps"):
        run(O.sgd(0.1), L.ROSENBROCK, -1)


def test_adam_path_on_rosenbrock_goes_downhill():
    path = run(O.adam(0.05), L.ROSENBROCK, 500)
    f = losses(L.ROSENBROCK, path)
    assert f[-1] < 0.1 * f[0]
