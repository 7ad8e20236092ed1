"""adamlab.problems.counterexample: Reddi et al.'s problem with torch's rules and the paper's.

Its check in exercise 6 is tested with the exercise's grading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from adamlab.problems import counterexample as ce


def torch_path(amsgrad, *, steps, C, lr, betas=None, eps=1e-8, schedule=None):
    """The same run with torch.optim.Adam itself, clamping x to [-1, 1] after every step."""
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([x], lr=lr, betas=betas or (0.0, ce.reddi_beta2(C)), eps=eps, amsgrad=amsgrad)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule) if schedule else None
    path = [0.0]
    for t in range(1, steps + 1):
        x.grad = torch.tensor([ce.reddi_gradient(t, C)], dtype=torch.float64)
        opt.step()
        if sched:
            sched.step()
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)
        path.append(x.item())
    return np.array(path)


def test_gradient_pattern_starts_with_C():
    assert [ce.reddi_gradient(t, 3.0) for t in range(1, 7)] == [3.0, -1.0, -1.0, 3.0, -1.0, -1.0]
    assert ce.reddi_beta2(3.0) == pytest.approx(0.1)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("C,lr", [(3.0, 0.01), (5.0, 0.05)])
def test_reddi_path_is_torch_adam_with_projection(amsgrad, C, lr):
    ours = ce.reddi_path(amsgrad, steps=300, C=C, lr=lr)
    assert ours.shape == (301,) and ours[0] == 0.0
    np.testing.assert_allclose(ours, torch_path(amsgrad, steps=300, C=C, lr=lr), rtol=0, atol=1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_paper_path_is_torch_with_a_rescaled_learning_rate(amsgrad):
    beta2 = ce.reddi_beta2(3.0)
    emulated = torch_path(
        amsgrad, steps=300, C=3.0, lr=0.1, eps=0.0, schedule=lambda k: 1 / np.sqrt((k + 1) * (1 - beta2 ** (k + 1)))
    )
    np.testing.assert_allclose(ce.paper_path(amsgrad, steps=300, C=3.0, alpha=0.1), emulated, rtol=0, atol=1e-12)


def test_adam_goes_to_the_worst_point_and_amsgrad_to_the_optimum():
    adam, ams = ce.reddi_path(False), ce.reddi_path(True)
    assert adam[-1] > 0.99 and ams[-1] < -0.98
    assert ce.average_regret(adam, 3.0) > 0.5 > 0.1 > ce.average_regret(ams, 3.0)
    assert ce.paper_path(False)[-1] > 0.99 and ce.paper_path(True)[-1] < -0.99
    # With the default betas this instance is harmless.
    assert ce.reddi_path(False, beta1=0.9, beta2=0.999)[-1] < -0.99


def test_average_regret_of_the_optimum_is_zero():
    assert ce.average_regret(-np.ones(31), 3.0) == pytest.approx(0.0)
    assert ce.average_regret(np.ones(31), 3.0) == pytest.approx(2 * (3.0 - 2.0) / 3)
    # `start` numbers the step of path[0]: a window of a run keeps the gradient pattern aligned.
    path = ce.reddi_path(False, steps=300)
    assert ce.average_regret(path[150:], 3.0, start=151) == pytest.approx(
        np.mean([ce.reddi_gradient(t, 3.0) * (path[t - 1] + 1) for t in range(151, 301)])
    )
