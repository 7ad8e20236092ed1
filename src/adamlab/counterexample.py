r"""Reddi, Kale & Kumar's (2018) online problem on which Adam converges to the worst point.

On each step :math:`t = 1, 2, \dots` the loss is linear, :math:`f_t(x) = C x` when
:math:`t \bmod 3 = 1` and :math:`f_t(x) = -x` otherwise, over the interval
:math:`x \in [-1, 1]` (after every step :math:`x` is projected back onto it). One period of three
steps adds up to :math:`(C - 2)x`, so for :math:`C > 2` the best point is :math:`x = -1`. With
:math:`\beta_1 = 0` and :math:`\beta_2 = 1/(1 + C^2)`, Adam forgets the rare large gradient
:math:`C` quickly, takes larger steps on the two frequent gradients :math:`-1`, and drifts to
:math:`x = +1`, the worst point. AMSGrad divides by the largest second moment seen so far and
goes to :math:`-1`.

- :func:`reddi_path`: the runs with torch's rules (:func:`adamlab.optimizers.adam_step`,
  :func:`adamlab.optimizers.amsgrad_step`: bias correction, constant learning rate);
- :func:`paper_path`: the paper's own algorithms (no bias correction, no ε, step
  :math:`\alpha/\sqrt t`);
- :func:`check_reddi`: the check of exercise 6's ``reddi_path`` (two :class:`~adamlab.grading.probes.Probe` s,
  so that the grader can also run them outside the student's kernel).

Reference: https://openreview.net/forum?id=ryQu7f-RZ (Section 3 and Theorem 1).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import optimizers as O


def reddi_gradient(t: int, C: float) -> float:
    """The gradient of :math:`f_t`: ``C`` on steps ``t ≡ 1 (mod 3)`` (``t`` is 1-based), else ``-1``."""
    return C if t % 3 == 1 else -1.0


def reddi_beta2(C: float) -> float:
    """The paper's :math:`\\beta_2 = 1/(1 + C^2)` (Theorem 1)."""
    return 1.0 / (1.0 + C * C)


def average_regret(path: np.ndarray, C: float, start: int = 1) -> float:
    """Mean of :math:`f_t(x_{t-1}) - f_t(-1)` over the steps of ``path``.

    ``path[0]`` is the position before step ``start`` (so a whole run, from :math:`x_0`, has ``start=1``).
    """
    path = np.asarray(path, dtype=np.float64)
    t = np.arange(start, start + len(path) - 1)
    g = np.where(t % 3 == 1, C, -1.0)
    return float(np.mean(g * (path[:-1] + 1.0)))


def reddi_path(amsgrad: bool, *, steps: int = 3000, C: float = 3.0, lr: float = 0.01, beta1: float = 0.0,
               beta2: float | None = None, eps: float = 1e-8, x0: float = 0.0) -> np.ndarray:
    """Positions :math:`x_0, \\dots, x_{steps}` of torch-style Adam or AMSGrad (projected onto [-1, 1]).

    The same as ``torch.optim.Adam([x], lr, betas=(beta1, beta2), amsgrad=amsgrad)`` followed by
    ``x.clamp_(-1, 1)`` after every step. ``beta2`` defaults to the paper's :func:`reddi_beta2`.
    """
    return _reddi_like(amsgrad, steps=steps, C=C, lr=lr, beta1=beta1, beta2=beta2, eps=eps, x0=x0)


