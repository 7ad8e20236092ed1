"""The optimizer ladder as pure step functions in NumPy: each rule is a small change of the one before.

Every step takes float64 arrays, returns new arrays and never modifies its inputs. The
conventions are those of ``torch.optim``, the reference (``tests/optim/test_functional.py``
checks every rule against it in float64 over hundreds of steps).

Names follow the papers: ``lr`` (α), ``beta1``/``beta2`` (β₁, β₂), ``eps`` (ε), ``m``/``v``
(first and second moments), ``t`` (1-based step number). PyTorch calls ``m`` ``exp_avg`` and
``v`` ``exp_avg_sq``; RMSProp's decay is ``alpha``. The same rules as optax-style
``init``/``step`` pairs with typed states are in :mod:`adamlab.optim.transforms`.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


# --- 1. Gradient descent --------------------------------------------------------
def sgd_step(theta: Array, grad: Array, *, lr: float) -> Array:
    r"""One gradient-descent step, :math:`\theta \leftarrow \theta - \alpha g`."""
    return theta - lr * grad


# --- 2. Momentum: SGD plus one running sum ---------------------------------------
def momentum_step(
    theta: Array,
    grad: Array,
    buf: Array | None,
    *,
    lr: float,
    momentum: float = 0.9,
    nesterov: bool = False,
    dampening: float = 0.0,
) -> tuple[Array, Array]:
    r"""Heavy-ball or Nesterov momentum in ``torch.optim.SGD``'s form.

    .. math::
        b_t = \mu b_{t-1} + (1-\tau) g_t \quad (b_1 = g_1), \qquad
        \theta_t = \theta_{t-1} - \alpha \,(g_t + \mu b_t \text{ if Nesterov else } b_t)

    ``buf`` is ``None`` before the first step. Polyak (1964); Sutskever et al. (2013).
    """
    if buf is None:
        new_buf = grad.copy()
    else:
        new_buf = momentum * buf + (1.0 - dampening) * grad
    direction = grad + momentum * new_buf if nesterov else new_buf
    return theta - lr * direction, new_buf


# --- 3. AdaGrad: a per-coordinate step from the sum of squared gradients ----------
def adagrad_step(
    theta: Array, grad: Array, sum_sq: Array, *, lr: float = 0.01, eps: float = 1e-10
) -> tuple[Array, Array]:
    r"""AdaGrad (Duchi et al., 2011) as ``torch.optim.Adagrad``.

    .. math::
        s_t = s_{t-1} + g_t^2, \qquad \theta_t = \theta_{t-1} - \alpha\, g_t / (\sqrt{s_t} + \epsilon)
    """
    new_sum_sq = sum_sq + grad * grad
    return theta - lr * grad / (np.sqrt(new_sum_sq) + eps), new_sum_sq


# --- 4. RMSProp: AdaGrad's sum becomes a moving average --------------------------
def rmsprop_step(
    theta: Array,
    grad: Array,
    sq_avg: Array,
    *,
    lr: float = 0.01,
    alpha: float = 0.99,
    eps: float = 1e-8,
) -> tuple[Array, Array]:
    r"""RMSProp (Tieleman & Hinton, 2012) as ``torch.optim.RMSprop``.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \qquad
        \theta_t = \theta_{t-1} - \alpha_{lr}\, g_t / (\sqrt{v_t} + \epsilon)
    """
    new_sq_avg = alpha * sq_avg + (1.0 - alpha) * grad * grad
    return theta - lr * grad / (np.sqrt(new_sq_avg) + eps), new_sq_avg


# --- 5. Adam: momentum + RMSProp + two bias corrections ---------------------------
def adam_moments(grad: Array, m: Array, v: Array, *, beta1: float, beta2: float) -> tuple[Array, Array]:
    r"""Update both moving averages.

    .. math:: m_t = \beta_1 m + (1-\beta_1) g, \qquad v_t = \beta_2 v + (1-\beta_2) g^2
    """
    return beta1 * m + (1.0 - beta1) * grad, beta2 * v + (1.0 - beta2) * grad * grad


def bias_correction(moment: Array, beta: float, t: int) -> Array:
    r"""Undo the zero start of a moving average: :math:`\hat m_t = m_t / (1-\beta^t)`."""
    return moment / (1.0 - beta**t)


def adam_step(
    theta: Array,
    grad: Array,
    m: Array,
    v: Array,
    t: int,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Array, Array, Array]:
    r"""Adam (Kingma & Ba, 2015, Algorithm 1) as ``torch.optim.Adam``; ``t`` is 1-based.

    .. math::
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}, \quad
        \theta_t = \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    Reference: https://arxiv.org/abs/1412.6980
    """
    _check_step_number(t)
    m, v = adam_moments(grad, m, v, beta1=beta1, beta2=beta2)
    m_hat, v_hat = bias_correction(m, beta1, t), bias_correction(v, beta2, t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# --- 6. AdamW: Adam plus a decoupled shrink of the weights -------------------------
def adamw_step(
    theta: Array,
    grad: Array,
    m: Array,
    v: Array,
    t: int,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> tuple[Array, Array, Array]:
    r"""AdamW (Loshchilov & Hutter, 2019) as ``torch.optim.AdamW``.

    .. math:: \theta \leftarrow (1 - \alpha\lambda)\,\theta, \text{ then an Adam step.}

    The decay never enters ``m`` or ``v``. Reference: https://arxiv.org/abs/1711.05101
    """
    decayed = theta * (1.0 - lr * weight_decay)
    return adam_step(decayed, grad, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)


# --- 7. AMSGrad: Adam whose second moment never decreases --------------------------
def amsgrad_step(
    theta: Array,
    grad: Array,
    m: Array,
    v: Array,
    v_max: Array,
    t: int,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Array, Array, Array, Array]:
    r"""AMSGrad as ``torch.optim.Adam(amsgrad=True)``.

    .. math::
        v^{\max}_t = \max(v^{\max}_{t-1}, v_t), \qquad
        \theta_t = \theta_{t-1} - \alpha\, \frac{\hat m_t}{\sqrt{v^{\max}_t/(1-\beta_2^t)} + \epsilon}

    The maximum is taken over the *raw* ``v``, before bias correction (torch's form;
    Reddi et al., 2018, use no bias correction at all). https://openreview.net/forum?id=ryQu7f-RZ
    """
    _check_step_number(t)
    m, v = adam_moments(grad, m, v, beta1=beta1, beta2=beta2)
    v_max = np.maximum(v_max, v)
    m_hat, v_max_hat = bias_correction(m, beta1, t), bias_correction(v_max, beta2, t)
    return theta - lr * m_hat / (np.sqrt(v_max_hat) + eps), m, v, v_max


def _check_step_number(t: int) -> None:
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1:
        raise ValueError(f"t is the 1-based number of this step: expected an int >= 1, got {t!r}")
