"""adafactor_step matches torch.optim.Adafactor in float64 to 1e-6 over 150 steps (matrices and vectors)."""

import numpy as np
import pytest
import torch

from adamlab import optim as O
from adamlab.optim.adafactor import factored_second_moment

STEPS = 150
SETTINGS = [
    {},
    dict(lr=0.1, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.0, weight_decay=0.1),
    dict(lr=1e-3, beta2_decay=-1.0, eps=(None, 1e-3), d=2.0, weight_decay=0.0),
]


@pytest.mark.parametrize("shape", [(6, 4), (3, 9), (11,)])
@pytest.mark.parametrize("setting", SETTINGS)
def test_adafactor_matches_torch(setting, shape):
    rng = np.random.default_rng(len(shape) + shape[0])
    grads = rng.normal(size=(STEPS, *shape)) * rng.choice([1e-3, 1.0, 10.0], size=shape)
    theta0 = rng.normal(size=shape)
    p = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.Adafactor([p], **setting)
    eps1, eps2 = setting.get("eps", (None, 1e-3))
    hp = dict(
        lr=setting.get("lr", 1e-2),
        beta2_decay=setting.get("beta2_decay", -0.8),
        eps1=eps1,
        eps2=eps2,
        d=setting.get("d", 1.0),
        weight_decay=setting.get("weight_decay", 0.0),
    )
    theta = theta0
    row, col = (np.zeros(shape[0]), np.zeros(shape[1])) if len(shape) == 2 else (np.zeros(shape), None)
    for t, g in enumerate(grads, start=1):
        p.grad = torch.tensor(g)
        opt.step()
        theta, row, col = O.adafactor_step(theta, g, row, col, t, **hp)
        np.testing.assert_allclose(theta, p.detach().numpy(), rtol=0, atol=1e-6)
    state = opt.state[p]
    if col is None:
        np.testing.assert_allclose(row, state["variance"].numpy(), rtol=1e-9)
    else:
        np.testing.assert_allclose(row, state["row_var"].numpy().ravel(), rtol=1e-9)
        np.testing.assert_allclose(col, state["col_var"].numpy().ravel(), rtol=1e-9)
    assert np.abs(theta - theta0).max() > 1e-3


def test_factored_moment_is_exact_for_rank_one_second_moments():
    """If g² is an outer product a bᵀ, the row and column means rebuild it exactly."""
    a, b = np.array([1.0, 4.0, 0.5]), np.array([2.0, 0.1, 3.0, 1.0])
    g2 = np.outer(a, b)
    np.testing.assert_allclose(factored_second_moment(g2.mean(axis=1), g2.mean(axis=0)), g2)
