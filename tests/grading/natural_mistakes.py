"""Mistakes as students write them, each with the verdict the checks must give (the diagnosis census).

Written by hand, the way students answer the exercises (plain code, their own variable names, the
notebooks' hints half-remembered), *not* generated from the catalogues: they test whether the
catalogues cover what students do, and whether a diagnosis is ever confidently wrong.

``expected`` is the key of the catalogued mistake the checks must name (a catalogue entry, or a
structural key: ``in_place``, ``wrong_dtype``, ``wrong_type``, ``raised``, ``hidden_state``,
``ignores_hyperparameter``, ``not_finite``), or ``"unknown"``: the code is wrong in a way no entry
describes, and the message must say so (and name nothing). ``words`` must appear in some failing
message (a student's own line, for code that raises).

:func:`tools/diagnosis_census.py` runs each through the kernel's checks and the grader's path;
``tests/grading/test_natural_mistakes.py`` asserts every verdict.
"""

from __future__ import annotations

from typing import NamedTuple


class Natural(NamedTuple):
    function: str  # the exercise function (its probes are the function's suites)
    expected: str  # catalogue key, structural key, or "unknown"
    code: str  # the student's cell
    note: str = ""  # what the student did
    words: str = ""  # text some failing message must contain


GD = "def gd_step(theta, grad, lr):\n"
MSLR = "def max_stable_lr(A):\n"
MOM = "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
ADA = "def adagrad_step(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):\n"
RMS = "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
ADAM = "def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
ADAMW = "def adamw_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):\n"
AMS = "def amsgrad_step(theta, grad, m, v, v_max, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
STEPLR = "def step_decay_lr(step, *, lr, step_size, gamma=0.1):\n"
LION = "def lion_step(theta, grad, m, *, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):\n"

