"""radam_step matches torch.optim.RAdam in float64 to 1e-6 over 150 steps, for several settings and gradient scales."""

import numpy as np
import pytest
import torch

from adamlab import optim as O
from adamlab.optim import radam as R

STEPS = 150


@pytest.mark.parametrize("scale", [1.0, 1e-9, 1e4])
@pytest.mark.parametrize(
    "lr,beta1,beta2,eps",
    [(1e-3, 0.9, 0.999, 1e-8), (0.05, 0.5, 0.9, 1e-3), (0.01, 0.0, 0.99, 1e-8), (0.1, 0.95, 0.8, 1e-6)],
)
def test_radam_matches_torch(lr, beta1, beta2, eps, scale):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(STEPS, 7)) * scale
    theta0 = rng.normal(size=7)
    p = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.RAdam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    theta, m, v = theta0, np.zeros(7), np.zeros(7)
    for t, g in enumerate(grads, start=1):
        p.grad = torch.tensor(g)
        opt.step()
        theta, m, v = O.radam_step(theta, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        expected = p.detach().numpy()
        np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-6 * max(1.0, np.abs(expected).max()))
    state = opt.state[p]
    np.testing.assert_allclose(m, state["exp_avg"].numpy(), rtol=1e-10, atol=0)
    np.testing.assert_allclose(v, state["exp_avg_sq"].numpy(), rtol=1e-10, atol=0)
    assert np.abs(theta - theta0).max() > 0


def test_rectification_switches_on_when_the_sma_is_long_enough():
    # beta2 = 0.999: rho_1 = 1 exactly; rho_t grows by about 1 per step; torch's threshold 5 is passed at t = 6.
    assert np.isclose(R.sma_length(1, 0.999), 1.0)
    assert [R.rectification(t, 0.999) is None for t in range(1, 8)] == [True] * 5 + [False] * 2
    assert R.rectification(5, 0.999, threshold=4.0) is not None  # the paper's threshold, one step earlier
    r = [R.rectification(t, 0.999) for t in (6, 100, 10_000, 100_000)]
    assert all(a < b for a, b in zip(r, r[1:])) and 0.99 < r[-1] <= 1.0


def test_radam_first_steps_are_momentum_steps():
    g = np.array([3.0, -1e-6])
    theta, m, v = O.radam_step(np.zeros(2), g, np.zeros(2), np.zeros(2), 1, lr=0.1)
    np.testing.assert_allclose(theta, -0.1 * g)  # m_hat_1 = g: plain SGD at t = 1
    with pytest.raises(ValueError):
        O.radam_step(np.zeros(2), g, m, v, 0)


def test_init_step_pair_follows_radam_step():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(20, 4))
    opt = R.radam(lr=0.05, beta1=0.8, beta2=0.99)
    theta, state = np.zeros(4), opt.init(np.zeros(4))
    ref, m, v = np.zeros(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        theta, state = opt.step(theta, g, state)
        ref, m, v = O.radam_step(ref, g, m, v, t, lr=0.05, beta1=0.8, beta2=0.99)
    np.testing.assert_array_equal(theta, ref)
    assert state.t == len(grads)
