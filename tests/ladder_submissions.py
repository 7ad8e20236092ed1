"""Wrong solutions for ex01–ex04 and ex06, as students write them, for the instructor-flow tests.

Each entry replaces one solution cell of the (correct) source notebook; the test cells of
that function must lose points, and the grading report must name the catalogued mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import nbformat

from adamlab.grading.sample_submissions import replaced, solution_code

ROOT = Path(__file__).resolve().parents[1]
# Lines of ex06's solution cells that the AdamW and AMSGrad mistakes change.
DECAY = "    theta = theta * (1 - lr * weight_decay)  # decoupled: outside m and v\n"
ADAMW_RETURN = "return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v"
MAX_OF_RAW_V = "    v_max = np.maximum(v_max, v)  # over the raw v, before bias correction\n"


class CellSubmission(NamedTuple):
    assignment: str
    student: str
    cell: str  # grade_id of the solution cell replaced
    source: str
    mistake: str  # key of the catalogued mistake it must be diagnosed as ("" for structural errors)
    words: str = ""  # or words the report must contain


LADDER_WRONG = [
    # ex01: gd_step and max_stable_lr
    CellSubmission("ex01_gradient_descent", "gd_ascent", "gd_step",
                   "def gd_step(theta, grad, lr):\n    return theta + lr * grad\n", "ascent"),
    CellSubmission("ex01_gradient_descent", "gd_lr_squared", "gd_step",
                   "def gd_step(theta, grad, lr):\n    return theta - lr**2 * grad\n", "lr_squared"),
    CellSubmission("ex01_gradient_descent", "gd_no_lr", "gd_step",
                   "def gd_step(theta, grad, lr):\n    return theta - grad\n", "lr_ignored"),
    CellSubmission("ex01_gradient_descent", "gd_in_place", "gd_step",
                   "def gd_step(theta, grad, lr):\n    theta -= lr * grad\n    return theta\n", "",
                   "modified its input `theta` in place"),
    CellSubmission("ex01_gradient_descent", "lr_one_over_lmax", "max_stable_lr",
                   "def max_stable_lr(A):\n    return float(1 / np.linalg.eigvalsh(A)[-1])\n", "one_over_lmax"),
    CellSubmission("ex01_gradient_descent", "lr_trace", "max_stable_lr",
                   "def max_stable_lr(A):\n    return float(2 / np.trace(A))\n", "two_over_trace"),
    # ex02: minibatches and schedules
    CellSubmission("ex02_sgd", "drop_last", "minibatches",
                   "def minibatches(n, batch_size, rng):\n    order = rng.permutation(n)\n"
                   "    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]\n",
                   "drop_last"),
    CellSubmission("ex02_sgd", "not_shuffled", "minibatches",
                   "def minibatches(n, batch_size, rng):\n    order = np.arange(n)\n"
                   "    return [order[i:i + batch_size] for i in range(0, n, batch_size)]\n", "not_shuffled"),
    CellSubmission("ex02_sgd", "decay_every_step", "step_decay_lr",
                   "def step_decay_lr(step, *, lr, step_size, gamma=0.1):\n    return lr * gamma**step\n",
                   "every_step"),
    CellSubmission("ex02_sgd", "cosine_degrees", "cosine_lr",
                   "def cosine_lr(step, *, lr, total_steps, min_lr=0.0):\n"
                   "    progress = min(step, total_steps) / total_steps\n"
                   "    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(180 * progress))\n", "degrees"),
    CellSubmission("ex02_sgd", "cosine_no_clamp", "cosine_lr",
                   "def cosine_lr(step, *, lr, total_steps, min_lr=0.0):\n"
                   "    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * step / total_steps))\n",
                   "no_clamp"),
    # ex03: momentum_step
    CellSubmission("ex03_momentum", "damped", "momentum_step",
                   "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
                   "    buf = np.zeros_like(theta) if buf is None else buf\n"
                   "    buf = momentum * buf + (1 - momentum) * grad\n"
                   "    return theta - lr * (grad + momentum * buf if nesterov else buf), buf\n", "damped"),
    CellSubmission("ex03_momentum", "cs231n_form", "momentum_step",
                   "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
                   "    v_prev = np.zeros_like(theta) if buf is None else buf\n"
                   "    v = momentum * v_prev - lr * grad\n"
                   "    return (theta - momentum * v_prev + (1 + momentum) * v if nesterov else theta + v), v\n",
                   "lr_in_buffer"),
    CellSubmission("ex03_momentum", "nesterov_ignored", "momentum_step",
                   "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
                   "    buf = grad if buf is None else momentum * buf + grad\n"
                   "    return theta - lr * buf, buf\n", "nesterov_ignored"),
    CellSubmission("ex03_momentum", "plain_sgd", "momentum_step",
                   "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
                   "    return theta - lr * grad, grad\n", "no_momentum"),
    CellSubmission("ex03_momentum", "buf_in_place", "momentum_step",
                   "def momentum_step(theta, grad, buf, *, lr, momentum=0.9, nesterov=False):\n"
                   "    if buf is None:\n        buf = grad.copy()\n    else:\n        buf *= momentum\n"
                   "        buf += grad\n"
                   "    return theta - lr * (grad + momentum * buf if nesterov else buf), buf\n", "",
                   "modified its input `buf` in place"),
    # ex04: adagrad_step and rmsprop_step
    CellSubmission("ex04_adaptive", "adagrad_eps_inside", "adagrad_step",
                   "def adagrad_step(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):\n"
                   "    sum_sq = sum_sq + grad**2\n    return theta - lr * grad / np.sqrt(sum_sq + eps), sum_sq\n",
                   "eps_inside_sqrt"),
    CellSubmission("ex04_adaptive", "adagrad_average", "adagrad_step",
                   "def adagrad_step(theta, grad, sum_sq, *, lr=0.01, eps=1e-10):\n"
                   "    sum_sq = 0.99 * sum_sq + 0.01 * grad**2\n"
                   "    return theta - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq\n", "moving_average"),
    CellSubmission("ex04_adaptive", "rmsprop_no_one_minus", "rmsprop_step",
                   "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
                   "    sq_avg = alpha * sq_avg + grad**2\n"
                   "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n", "missing_one_minus_alpha"),
    CellSubmission("ex04_adaptive", "rmsprop_swapped", "rmsprop_step",
                   "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
                   "    sq_avg = (1 - alpha) * sq_avg + alpha * grad**2\n"
                   "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n", "swapped_alpha"),
    CellSubmission("ex04_adaptive", "rmsprop_sum", "rmsprop_step",
                   "def rmsprop_step(theta, grad, sq_avg, *, lr=0.01, alpha=0.99, eps=1e-8):\n"
                   "    sq_avg = sq_avg + grad**2\n"
                   "    return theta - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg\n", "sum_instead_of_average"),
    # ex06: adamw_step and amsgrad_step (ex06's Reddi-path tests call them too), made from the solution's cells
    *(CellSubmission("ex06_variants", student, cell, replaced(solution_code(ROOT, "ex06_variants", cell), edits,
                                                               student), mistake)
      for student, cell, edits, mistake in (
          ("adamw_l2", "adamw_step", ((DECAY, "    grad = grad + weight_decay * theta\n"),), "l2_instead_of_decoupled"),
          ("adamw_decay_without_lr", "adamw_step", (("theta * (1 - lr * weight_decay)", "theta * (1 - weight_decay)"),),
           "decay_without_lr"),
          ("adamw_decay_after_step", "adamw_step", ((DECAY, ""), (ADAMW_RETURN, ADAMW_RETURN.replace(
              "theta - lr * m_hat / (np.sqrt(v_hat) + eps)",
              "(theta - lr * m_hat / (np.sqrt(v_hat) + eps)) * (1 - lr * weight_decay)"))), "decay_after_step"),
          ("adamw_no_decay", "adamw_step", ((DECAY, ""),), "no_decay"),
          ("amsgrad_max_after_correction", "amsgrad_step",
           ((MAX_OF_RAW_V, ""), ("v_max_hat = v_max / (1 - beta2**t)",
                                 "v_hat = v / (1 - beta2**t)\n    v_max = np.maximum(v_max, v_hat)"),
            ("np.sqrt(v_max_hat)", "np.sqrt(v_max)")), "max_after_bias_correction"),
          ("amsgrad_max_unused", "amsgrad_step", (("np.sqrt(v_max_hat)", "np.sqrt(v / (1 - beta2**t))"),),
           "max_not_used"),
      )),
]


def mistake_title(sub: CellSubmission) -> str:
    """The words the report must contain: the catalogued mistake's title, or the structural message."""
    if not sub.mistake:
        return sub.words
    from adamlab.grading import ladder_probes
    from adamlab.grading.registry import CONTRACTS

    if sub.cell in CONTRACTS:
        return next(m.title for m in CONTRACTS[sub.cell].mistakes if m.key == sub.mistake)
    return next(m.title for m in ladder_probes.FUNCTIONS[sub.cell].mistakes if m.key == sub.mistake)


def make_cell_notebook(solution_path: str, sub: CellSubmission) -> str:
    """The source notebook with one solution cell replaced by ``sub``'s code."""
    nb = nbformat.read(solution_path, as_version=4)
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == sub.cell]
    assert len(cells) == 1, f"{sub.assignment} has no solution cell {sub.cell}"
    cells[0].source = sub.source
    return nbformat.writes(nb)