MISTAKES: tuple[Natural, ...] = (
    # --- ex01: gd_step -------------------------------------------------------------------------------------
    Natural("gd_step", "ascent", GD + "    return theta + lr * grad\n", "plus instead of minus"),
    Natural("gd_step", "in_place", GD + "    theta -= lr * grad\n    return theta\n", "updates theta in place"),
    Natural("gd_step", "lr_ignored", GD + "    new_theta = theta - grad\n    return new_theta\n", "forgot lr"),
    Natural("gd_step", "step_only", GD + "    update = -lr * grad\n    return update\n", "returns the step"),
    Natural("gd_step", "divided_by_lr", GD + "    return theta - grad / lr\n", "divides by lr"),
    Natural("gd_step", "wrong_dtype", GD + "    return (theta - lr * grad).astype(np.float32)\n", "casts to float32"),
    Natural(
        "gd_step",
        "ignores_hyperparameter",
        GD + "    step_size = 0.1  # the value from the example\n    return theta - step_size * grad\n",
        "hard-codes the example's lr",
    ),
    Natural(
        "gd_step", "in_place", GD + "    return np.subtract(theta, lr * grad, out=theta)\n", "out= writes into theta"
    ),
    # --- ex01: max_stable_lr -------------------------------------------------------------------------------
    Natural(
        "max_stable_lr",
        "no_validation",
        MSLR + "    return 2 / np.max(np.linalg.eigvalsh(A))\n",
        "forgets the ValueErrors",
    ),
    Natural(
        "max_stable_lr",
        "two_over_lmin",
        MSLR + "    if not np.allclose(A, A.T):\n        raise ValueError('not symmetric')\n"
        "    lam = np.linalg.eigvalsh(A)\n    if lam.min() <= 0:\n        raise ValueError('not definite')\n"
        "    return 2 / lam[0]\n",
        "takes the first eigenvalue, the smallest",
    ),
    Natural(
        "max_stable_lr",
        "approximate_lmax",
        MSLR + "    if not np.allclose(A, A.T):\n        raise ValueError('not symmetric')\n"
        "    if np.linalg.eigvalsh(A)[0] <= 0:\n        raise ValueError('not positive definite')\n"
        "    x = np.ones(A.shape[0])\n    for _ in range(20):\n        x = A @ x\n        x = x / np.linalg.norm(x)\n"
        "    lam = x @ A @ x\n    return 2 / lam\n",
        "20 power iterations: close, not exact, when the top eigenvalues are close",
    ),
    Natural(
        "max_stable_lr",
        "one_over_lmax",
        MSLR + "    if not np.allclose(A, A.T):\n        raise ValueError('A must be symmetric')\n"
        "    eig = np.linalg.eigvalsh(A)\n    if np.any(eig <= 0):\n        raise ValueError('A must be SPD')\n"
        "    return 1 / eig.max()\n",
        "1/L, the step of the convergence proofs",
    ),
    Natural(
        "max_stable_lr",
        "two_over_frobenius",
        MSLR + "    if not np.allclose(A, A.T):\n        raise ValueError('A must be symmetric')\n"
        "    if np.linalg.eigvalsh(A)[0] <= 0:\n        raise ValueError('A must be SPD')\n"
        "    return 2 / np.linalg.norm(A)\n",
        "norm(A) is not the spectral norm",
    ),
    Natural(
        "max_stable_lr",
        "unknown",
        MSLR + "    if not np.allclose(A, A.T) or not np.all(A > 0):\n        raise ValueError('A must be SPD')\n"
        "    return 2 / np.linalg.eigvalsh(A)[-1]\n",
        "positive entries taken for positive definite",
    ),
    # --- ex03: momentum_step -------------------------------------------------------------------------------
    Natural(
        "momentum_step",
        "damped",
        MOM + "    if buf is None:\n        buf = np.zeros_like(theta)\n"
        "    buf = momentum * buf + (1 - momentum) * grad\n"
        "    step = grad + momentum * buf if nesterov else buf\n    return theta - lr * step, buf\n",
        "an exponential moving average, as in Adam",
    ),
    Natural(
        "momentum_step",
        "lr_in_buffer",
        MOM + "    if buf is None:\n        buf = np.zeros_like(theta)\n    v = momentum * buf - lr * grad\n"
        "    if nesterov:\n        return theta + momentum * v - lr * grad, v\n    return theta + v, v\n",
        "CS231n's velocity form",
    ),
    Natural(
        "momentum_step",
        "nesterov_ignored",
        MOM + "    if buf is None:\n        buf = grad.copy()\n    else:\n        buf = momentum * buf + grad\n"
        "    return theta - lr * buf, buf\n",
        "never looks at nesterov",
    ),
    Natural(
        "momentum_step",
        "nesterov_ignored",
        MOM + "    old = np.zeros_like(theta) if buf is None else buf\n    new_buf = momentum * old + grad\n"
        "    if nesterov:\n        return theta - lr * (grad + momentum * old), new_buf\n"
        "    return theta - lr * new_buf, new_buf\n",
        "Nesterov with the old buffer (that is heavy ball)",
    ),
    Natural(
        "momentum_step",
        "nesterov_without_grad",
        MOM + "    buf = grad.copy() if buf is None else momentum * buf + grad\n"
        "    if nesterov:\n        return theta - lr * momentum * buf, buf\n    return theta - lr * buf, buf\n",
        "Nesterov's look-ahead without the gradient",
    ),
    Natural(
        "momentum_step",
        "lr_in_buffer",
        MOM + "    v = np.zeros_like(theta) if buf is None else buf\n    v_prev = v\n    v = momentum * v - lr * grad\n"
        "    if nesterov:\n        return theta - momentum * v_prev + (1 + momentum) * v, v\n    return theta + v, v\n",
        "CS231n's Nesterov (look-ahead written with v_prev)",
    ),
    Natural(
        "momentum_step",
        "ignores_hyperparameter",
        MOM + "    buf = grad.copy() if buf is None else 0.9 * buf + grad\n"
        "    step = grad + 0.9 * buf if nesterov else buf\n    return theta - lr * step, buf\n",
        "0.9 written out",
    ),
    Natural(
        "momentum_step",
        "wrong_type",
        MOM + "    if buf is None:\n        return theta - lr * grad, None\n    buf = momentum * buf + grad\n"
        "    return theta - lr * buf, buf\n",
        "returns None as the first buffer",
    ),
    Natural(
        "momentum_step",
        "raised",
        MOM + "    if buf == None:\n        buf = grad.copy()\n    else:\n        buf = momentum * buf + grad\n"
        "    step = grad + momentum * buf if nesterov else buf\n    return theta - lr * step, buf\n",
        "`buf == None` on an array",
        words="if buf == None:",
    ),
    Natural(
        "momentum_step",
        "always_nesterov",
        MOM + "    buf = grad.copy() if buf is None else momentum * buf + grad\n"
        "    return theta - lr * (grad + momentum * buf), buf\n",
        "Nesterov whatever the flag",
    ),
    Natural(
        "momentum_step",
        "unknown",
        MOM + "    if buf is None:\n        buf = grad.copy()\n    buf = momentum * buf + grad\n"
        "    step = grad + momentum * buf if nesterov else buf\n    return theta - lr * step, buf\n",
        "buf = g on the first step, then updated again: (1 + μ)g",
    ),
    # --- ex04: adagrad_step --------------------------------------------------------------------------------
    Natural(
        "adagrad_step",
        "eps_inside_sqrt",
        ADA + "    sum_sq = sum_sq + grad**2\n    return theta - lr * grad / np.sqrt(sum_sq + eps), sum_sq\n",
    ),
    Natural(
        "adagrad_step",
        "state_as_root",
        ADA + "    norm = np.sqrt(sum_sq**2 + grad**2)  # keep the root, it is what we divide by\n"
        "    return theta - lr * grad / (norm + eps), norm\n",
        "stores √sum (θ exact)",
    ),
    Natural(
        "adagrad_step",
        "g_not_squared",
        ADA + "    sum_sq = sum_sq + grad\n    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq\n",
        "sums g, not g² (NaN)",
    ),
    Natural(
        "adagrad_step",
        "in_place",
        ADA + "    sum_sq += grad * grad\n    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq\n",
    ),
    Natural(
        "adagrad_step",
        "old_state_in_denominator",
        ADA + "    new_theta = theta - lr * grad / (np.sqrt(sum_sq) + eps)\n    return new_theta, sum_sq + grad**2\n",
        "steps before accumulating",
    ),
    Natural(
        "adagrad_step",
        "ignores_hyperparameter",
        ADA + "    sum_sq = sum_sq + grad**2\n    return theta - 0.01 * grad / (np.sqrt(sum_sq) + 1e-10), sum_sq\n",
        "defaults written out",
    ),
    Natural(
        "adagrad_step",
        "moving_average",
        ADA + "    sum_sq = 0.99 * sum_sq + 0.01 * grad**2\n"
        "    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq\n",
        "RMSProp's average",
    ),
    Natural(
        "adagrad_step",
        "eps_outside_division",
        ADA + "    sum_sq = sum_sq + grad**2\n    return theta - lr * (grad / np.sqrt(sum_sq) + eps), sum_sq\n",
        "precedence: ε added to the ratio",
    ),
    Natural(
        "adagrad_step",
        "hidden_state",
        "_G = None\n\n\n" + ADA + "    global _G\n    _G = grad**2 if _G is None else _G + grad**2\n"
        "    return theta - lr * grad / (np.sqrt(_G) + eps), _G.copy()\n",
        "accumulates in a global instead of sum_sq",
    ),
    # --- ex04: rmsprop_step --------------------------------------------------------------------------------
    Natural(
        "rmsprop_step",
        "alpha_as_lr",
        RMS + "    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2\n"
        "    return theta - alpha * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
        "alpha taken for the learning rate (the notebook warns)",
    ),
    Natural(
        "rmsprop_step",
        "swapped_alpha",
        RMS + "    sq_avg = (1 - alpha) * sq_avg + alpha * grad**2\n"
        "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
    ),
    Natural(
        "rmsprop_step",
        "missing_one_minus_alpha",
        RMS + "    sq_avg = alpha * sq_avg + grad**2\n    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
    ),
    Natural(
        "rmsprop_step",
        "eps_inside_sqrt",
        RMS
        + "    s = alpha * sq_avg + (1 - alpha) * grad * grad\n    return theta - lr * grad / np.sqrt(s + eps), s\n",
    ),
    Natural(
        "rmsprop_step",
        "ignores_hyperparameter",
        RMS + "    sq_avg = 0.99 * sq_avg + 0.01 * grad**2\n"
        "    return theta - 0.01 * grad / (np.sqrt(sq_avg) + 1e-8), sq_avg\n",
        "defaults written out (full visible marks before)",
    ),
    Natural(
        "rmsprop_step",
        "eps_outside_division",
        RMS + "    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2\n"
        "    return theta - lr * (grad / np.sqrt(sq_avg) + eps), sq_avg\n",
    ),
    Natural(
        "rmsprop_step",
        "g_not_squared",
        RMS + "    sq_avg = alpha * sq_avg + (1 - alpha) * grad\n"
        "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
    ),
    Natural(
        "rmsprop_step",
        "swapped_outputs:theta,sq_avg",
        RMS + "    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2\n"
        "    return sq_avg, theta - lr * grad / (np.sqrt(sq_avg) + eps)\n",
        "(sq_avg, theta)",
    ),
    Natural(
        "rmsprop_step",
        "ascent",
        RMS + "    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2\n"
        "    return theta + lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n",
    ),
    # --- ex05: adam_step -----------------------------------------------------------------------------------
    Natural(
        "adam_step",
        "swapped_outputs:m,v",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), v, m\n",
        "returns (θ, v, m)",
    ),
    Natural(
        "adam_step",
        "t_minus_one_v",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2 ** (t - 1))\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "v̂ with t − 1 (division by zero, no first step)",
    ),
    Natural(
        "adam_step",
        "eps_hat",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n"
        "    return theta - lr_t * m / (np.sqrt(v) + eps), m, v\n",
        "Kingma & Ba's efficient form (ε̂)",
    ),
    Natural(
        "adam_step",
        "eps_hat",
        "import math\n\n\n" + ADAM + "    m_new = beta1 * m + (1.0 - beta1) * grad\n"
        "    v_new = beta2 * v + (1.0 - beta2) * np.square(grad)\n"
        "    alpha_t = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)\n"
        "    return theta - alpha_t * m_new / (np.sqrt(v_new) + eps), m_new, v_new\n",
        "Keras's legacy Adam",
    ),
    Natural(
        "adam_step",
        "ignores_hyperparameter",
        ADAM + "    m = 0.9 * m + 0.1 * grad\n    v = 0.999 * v + 0.001 * grad**2\n"
        "    m_hat = m / (1 - 0.9**t)\n    v_hat = v / (1 - 0.999**t)\n"
        "    return theta - 0.001 * m_hat / (np.sqrt(v_hat) + 1e-8), m, v\n",
        "hard-coded defaults (full visible marks, −3 at grading, before)",
    ),
    Natural(
        "adam_step",
        "t_fixed_at_one",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1)\n    v_hat = v / (1 - beta2)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "forgot the power t",
    ),
    Natural(
        "adam_step",
        "no_bias_correction",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    return theta - lr * m / (np.sqrt(v) + eps), m, v\n",
    ),
    Natural(
        "adam_step",
        "v_corrected_with_beta1",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta1**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "copy-paste: β₁ in v's correction",
    ),
    Natural(
        "adam_step",
        "abs_instead_of_square",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * np.abs(grad)\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Natural(
        "adam_step",
        "eps_inside_sqrt",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v\n",
    ),
    Natural(
        "adam_step",
        "lr_twice",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    step = lr * m_hat / (np.sqrt(v_hat) + eps)\n    return theta - lr * step, m, v\n",
        "lr in the step and again in the update",
    ),
    Natural(
        "adam_step",
        "in_place",
        ADAM + "    m *= beta1\n    m += (1 - beta1) * grad\n    v *= beta2\n    v += (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Natural(
        "adam_step",
        "eps_outside_division",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * (m_hat / np.sqrt(v_hat) + eps), m, v\n",
        "precedence",
    ),
    Natural(
        "adam_step",
        "t_plus_one",
        ADAM + "    t = t + 1  # steps count from 0\n    m = beta1 * m + (1 - beta1) * grad\n"
        "    v = beta2 * v + (1 - beta2) * grad**2\n    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Natural(
        "adam_step",
        "missing_one_minus_beta",
        ADAM + "    m = beta1 * m + grad\n    v = beta2 * v + grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Natural(
        "adam_step",
        "no_first_moment",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    v_hat = v / (1 - beta2**t)\n    return theta - lr * grad / (np.sqrt(v_hat) + eps), m, v\n",
        "steps along g, not m̂",
    ),
    Natural(
        "adam_step",
        "state_not_updated",
        ADAM + "    m_new = beta1 * m + (1 - beta1) * grad\n    v_new = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m_new / (1 - beta1**t)\n    v_hat = v_new / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "returns the old m and v",
    ),
    Natural(
        "adam_step",
        "hidden_state",
        "step_count = 0\n\n\n" + ADAM + "    global step_count\n    step_count += 1\n"
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**step_count)\n    v_hat = v / (1 - beta2**step_count)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "counts steps in a global instead of using t",
    ),
    Natural(
        "adam_step",
        "raised",
        "import math\n\n\n"
        + ADAM
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (math.sqrt(v_hat) + eps), m, v\n",
        "math.sqrt on an array",
        words="math.sqrt(v_hat)",
    ),
    Natural(
        "adam_step",
        "unknown",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * (grad - m) ** 2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "AdaBelief's v",
    ),
    Natural(
        "adam_step",
        "g_not_squared",
        ADAM + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "forgot the square (NaN)",
    ),
    Natural(
        "adam_step",
        "swapped_betas",
        ADAM + "    m = beta2 * m + (1 - beta2) * grad\n    v = beta1 * v + (1 - beta1) * grad**2\n"
        "    m_hat = m / (1 - beta2**t)\n    v_hat = v / (1 - beta1**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    # --- ex06: adamw_step ----------------------------------------------------------------------------------
    Natural(
        "adamw_step",
        "l2_and_decoupled",
        ADAMW + "    grad = grad + weight_decay * theta\n    theta = theta * (1 - lr * weight_decay)\n"
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "both L2 and decoupled decay",
    ),
    Natural(
        "adamw_step",
        "l2_instead_of_decoupled",
        ADAMW + "    g = grad + weight_decay * theta\n"
        "    m = beta1 * m + (1 - beta1) * g\n    v = beta2 * v + (1 - beta2) * g**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
    ),
    Natural(
        "adamw_step",
        "decay_without_lr",
        ADAMW + "    theta = theta - weight_decay * theta\n"
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "the paper's schedule multiplier η taken as 1",
    ),
    Natural(
        "adamw_step",
        "decay_after_step",
        ADAMW + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)\n    return theta - lr * weight_decay * theta, m, v\n",
    ),
    Natural(
        "adamw_step",
        "ignores_hyperparameter",
        ADAMW + "    theta = theta * (1 - lr * 0.01)\n"
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "weight decay written out",
    ),
    Natural(
        "adamw_step",
        "no_decay",
        ADAMW + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n",
        "Adam pasted, decay forgotten",
    ),
    Natural(
        "adamw_step",
        "no_bias_correction",
        ADAMW + "    theta = theta * (1 - lr * weight_decay)\n"
        "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    return theta - lr * m / (np.sqrt(v) + eps), m, v\n",
    ),
    # --- ex06: amsgrad_step --------------------------------------------------------------------------------
    Natural(
        "amsgrad_step",
        "max_after_bias_correction",
        AMS + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n    v_max = np.maximum(v_max, v_hat)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_max) + eps), m, v, v_max\n",
    ),
    Natural(
        "amsgrad_step",
        "max_not_used",
        AMS + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    v_max = np.maximum(v_max, v)\n    m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v, v_max\n",
    ),
    Natural(
        "amsgrad_step",
        "v_max_not_corrected",
        AMS + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    v_max = np.maximum(v_max, v)\n"
        "    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v_max) + eps), m, v, v_max\n",
    ),
    Natural(
        "amsgrad_step",
        "unknown",
        AMS + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    v_max = np.maximum(v_max, grad**2)\n    m_hat = m / (1 - beta1**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_max / (1 - beta2**t)) + eps), m, v, v_max\n",
        "the maximum of raw g², not of v",
    ),
    Natural(
        "amsgrad_step",
        "swapped_outputs:v,v_max",
        AMS + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    v_max = np.maximum(v_max, v)\n    m_hat = m / (1 - beta1**t)\n    v_hat = v_max / (1 - beta2**t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v_max, v\n",
        "returns (θ, m, v_max, v)",
    ),
    Natural(
        "amsgrad_step",
        "no_bias_correction",
        AMS + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        "    v_max = np.maximum(v_max, v)\n    return theta - lr * m / (np.sqrt(v_max) + eps), m, v, v_max\n",
        "Reddi et al.'s Algorithm 2",
    ),
    # --- ex02: step_decay_lr -------------------------------------------------------------------------------
    Natural("step_decay_lr", "smooth", STEPLR + "    return lr * gamma ** (step / step_size)\n"),
    Natural("step_decay_lr", "early", STEPLR + "    return lr * gamma ** ((step + 1) // step_size)\n"),
    Natural("step_decay_lr", "unknown", STEPLR + "    return lr * 0.1 ** (step // step_size)\n", "γ written out"),
    # --- ex08: lion_step -----------------------------------------------------------------------------------
    Natural(
        "lion_step",
        "swapped_betas",
        LION + "    c = beta2 * m + (1 - beta2) * grad\n    m = beta1 * m + (1 - beta1) * grad\n"
        "    theta = theta - lr * (np.sign(c) + weight_decay * theta)\n    return theta, m\n",
        "β₂ for the direction, β₁ for the memory",
    ),
    Natural(
        "lion_step",
        "m_updated_before_sign",
        LION + "    m = beta2 * m + (1 - beta2) * grad\n    update = np.sign(beta1 * m + (1 - beta1) * grad)\n"
        "    theta = theta - lr * (update + weight_decay * theta)\n    return theta, m\n",
        "updates m first, as in Adam",
    ),
    Natural(
        "lion_step",
        "decay_without_lr",
        LION + "    update = np.sign(beta1 * m + (1 - beta1) * grad)\n"
        "    theta = theta - lr * update - weight_decay * theta\n"
        "    m = beta2 * m + (1 - beta2) * grad\n    return theta, m\n",
        "decay written outside the brackets",
    ),
    Natural(
        "lion_step",
        "m_from_interpolation",
        LION + "    m = beta1 * m + (1 - beta1) * grad\n    theta = theta - lr * (np.sign(m) + weight_decay * theta)\n"
        "    m = beta2 * m + (1 - beta2) * grad\n    return theta, m\n",
        "one variable m for the interpolation and the memory",
    ),
    Natural(
        "lion_step",
        "decay_after_step",
        LION + "    update = np.sign(beta1 * m + (1 - beta1) * grad)\n    theta = theta - lr * update\n"
        "    theta = theta - lr * weight_decay * theta\n    m = beta2 * m + (1 - beta2) * grad\n    return theta, m\n",
        "decays the already updated θ",
    ),
    Natural(
        "lion_step",
        "signum",
        LION + "    m = beta1 * m + (1 - beta1) * grad\n"
        "    return theta - lr * (np.sign(m) + weight_decay * theta), m\n",
        "Signum with decay: one average",
    ),
    Natural(
        "lion_step",
        "in_place",
        LION + "    update = np.sign(beta1 * m + (1 - beta1) * grad)\n    m *= beta2\n    m += (1 - beta2) * grad\n"
        "    return theta - lr * (update + weight_decay * theta), m\n",
        "updates m in place",
    ),
    Natural(
        "lion_step",
        "ignores_hyperparameter",
        LION + "    update = np.sign(beta1 * m + (1 - beta1) * grad)\n"
        "    theta = theta - lr * (update + weight_decay * theta)\n    m = 0.99 * m + 0.01 * grad\n"
        "    return theta, m\n",
        "the paper's β₂ = 0.99 written out",
    ),
    Natural(
        "lion_step",
        "unknown",
        LION + "    c = beta1 * m + (1 - beta1) * grad\n    update = c / (np.abs(c) + 1e-8)  # avoid dividing by zero\n"
        "    theta = theta - lr * (update + weight_decay * theta)\n    m = beta2 * m + (1 - beta2) * grad\n"
        "    return theta, m\n",
        "the sign as c/(|c| + ε), an Adam habit: wrong where gradients are tiny",
    ),
    Natural(
        "lion_step",
        "swapped_outputs:theta,m",
        LION + "    update = np.sign(beta1 * m + (1 - beta1) * grad)\n    m = beta2 * m + (1 - beta2) * grad\n"
        "    return m, theta - lr * (update + weight_decay * theta)\n",
        "returns (m, θ)",
    ),
)
