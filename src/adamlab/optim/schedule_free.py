r"""Schedule-free AdamW (Defazio et al., 2024, "The Road Less Scheduled", Algorithm 1).

No learning-rate schedule and no total length: the method keeps two sequences and returns a
third. ``z`` takes AdamW-like steps at a constant rate (the "base" sequence); ``x`` is a running
weighted average of the ``z``'s (what you evaluate and ship); the gradient is taken at
``y``, an interpolation between them that plays the role of momentum:

.. math::
    y_t &= (1-\beta_1)\,z_t + \beta_1 x_t \\
    v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, \qquad g_t = \nabla f(y_t) \\
    \gamma_t &= \gamma\,\sqrt{1-\beta_2^t}\,\min(1, t/T_{\text{warmup}}) \\
    z_{t+1} &= z_t - \gamma_t\, g_t / (\sqrt{v_t} + \epsilon) - \gamma_t \lambda\, y_t \\
    c_{t+1} &= \gamma_t^2 \big/ \textstyle\sum_{i \le t} \gamma_i^2, \qquad
    x_{t+1} = (1 - c_{t+1})\,x_t + c_{t+1} z_{t+1}

There is no first moment: :math:`\beta_1` only places ``y``. With a constant :math:`\gamma_t`
the weights are uniform and ``x`` is the plain average of the ``z``'s (Polyak–Ruppert).
The authors' code (facebookresearch/schedule_free) weighs by :math:`\max_{i \le t}\gamma_i^2`,
which is the same thing here because :math:`\gamma_t` never decreases.

- :func:`schedule_free_adamw_step`: one step in NumPy, from the state and the gradient at ``y``;
- :func:`schedule_free_adamw`: the same as an :class:`~adamlab.optim.transforms.Optimizer` pair whose
  ``theta`` is ``y`` (where the next gradient is taken); evaluate at ``state.x``;
- :class:`ScheduleFreeAdamW`: a ``torch.optim.Optimizer`` (parameters hold ``y`` while training;
  ``opt.eval()`` swaps in ``x``, ``opt.train()`` swaps ``y`` back, as in the authors' code).

Reference: https://arxiv.org/abs/2405.15682 (Algorithm 1, "Schedule-Free AdamW").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .transforms import Optimizer

Array = np.ndarray


class ScheduleFreeState(NamedTuple):
    """Steps taken ``t``; the sequences ``z`` and ``x``; ``v`` (torch: ``exp_avg_sq``); the sum of the weights."""

    t: int
    z: Array
    x: Array
    v: Array
    weight_sum: float


def schedule_free_init(theta: Array) -> ScheduleFreeState:
    """z_1 = x_1 = theta, v_0 = 0."""
    theta = np.asarray(theta, dtype=float)
    return ScheduleFreeState(0, theta.copy(), theta.copy(), np.zeros_like(theta), 0.0)


def interpolation(state: ScheduleFreeState, beta1: float) -> Array:
    r""":math:`y = (1-\beta_1) z + \beta_1 x`: where the gradient is taken."""
    return (1.0 - beta1) * state.z + beta1 * state.x


def step_size(lr: float, t: int, beta2: float, warmup_steps: int) -> float:
    r""":math:`\gamma_t = \gamma\sqrt{1-\beta_2^t}\min(1, t/T_{\text{warmup}})` for the 1-based step ``t``."""
    warm = min(1.0, t / warmup_steps) if warmup_steps > 0 else 1.0
    return lr * math.sqrt(1.0 - beta2**t) * warm


def schedule_free_adamw_step(
    grad: Array,
    state: ScheduleFreeState,
    *,
    lr: float = 0.0025,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
) -> ScheduleFreeState:
    """One step of Algorithm 1 from ``grad`` = ∇f(y_t), y_t = ``interpolation(state, beta1)``; returns new arrays."""
    t = state.t + 1
    y = interpolation(state, beta1)
    v = beta2 * state.v + (1.0 - beta2) * grad * grad
    gamma = step_size(lr, t, beta2, warmup_steps)
    z = state.z - gamma * grad / (np.sqrt(v) + eps) - gamma * weight_decay * y
    weight_sum = state.weight_sum + gamma**2
    c = gamma**2 / weight_sum
    x = (1.0 - c) * state.x + c * z
    return ScheduleFreeState(t, z, x, v, weight_sum)


def schedule_free_adamw(
    lr: float = 0.0025,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
) -> Optimizer:
    """Schedule-free AdamW as an init/step pair: ``theta`` is y (where gradients are taken), ``state.x`` the answer.

    >>> opt = schedule_free_adamw(lr=0.1)
    >>> y = np.array([1.0]); s = opt.init(y)
    >>> for _ in range(200): y, s = opt.step(y, 2 * y, s)
    >>> bool(abs(s.x[0]) < 0.05)
    True
    """

    def step(theta: Array, grad: Array, state: ScheduleFreeState) -> tuple[Array, ScheduleFreeState]:
        state = schedule_free_adamw_step(
            grad, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, warmup_steps=warmup_steps
        )
        return interpolation(state, beta1), state

    return Optimizer(f"schedule-free AdamW (lr={lr:g})", init=schedule_free_init, step=step)


def _make_torch_class():
    import torch

    class ScheduleFreeAdamW(torch.optim.Optimizer):
        """Schedule-free AdamW for torch models, the same arithmetic as :func:`schedule_free_adamw_step`.

        While training the parameters hold ``y``; call ``opt.eval()`` before evaluating or saving
        (the parameters then hold ``x``) and ``opt.train()`` before the next step. State per
        parameter: ``z``, ``x``, ``exp_avg_sq``; per group: ``step`` and ``weight_sum``.
        """

        def __init__(
            self,
            params,
            lr: float = 0.0025,
            betas: tuple[float, float] = (0.9, 0.999),
            eps: float = 1e-8,
            weight_decay: float = 0.0,
            warmup_steps: int = 0,
        ):
            defaults = dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                warmup_steps=warmup_steps,
                step=0,
                weight_sum=0.0,
            )
            super().__init__(params, defaults)
            self.training = True

        def _swap(self, key: str) -> None:
            import torch

            with torch.no_grad():
                for group in self.param_groups:
                    beta1 = group["betas"][0]
                    for p in group["params"]:
                        s = self.state[p]
                        if "z" in s:
                            p.copy_(s["x"] if key == "x" else (1.0 - beta1) * s["z"] + beta1 * s["x"])

        def eval(self) -> None:
            """Put x, the average, into the parameters."""
            if self.training:
                self._swap("x")
                self.training = False

        def train(self) -> None:
            """Put y, the point where gradients are taken, back into the parameters."""
            if not self.training:
                self._swap("y")
                self.training = True

        def step(self, closure=None):
            if not self.training:
                raise RuntimeError("call opt.train() before opt.step(): the parameters hold x, not y")
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            with torch.no_grad():
                for group in self.param_groups:
                    beta1, beta2 = group["betas"]
                    t = group["step"] + 1
                    gamma = step_size(group["lr"], t, beta2, group["warmup_steps"])
                    group["weight_sum"] += gamma**2
                    c = gamma**2 / group["weight_sum"]
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        s = self.state[p]
                        if not s:
                            s["z"], s["x"], s["exp_avg_sq"] = p.clone(), p.clone(), torch.zeros_like(p)
                        y, g = p, p.grad
                        v = s["exp_avg_sq"]
                        v.mul_(beta2).add_((1.0 - beta2) * g * g)
                        s["z"] = s["z"] - gamma * g / (v.sqrt() + group["eps"]) - gamma * group["weight_decay"] * y
                        s["x"] = (1.0 - c) * s["x"] + c * s["z"]
                        p.copy_((1.0 - beta1) * s["z"] + beta1 * s["x"])
                    group["step"] = t
            return loss

    ScheduleFreeAdamW.__module__ = __name__
    ScheduleFreeAdamW.__qualname__ = "ScheduleFreeAdamW"
    return ScheduleFreeAdamW


def __getattr__(name: str):
    """``ScheduleFreeAdamW`` is built on first use, so that importing this module does not import torch."""
    if name == "ScheduleFreeAdamW":
        cls = globals()["ScheduleFreeAdamW"] = _make_torch_class()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
