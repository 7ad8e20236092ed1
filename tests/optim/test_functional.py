"""Every NumPy optimizer in adamlab matches torch.optim in float64 to 1e-6 over 150 steps."""

import numpy as np
import pytest
import torch

from adamlab import optim as O

STEPS = 150
TOL = 1e-6


def gradient_sequence(kind: str, steps: int = STEPS, dim: int = 7, seed: int = 0) -> np.ndarray:
    """Gradients of several regimes: ordinary, tiny (ε matters), huge, and sign-flipping."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(steps, dim))
    if kind == "tiny":
        return g * 1e-9
    if kind == "huge":
        return g * 1e4
    if kind == "flipping":
        return np.sign(g[:1]) * (-1.0) ** np.arange(steps)[:, None] * np.abs(g)
    return g


def torch_trajectory(make_opt, theta0: np.ndarray, grads: np.ndarray) -> np.ndarray:
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = make_opt([p])
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def numpy_trajectory(opt: O.Optimizer, theta0: np.ndarray, grads: np.ndarray) -> np.ndarray:
    theta, state, out = theta0.copy(), opt.init(theta0), []
    for g in grads:
        theta, state = opt.step(theta, g, state)
        out.append(theta)
    return np.array(out)


def assert_match(ours: O.Optimizer, make_torch, kind: str):
    grads = gradient_sequence(kind)
    theta0 = np.random.default_rng(1).normal(size=grads.shape[1])
    expected = torch_trajectory(make_torch, theta0, grads)
    got = numpy_trajectory(ours, theta0, grads)
    scale = max(1.0, np.abs(expected).max())
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL * scale)
    assert np.abs(got - theta0).max() > 0, "the optimizer never moved: the comparison would be vacuous"


KINDS = ["normal", "tiny", "huge", "flipping"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lr", [1e-3, 0.1, 5.0])
def test_sgd(lr, kind):
    assert_match(O.sgd(lr), lambda p: torch.optim.SGD(p, lr=lr), kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "lr,mu,nesterov,damp",
    [
        (0.01, 0.9, False, 0.0),
        (0.1, 0.5, True, 0.0),
        (1.0, 0.99, False, 0.0),
        (0.05, 0.9, False, 0.9),
        (0.02, 0.95, True, 0.0),
    ],
)
def test_momentum(lr, mu, nesterov, damp, kind):
    ours = O.momentum(lr, mu, nesterov=nesterov, dampening=damp)
    assert_match(ours, lambda p: torch.optim.SGD(p, lr=lr, momentum=mu, nesterov=nesterov, dampening=damp), kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lr,eps", [(0.01, 1e-10), (0.5, 1e-10), (1.0, 1e-3), (10.0, 1e-6)])
def test_adagrad(lr, eps, kind):
    assert_match(O.adagrad(lr, eps), lambda p: torch.optim.Adagrad(p, lr=lr, eps=eps), kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lr,alpha,eps", [(0.01, 0.99, 1e-8), (0.1, 0.9, 1e-8), (1.0, 0.5, 1e-3), (0.003, 0.999, 1e-6)])
def test_rmsprop(lr, alpha, eps, kind):
    assert_match(O.rmsprop(lr, alpha, eps), lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps), kind)


ADAM_SETTINGS = [
    (1e-3, 0.9, 0.999, 1e-8),
    (0.1, 0.5, 0.9, 1e-8),
    (1.0, 0.0, 0.99, 1e-3),
    (3.0, 0.95, 0.9999, 1e-1),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lr,b1,b2,eps", ADAM_SETTINGS)
def test_adam(lr, b1, b2, eps, kind):
    assert_match(O.adam(lr, b1, b2, eps), lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps), kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lr,b1,b2,eps", ADAM_SETTINGS)
@pytest.mark.parametrize("wd", [1e-2, 0.3])
def test_adamw(lr, b1, b2, eps, wd, kind):
    ours = O.adamw(lr, b1, b2, eps, weight_decay=wd)
    assert_match(ours, lambda p: torch.optim.AdamW(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lr,b1,b2,eps", ADAM_SETTINGS)
def test_amsgrad(lr, b1, b2, eps, kind):
    ours = O.amsgrad(lr, b1, b2, eps)
    assert_match(ours, lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, amsgrad=True), kind)


def test_amsgrad_differs_from_adam_when_gradients_shrink():
    grads = np.concatenate([np.full((5, 1), 10.0), np.full((50, 1), 0.1)])
    theta0 = np.zeros(1)
    assert not np.allclose(
        numpy_trajectory(O.amsgrad(0.1), theta0, grads), numpy_trajectory(O.adam(0.1), theta0, grads)
    )


@pytest.mark.parametrize(
    "step",
    [
        lambda a: O.adam_step(*a[:4], 1, lr=0.1),
        lambda a: O.adamw_step(*a[:4], 1, lr=0.1),
        lambda a: O.amsgrad_step(*a[:5], 1, lr=0.1),
        lambda a: O.rmsprop_step(*a[:3]),
        lambda a: O.adagrad_step(*a[:3]),
        lambda a: O.momentum_step(*a[:3], lr=0.1),
    ],
)
def test_steps_never_modify_their_inputs(step):
    rng = np.random.default_rng(3)
    args = [rng.normal(size=4) ** 2 for _ in range(5)]
    before = [a.copy() for a in args]
    step(args)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("t", [0, -1, 1.0, True, "1"])
def test_adam_rejects_bad_step_number(t):
    with pytest.raises(ValueError, match="1-based"):
        O.adam_step(np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), t)


def test_worked_example_first_adam_step_on_x_squared():
    """x0 = 5 on f(x) = x², lr 1e-3: v̂1 = 100 and x1 = 4.999 (the chapter's worked example)."""
    x1, m1, v1 = O.adam_step(np.array([5.0]), np.array([10.0]), np.zeros(1), np.zeros(1), 1, lr=1e-3)
    assert v1[0] / (1 - 0.999) == pytest.approx(100.0)
    assert x1[0] == pytest.approx(4.999, abs=1e-9)