def _reddi_like(amsgrad, *, steps, C, lr, beta1=0.0, beta2=None, eps=1e-8, x0=0.0, project=True, t_shift=0,
                weight_decay=0.0, swap=False):
    """:func:`reddi_path` with the mistakes of the exercise's catalogue switched on by flags."""
    beta2 = reddi_beta2(C) if beta2 is None else beta2
    if swap:
        amsgrad = not amsgrad
    x, m, v, v_max = np.array([x0]), np.zeros(1), np.zeros(1), np.zeros(1)
    path = [x0]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            g = np.array([reddi_gradient(t + t_shift, C)])
            if amsgrad:
                x, m, v, v_max = O.amsgrad_step(x, g, m, v, v_max, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
            else:
                x, m, v = O.adamw_step(x, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                       weight_decay=weight_decay)
            if project:
                x = np.clip(x, -1.0, 1.0)
            path.append(float(x[0]))
    return np.array(path)


def paper_path(amsgrad: bool, *, steps: int = 3000, C: float = 3.0, alpha: float = 0.1, beta1: float = 0.0,
               beta2: float | None = None, x0: float = 0.0) -> np.ndarray:
    r"""The paper's Adam (Algorithm 1 with Adam's averages) or AMSGrad (Algorithm 2), projected onto [-1, 1].

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ (AMSGrad) or } v_t \text{ (Adam)}, \quad
        x_t = \Pi_{[-1,1]}\Big(x_{t-1} - \frac{\alpha}{\sqrt t}\, \frac{m_t}{\sqrt{\hat v_t}}\Big)

    No bias correction and no ε; the step size decreases as :math:`\alpha/\sqrt t`.
    """
    beta2 = reddi_beta2(C) if beta2 is None else beta2
    x, m, v, v_hat = x0, 0.0, 0.0, 0.0
    path = [x0]
    for t in range(1, steps + 1):
        g = reddi_gradient(t, C)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        x = min(1.0, max(-1.0, x - alpha / np.sqrt(t) * m / np.sqrt(v_hat)))
        path.append(x)
    return np.array(path)


# --- The check of exercise 6's reddi_path(amsgrad, *, steps, C, lr) -----------------------------------------

_MISTAKES = (  # (flags of _reddi_like, what the student most likely did, how to fix it)
    (dict(weight_decay=1e-2), "adamw_step's default weight_decay=0.01 was left on for the Adam run",
     "Plain Adam is adamw_step with weight_decay=0.0: pass it explicitly."),
    (dict(project=False), "x is not projected onto [-1, 1]",
     "After every step clip x back into the interval: x = np.clip(x, -1.0, 1.0)."),
    (dict(t_shift=-1), "the gradient C comes one step late (C when t % 3 == 2, or t counted from 0)",
     "With t = 1, 2, 3, ... the gradient is C when t % 3 == 1, else -1; the first gradient is C."),
    (dict(t_shift=1), "the gradient C comes one step early (C when t % 3 == 0)",
     "With t = 1, 2, 3, ... the gradient is C when t % 3 == 1, else -1; the first gradient is C."),
    (dict(beta1=0.9, beta2=0.999), "the default betas (0.9, 0.999) were used",
     "The counterexample needs beta1 = 0 and beta2 = 1/(1 + C**2)."),
    (dict(beta2=0.999), "beta2 was left at its default 0.999", "Use beta2 = 1/(1 + C**2) (and beta1 = 0)."),
    (dict(beta1=0.9), "beta1 was left at its default 0.9", "Use beta1 = 0 (and beta2 = 1/(1 + C**2))."),
    (dict(swap=True), "the Adam and AMSGrad runs are swapped",
     "amsgrad=True must use your amsgrad_step, amsgrad=False your adamw_step with weight_decay=0."),
)


def _probe_run(fn, inputs):
    kw = dict(steps=int(inputs["steps"][0]), C=float(inputs["C"][0]), lr=float(inputs["lr"][0]))
    return {"adam": np.asarray(fn(False, **kw), dtype=np.float64),
            "amsgrad": np.asarray(fn(True, **kw), dtype=np.float64)}


def _probe_judge(inputs, outputs) -> str | None:
    kw = dict(steps=int(inputs["steps"][0]), C=float(inputs["C"][0]), lr=float(inputs["lr"][0]))
    setting = f"steps={kw['steps']}, C={kw['C']:g}, lr={kw['lr']:g}"
    reference = {False: _reddi_like(False, **kw), True: _reddi_like(True, **kw)}
    for amsgrad, key in ((False, "adam"), (True, "amsgrad")):
        call = f"reddi_path(amsgrad={amsgrad}, {setting})"
        got = np.asarray(outputs.get(key, np.zeros(0)), dtype=np.float64).ravel()
        if got.shape != (kw["steps"] + 1,):
            return (f"{call} returned {got.size} values; expected steps + 1 = {kw['steps'] + 1} "
                    "(the positions x_0, x_1, ..., x_steps, starting with x_0 = 0).")
        if not np.all(np.isfinite(got)):
            return f"{call} returned values that are not finite (NaN or inf) from step {int(np.argmin(np.isfinite(got)))}."
        expected = reference[amsgrad]
        bad = np.nonzero(~np.isclose(got, expected, rtol=1e-7, atol=1e-9))[0]
        if bad.size == 0:
            continue
        k = int(bad[0])
        message = (f"{call} departs from the reference at x_{k}: expected {expected[k]:.10g}, got {got[k]:.10g}. "
                   f"(Reference: Adam ends at {reference[False][-1]:+.4f}, AMSGrad at {reference[True][-1]:+.4f}.)")
        for flags, title, hint in _MISTAKES:
            if np.allclose(got, _reddi_like(amsgrad, **kw, **flags), rtol=1e-7, atol=1e-9):
                return message + f"\nMost likely mistake: {title}. {hint}"
        return message + ("\nNo known slip reproduces your path. If your "
                          f"{'amsgrad_step' if amsgrad else 'adamw_step'} passes its own tests, check the gradient "
                          "(C when t % 3 == 1, else -1, with t = 1, 2, ...), the hyperparameters "
                          "(beta1 = 0, beta2 = 1/(1 + C**2), the given lr) and the clipping to [-1, 1].")
    return None


def _visible_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"steps": np.array([3000.0]), "C": np.array([3.0]), "lr": np.array([0.01])}


def _random_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"steps": np.array([float(rng.integers(2400, 3001))]), "C": np.array([float(rng.choice([3, 4, 5]))]),
            "lr": np.array([float(rng.choice([0.005, 0.01, 0.02]))])}


def _register_probes():
    from .grading.probes import Probe, register

    return {
        "visible": register(Probe("reddi_path:counterexample", "reddi_path", _visible_inputs, _probe_run,
                                  _probe_judge)),
        "random": register(Probe("reddi_path:counterexample_random", "reddi_path", _random_inputs, _probe_run,
                                 _probe_judge, visible_seed=None)),
    }


PROBES = _register_probes()


def check_reddi(fn: Callable[..., np.ndarray], suite: str = "visible", *, seed: int | None = None) -> None:
    """Kernel side: check the student's ``reddi_path`` (``suite`` "visible": C = 3, lr = 0.01, 3000 steps;
    "random": a fresh C, lr and length). Raises ``AssertionError`` naming the most likely mistake."""
    from .grading.probes import check_probe

    if suite not in PROBES:
        raise ValueError(f"unknown suite {suite!r}; expected one of {sorted(PROBES)}")
    check_probe(PROBES[suite].name, fn, seed=seed)
