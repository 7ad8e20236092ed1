"""Learning-rate schedules as small pure functions of the step number.

Each schedule maps ``step`` (0-based: the number of optimizer steps already
taken, which is ``torch.optim.lr_scheduler``'s ``last_epoch``) to the learning
rate for the next step. No state, no side effects: ``schedule(step)`` can be
called in any order, plotted, or wrapped for ``torch.optim.lr_scheduler.LambdaLR``.

Where ``torch.optim.lr_scheduler`` has a counterpart, the function reproduces it
(``tests/lab/test_schedules.py`` checks every one numerically):

=====================  ===================================================================
``constant``           ``ConstantLR(factor=1.0)`` / no scheduler
``step_decay``         ``StepLR(step_size, gamma)``
``exponential``        ``ExponentialLR(gamma)``
``inverse_time``       none (a Robbins–Monro schedule; use ``LambdaLR``)
``cosine``             ``CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)``
``linear_warmup``      ``LinearLR(start_factor, end_factor=1.0, total_iters=warmup_steps)``
``warmup_cosine``      ``SequentialLR([LinearLR(...), CosineAnnealingLR(...)], [warmup_steps])``
``one_cycle``          ``OneCycleLR(max_lr=lr, total_steps, pct_start, div_factor, ...)``
``one_cycle_momentum`` the momentum (Adam: ``betas[0]``) that ``OneCycleLR`` cycles
``warmup_stable_decay``  ``SequentialLR([LinearLR, ConstantLR, LinearLR], [W, T - D])`` (linear)
=====================  ===================================================================

To fix the hyperparameters once, use ``functools.partial``:
``sched = partial(cosine, lr=0.1, total_steps=100)``, then ``sched(t)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[int], float]
"""A learning-rate schedule: step number (0-based) -> learning rate."""


def constant(step: int, *, lr: float) -> float:
    r"""The same rate at every step: :math:`\alpha_t = \alpha`."""
    _check_step(step)
    return float(lr)


def step_decay(step: int, *, lr: float, step_size: int, gamma: float = 0.1) -> float:
    r"""Multiply the rate by ``gamma`` every ``step_size`` steps (torch's ``StepLR``).

    .. math:: \alpha_t = \alpha\,\gamma^{\lfloor t / s \rfloor}

    With ``gamma=0.1`` and ``step_size`` = 30 epochs' worth of steps this is the PyTorch
    ImageNet example's recipe (``StepLR(step_size=30, gamma=0.1)`` over 90 epochs,
    pytorch/examples ``imagenet/main.py``). Uneven milestones, such as Goyal et al.
    (2017)'s division by 10 at epochs 30, 60 and 80, are torch's ``MultiStepLR``; He et
    al. (2016) divided by 10 when the error plateaued (ImageNet) or at fixed iterations
    (CIFAR-10).
    """
    _check_step(step)
    _check_positive_int(step_size, "step_size")
    return lr * gamma ** (step // step_size)


def exponential(step: int, *, lr: float, gamma: float) -> float:
    r"""Multiply the rate by ``gamma`` after every step (torch's ``ExponentialLR``).

    .. math:: \alpha_t = \alpha\,\gamma^{t}
    """
    _check_step(step)
    return lr * gamma**step


def inverse_time(step: int, *, lr: float, decay: float) -> float:
    r"""Decay as :math:`1/t`, the classic stochastic-approximation schedule.

    .. math:: \alpha_t = \frac{\alpha}{1 + \delta t}

    For :math:`\delta > 0` it meets the Robbins–Monro conditions
    :math:`\sum_t \alpha_t = \infty` and :math:`\sum_t \alpha_t^2 < \infty`
    (Robbins & Monro, 1951). torch has no class for it: use
    ``LambdaLR(opt, lambda t: 1 / (1 + decay * t))``.
    """
    _check_step(step)
    if decay < 0:
        raise ValueError(f"decay must be >= 0, got {decay}")
    return lr / (1.0 + decay * step)


def cosine(step: int, *, lr: float, total_steps: int, min_lr: float = 0.0) -> float:
    r"""Half a cosine from ``lr`` down to ``min_lr`` over ``total_steps`` steps (SGDR without restarts).

    .. math:: \alpha_t = \alpha_{\min} + \tfrac12(\alpha - \alpha_{\min})\bigl(1 + \cos(\pi t / T)\bigr),
              \quad 0 \le t \le T

    Loshchilov & Hutter (2017), https://arxiv.org/abs/1608.03983. Equals torch's
    ``CosineAnnealingLR(T_max=total_steps, eta_min=min_lr)`` for ``t <= T``; after
    ``T`` it stays at ``min_lr`` (torch's curve would climb back up).
    """
    _check_step(step)
    _check_positive_int(total_steps, "total_steps")
    progress = min(step, total_steps) / total_steps
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def linear_warmup(step: int, *, lr: float, warmup_steps: int, start_factor: float = 0.1) -> float:
    r"""Ramp linearly from ``start_factor * lr`` to ``lr`` over ``warmup_steps`` steps, then hold.

    .. math:: \alpha_t = \alpha\Bigl(f_0 + (1 - f_0)\,\frac{\min(t, W)}{W}\Bigr)

    torch's ``LinearLR(start_factor=f_0, end_factor=1.0, total_iters=W)``. Gradual
    warm-up: Goyal et al. (2017), https://arxiv.org/abs/1706.02677.
    """
    _check_step(step)
    _check_positive_int(warmup_steps, "warmup_steps")
    if not 0.0 < start_factor <= 1.0:
        raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
    return lr * (start_factor + (1.0 - start_factor) * min(step, warmup_steps) / warmup_steps)


def warmup_cosine(
    step: int,
    *,
    lr: float,
    warmup_steps: int,
    total_steps: int,
    start_factor: float = 0.1,
    min_lr: float = 0.0,
) -> float:
    r"""Linear warm-up for ``warmup_steps`` steps, then a cosine down to ``min_lr`` at ``total_steps``.

    .. math::
        \alpha_t = \begin{cases}
            \text{linear\_warmup}(t) & t < W \\
            \text{cosine}(t - W;\ T - W) & t \ge W
        \end{cases}

    torch: ``SequentialLR(opt, [LinearLR(opt, f_0, total_iters=W),
    CosineAnnealingLR(opt, T_max=T - W, eta_min=min_lr)], milestones=[W])``.
    A common recipe for training transformers with Adam or AdamW: the gradual warm-up of
    Goyal et al. (2017), then the cosine of SGDR without its restarts.
    """
    _check_step(step)
    _check_positive_int(warmup_steps, "warmup_steps")
    if total_steps <= warmup_steps:
        raise ValueError(f"total_steps ({total_steps}) must exceed warmup_steps ({warmup_steps})")
    if step < warmup_steps:
        return linear_warmup(step, lr=lr, warmup_steps=warmup_steps, start_factor=start_factor)
    return cosine(step - warmup_steps, lr=lr, total_steps=total_steps - warmup_steps, min_lr=min_lr)


def _one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool) -> list[float]:
    """The last step of each phase, as ``OneCycleLR._schedule_phases`` computes them (floats, possibly fractional)."""
    _check_positive_int(total_steps, "total_steps")
    if not 0.0 <= pct_start <= 1.0:
        raise ValueError(f"pct_start must be in [0, 1], got {pct_start}")
    if three_phase:
        return [pct_start * total_steps - 1, 2 * pct_start * total_steps - 2, total_steps - 1]
    return [pct_start * total_steps - 1, total_steps - 1]


def _anneal(start: float, end: float, pct: float, anneal: str) -> float:
    if anneal == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    if anneal == "linear":
        return (end - start) * pct + start
    raise ValueError(f"anneal must be 'cos' or 'linear', got {anneal!r}")


def _one_cycle(step: int, total_steps: int, pct_start: float, three_phase: bool, anneal: str, points) -> float:
    _check_step(step)
    if step > total_steps:  # torch raises too ("Tried to step ... times")
        raise ValueError(f"step {step} is past total_steps = {total_steps}")
    start_step = 0.0
    ends = _one_cycle_phases(total_steps, pct_start, three_phase)
    for i, end_step in enumerate(ends):
        if step <= end_step or i == len(ends) - 1:
            pct = (step - start_step) / (end_step - start_step)
            return _anneal(points[i], points[i + 1], pct, anneal)
        start_step = end_step
    raise AssertionError("unreachable")


def one_cycle(
    step: int,
    *,
    lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
    three_phase: bool = False,
) -> float:
    r"""Smith's 1cycle policy, exactly as ``torch.optim.lr_scheduler.OneCycleLR(max_lr=lr, ...)``.

    Up from :math:`\alpha/d` to the peak :math:`\alpha` over the first ``pct_start`` of the
    steps, then down to :math:`\alpha/(d\,d_f)` at step ``total_steps - 1``, each half a cosine
    (``anneal="cos"``) or a straight line. Phase boundaries are torch's: the peak is at step
    ``pct_start * total_steps - 1`` (a float), and step ``total_steps`` is the last one torch allows.
    ``three_phase=True`` comes back down to :math:`\alpha/d` symmetrically before the final decay.
    torch also cycles the momentum (Adam's :math:`\beta_1`) the other way: :func:`one_cycle_momentum`.

    Smith & Topin (2019), "Super-convergence", https://arxiv.org/abs/1708.07120.
    """
    initial = lr / div_factor
    points = (
        (initial, lr, initial, initial / final_div_factor) if three_phase else (initial, lr, initial / final_div_factor)
    )
    return _one_cycle(step, total_steps, pct_start, three_phase, anneal, points)


def one_cycle_momentum(
    step: int,
    *,
    total_steps: int,
    pct_start: float = 0.3,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    anneal: str = "cos",
    three_phase: bool = False,
) -> float:
    """The momentum ``OneCycleLR(cycle_momentum=True)`` sets at ``step``: down while the rate goes up, and back.

    With Adam torch writes it into ``betas[0]`` (``use_beta1``); with SGD into ``momentum``.
    """
    if three_phase:
        points = (max_momentum, base_momentum, max_momentum, max_momentum)
    else:
        points = (max_momentum, base_momentum, max_momentum)
    return _one_cycle(step, total_steps, pct_start, three_phase, anneal, points)


def warmup_stable_decay(
    step: int,
    *,
    lr: float,
    warmup_steps: int,
    total_steps: int,
    decay_steps: int,
    start_factor: float = 0.1,
    min_lr: float = 0.0,
    shape: str = "linear",
) -> float:
    r"""Warm-up, a long constant ("stable") stretch, then a short decay to ``min_lr`` at ``total_steps``.

    .. math::
        \alpha_t = \begin{cases}
            \text{linear\_warmup}(t) & t < W \\
            \alpha & W \le t < T - D \\
            \alpha_{\min} + (\alpha - \alpha_{\min})\,s\bigl((t - T + D)/D\bigr) & T - D \le t
        \end{cases}

    with :math:`s(p) = 1 - p` (``shape="linear"``) or :math:`1 - \sqrt p` (``"sqrt"``), held at
    ``min_lr`` after ``T``. The stable stretch needs no total length, so a run can be extended
    and "cooled down" from any point. Linear: torch's ``SequentialLR([LinearLR(f_0,
    total_iters=W), ConstantLR(factor=1.0, total_iters=0), LinearLR(1.0, min_lr / lr,
    total_iters=D)], milestones=[W, T - D])``.

    Hu et al. (2024), MiniCPM, https://arxiv.org/abs/2404.06395 (the name WSD); Hägele et al.
    (2024), https://arxiv.org/abs/2405.18392 (linear and 1 - sqrt cooldowns match cosine).
    """
    _check_step(step)
    _check_positive_int(warmup_steps, "warmup_steps")
    _check_positive_int(decay_steps, "decay_steps")
    if total_steps < warmup_steps + decay_steps:
        raise ValueError(f"total_steps ({total_steps}) < warmup_steps + decay_steps ({warmup_steps + decay_steps})")
    if shape not in ("linear", "sqrt"):
        raise ValueError(f"shape must be 'linear' or 'sqrt', got {shape!r}")
    if step < warmup_steps:
        return linear_warmup(step, lr=lr, warmup_steps=warmup_steps, start_factor=start_factor)
    decay_start = total_steps - decay_steps
    if step < decay_start:
        return float(lr)
    progress = min(step - decay_start, decay_steps) / decay_steps
    remaining = 1.0 - progress if shape == "linear" else 1.0 - math.sqrt(progress)
    return min_lr + (lr - min_lr) * remaining


def torch_reference(make_scheduler: Callable, lr: float, steps: int) -> list[float]:
    """The rates a ``torch.optim.lr_scheduler`` gives for steps ``0 .. steps - 1``.

    ``make_scheduler(optimizer)`` builds the scheduler on a one-parameter
    ``torch.optim.SGD`` with initial rate ``lr``; the scheduler is stepped after
    each optimizer step, as in a training loop. torch is imported only here.
    """
    import torch

    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return rates


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and hasattr(value, "__index__")


def _check_step(step: int) -> None:
    if not _is_int(step) or step < 0:
        raise ValueError(f"step is the 0-based number of steps taken: expected an int >= 0, got {step!r}")


def _check_positive_int(value: int, name: str) -> None:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
