"""adamlab.lab.lr_range: the geometric grid, the bias-corrected EMA and its lag, and the two readings."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab.lab import lr_range


def test_geometric_rates():
    r = lr_range.geometric_rates(1e-5, 10.0, 100)
    assert r[0] == pytest.approx(1e-5) and r[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(r[1:] / r[:-1], (1e6) ** (1 / 99))
    with pytest.raises(ValueError):
        lr_range.geometric_rates(1.0, 0.1, 10)


def test_smooth_is_a_bias_corrected_ema():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    beta, m, expected = 0.9, 0.0, []
    for t, v in enumerate(x, start=1):
        m = beta * m + (1 - beta) * v
        expected.append(m / (1 - beta**t))
    np.testing.assert_allclose(lr_range.smooth(x, beta), expected)
    assert lr_range.smooth(np.full(50, 2.5), 0.98) == pytest.approx(np.full(50, 2.5))  # no bias at the start


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.98])
def test_ema_trails_a_line_by_beta_over_one_minus_beta(beta):
    t = np.arange(3000.0)
    lag = t[-1] - lr_range.smooth(t, beta)[-1]
    assert lag == pytest.approx(lr_range.ema_lag(beta), rel=1e-6)


def test_range_test_stops_when_the_loss_diverges_and_reads_the_curve():
    """A model loss: falls once the rate passes 1e-3, blows up past 1."""
    calls = []

    def step(rate):
        calls.append(rate)
        return 2.0 / (1 + rate / 1e-3) + (rate / 1.0) ** 2

    rt = lr_range.lr_range_test(step, start=1e-6, end=100.0, steps=200, beta=0.5)
    assert len(calls) == len(rt.rates) < 200 and rt.rates[-1] < 100  # stopped early
    assert np.isclose(rt.rates, calls).all()
    assert 1e-4 < rt.steepest < 1e-1 and rt.valley < rt.rates[np.argmin(rt.smoothed)]
    assert rt.valley == pytest.approx(rt.rates[np.argmin(rt.smoothed)] / 10)
