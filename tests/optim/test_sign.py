"""signSGD, Signum and Lion against line-by-line transcriptions of their papers' algorithms in torch (float64).

torch has no sign optimizers, so the reference is the paper: Lion is Chen et al. (2023), Algorithm 2;
signSGD and Signum are Bernstein et al. (2018). Each check runs 150 steps for several settings.
"""

import numpy as np
import pytest
import torch

from adamlab import optim as O
from adamlab.optim import sign

STEPS = 150


def gradients(seed: int, shape=(9,)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(STEPS, *shape)) * rng.choice([1e-4, 1.0, 1e3], size=shape)


def lion_paper(theta0, grads, lr, beta1, beta2, wd):
    """Chen et al. 2023, Algorithm 2, in torch: c = β1 m + (1-β1) g; θ -= η (sign(c) + λθ); m = β2 m + (1-β2) g."""
    theta, m, path = torch.tensor(theta0), torch.zeros(len(theta0), dtype=torch.float64), []
    for g in map(torch.tensor, grads):
        c = beta1 * m + (1 - beta1) * g
        theta = theta - lr * (torch.sign(c) + wd * theta)
        m = beta2 * m + (1 - beta2) * g
        path.append(theta.numpy().copy())
    return np.array(path), m.numpy()


@pytest.mark.parametrize(
    "lr,beta1,beta2,wd",
    [(1e-4, 0.9, 0.99, 0.0), (3e-3, 0.95, 0.98, 0.1), (0.05, 0.5, 0.9, 1.0), (1e-2, 0.0, 0.999, 0.01)],
)
def test_lion_matches_algorithm_2(lr, beta1, beta2, wd):
    grads = gradients(1)
    theta0 = np.random.default_rng(2).normal(size=grads.shape[1])
    expected, m_expected = lion_paper(theta0, grads, lr, beta1, beta2, wd)
    theta, m, path = theta0, np.zeros_like(theta0), []
    for g in grads:
        theta, m = O.lion_step(theta, g, m, lr=lr, beta1=beta1, beta2=beta2, weight_decay=wd)
        path.append(theta)
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(m, m_expected, rtol=1e-12, atol=0)


def test_lion_defaults_and_purity():
    theta, g, m = np.array([1.0, -2.0]), np.array([0.5, 0.0]), np.zeros(2)
    copies = [a.copy() for a in (theta, g, m)]
    new_theta, new_m = O.lion_step(theta, g, m)
    np.testing.assert_array_equal(new_theta, [1.0 - 1e-4, -2.0])  # sign(0) = 0: that coordinate stays
    np.testing.assert_allclose(new_m, 0.01 * g)  # beta2 = 0.99
    for before, after in zip(copies, (theta, g, m)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("lr", [1e-3, 0.1])
def test_sign_sgd_is_adam_with_zero_betas(lr):
    """Adam with β1 = β2 = 0 and ε = 0 steps by lr·g/|g| = lr·sign(g): torch.optim.Adam agrees with signSGD."""
    grads = gradients(3)
    theta0 = np.random.default_rng(4).normal(size=grads.shape[1])
    p = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr, betas=(0.0, 0.0), eps=0.0)
    theta = theta0
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        theta = O.sign_sgd_step(theta, g, lr=lr)
        np.testing.assert_allclose(theta, p.detach().numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("lr,beta", [(1e-3, 0.9), (0.1, 0.5), (0.01, 0.99)])
def test_signum_matches_its_definition(lr, beta):
    grads = gradients(5)
    theta0 = np.random.default_rng(6).normal(size=grads.shape[1])
    theta, m = theta0, np.zeros_like(theta0)
    t_theta, t_m = torch.tensor(theta0), torch.zeros(len(theta0), dtype=torch.float64)
    for g in grads:
        theta, m = O.signum_step(theta, g, m, lr=lr, beta=beta)
        t_m = beta * t_m + (1 - beta) * torch.tensor(g)
        t_theta = t_theta - lr * torch.sign(t_m)
        np.testing.assert_allclose(theta, t_theta.numpy(), rtol=0, atol=1e-10)


def test_init_step_pairs_follow_the_steps():
    grads = gradients(7)
    theta0 = np.zeros(grads.shape[1])
    for opt, step in [
        (
            sign.lion(0.01, 0.8, 0.9, 0.1),
            lambda th, g, m: O.lion_step(th, g, m, lr=0.01, beta1=0.8, beta2=0.9, weight_decay=0.1),
        ),
        (sign.signum(0.01, 0.7), lambda th, g, m: O.signum_step(th, g, m, lr=0.01, beta=0.7)),
        (sign.sign_sgd(0.01), lambda th, g, m: (O.sign_sgd_step(th, g, lr=0.01), m)),
    ]:
        theta, state = theta0, opt.init(theta0)
        ref, m = theta0, np.zeros_like(theta0)
        for g in grads[:20]:
            theta, state = opt.step(theta, g, state)
            ref, m = step(ref, g, m)
        np.testing.assert_array_equal(theta, ref)
