r"""The learning-rate range test: one short run with a geometrically growing rate, read off a smoothed loss.

Smith (2017), "Cyclical Learning Rates for Training Neural Networks", Section 3.3 (the "LR range
test"), https://arxiv.org/abs/1506.01186; the form popularised by fastai's ``lr_find``: the rate
grows from ``start`` to ``end`` over ``steps`` steps, the loss is smoothed by a bias-corrected
exponential moving average (β = 0.98), and the run stops once the smoothed loss exceeds
``diverge`` times its minimum. Two common readings of the curve:

- ``steepest``: the rate where the smoothed loss falls fastest against log(rate);
- ``valley``: a tenth of the rate at the smoothed loss's minimum.

The moving average *lags*: on a curve that moves steadily it reports the value of about
β/(1-β) steps earlier (:func:`ema_lag`), 49 steps for β = 0.98, and on a geometric grid of rates
a lag of k steps is a factor (end/start)^(k/steps) in rate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class RangeTest(NamedTuple):
    """The rates tried, the raw and smoothed losses (all cut where the run stopped), and the two readings."""

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steepest: float
    valley: float


def geometric_rates(start: float, end: float, steps: int) -> np.ndarray:
    """``steps`` rates from ``start`` to ``end``, equally spaced in log: start * (end/start)**(i/(steps-1))."""
    if not 0 < start < end or steps < 2:
        raise ValueError(f"need 0 < start < end and steps >= 2, got {start}, {end}, {steps}")
    return start * (end / start) ** (np.arange(steps) / (steps - 1))


def smooth(values: np.ndarray, beta: float = 0.98) -> np.ndarray:
    r"""Bias-corrected EMA: :math:`m_t = \beta m_{t-1} + (1-\beta) x_t`, reported as :math:`m_t / (1-\beta^t)`."""
    out, m = np.empty(len(values)), 0.0
    for t, x in enumerate(values, start=1):
        m = beta * m + (1 - beta) * x
        out[t - 1] = m / (1 - beta**t)
    return out


def ema_lag(beta: float) -> float:
    r"""How many steps an EMA trails a linear trend once its start is forgotten: :math:`\beta/(1-\beta)`.

    On :math:`x_t = a + s t` the average tends to :math:`x_t - s\,\beta/(1-\beta)`: the mean age of
    its weights :math:`(1-\beta)\beta^k`.
    """
    return beta / (1 - beta)


def lr_range_test(
    train_step: Callable[[float], float],
    *,
    start: float = 1e-5,
    end: float = 10.0,
    steps: int = 100,
    beta: float = 0.98,
    diverge: float = 4.0,
) -> RangeTest:
    """Run ``train_step(rate) -> loss`` at each rate of the geometric grid until the smoothed loss diverges."""
    rates = geometric_rates(start, end, steps)
    losses: list[float] = []
    m, best = 0.0, np.inf
    for t, rate in enumerate(rates, start=1):
        loss = float(train_step(float(rate)))
        losses.append(loss)
        m = beta * m + (1 - beta) * loss
        current = m / (1 - beta**t)
        best = min(best, current)
        if not np.isfinite(loss) or (t > 10 and current > diverge * best):
            break
    raw = np.array(losses)
    smoothed = smooth(raw, beta)
    tried = rates[: len(raw)]
    return RangeTest(tried, raw, smoothed, *suggestions(tried, smoothed))


def suggestions(rates: np.ndarray, smoothed: np.ndarray) -> tuple[float, float]:
    """(steepest, valley): the rate of the most negative slope of smoothed loss vs log rate, and min-loss rate / 10."""
    finite = np.isfinite(smoothed)
    rates, smoothed = rates[finite], smoothed[finite]
    slope = np.gradient(smoothed, np.log(rates))
    return float(rates[int(np.argmin(slope))]), float(rates[int(np.argmin(smoothed))] / 10)
