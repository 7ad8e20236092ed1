"""Sample ``ex05_adam`` submissions: the solution's ``adam_step`` cell, and that cell with one classic mistake.

``make bench`` grades a class built from them, and the instructor-flow tests check the score and the
diagnosis each one gets. They are made from the source notebook itself (``solutions/ex05_adam``), so
there is one correct ``adam_step`` in the repository, not a copy per user; a mistake whose text no
longer matches the solution raises at once instead of silently producing a correct submission.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ASSIGNMENT = "ex05_adam"
GRADE_ID = "adam_step"

# name -> ((old, new), ...): text replacements in the solution's adam_step, applied in order.
MISTAKES: dict[str, tuple[tuple[str, str], ...]] = {
    "no_bias_correction": (("m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)", "m_hat, v_hat = m, v"),),
    "eps_inside_sqrt": (("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)"),),
    "t_off_by_one": (("beta1**t)\n    v_hat = v / (1 - beta2**t)",
                      "beta1**(t + 1))\n    v_hat = v / (1 - beta2**(t + 1))"),),
    "missing_one_minus_beta": (("(1 - beta1) * grad", "grad"), ("(1 - beta2) * grad**2", "grad**2")),
    "abs_instead_of_square": (("grad**2", "np.abs(grad)"),),
    "lr_twice": (("theta - lr * m_hat", "theta - lr * lr * m_hat"),),
    "first_step_only": (("beta1**t)\n    v_hat = v / (1 - beta2**t)", "beta1)\n    v_hat = v / (1 - beta2)"),),
    "float32": (("return theta, m, v", "return theta.astype(np.float32), m, v"),),
}

# name -> body under the solution's signature line: mistakes that rewrite the whole function.
REWRITES: dict[str, str] = {
    "modifies_inputs": """\
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v
""",
    "returns_input_unchanged": "    return theta.copy(), m.copy(), v.copy()\n",
}


def solution_code(root: Path | str, assignment: str = ASSIGNMENT, grade_id: str = GRADE_ID) -> str:
    """The code of solution cell ``grade_id`` of ``solutions/<assignment>``, without nbgrader's markers."""
    path = Path(root) / "solutions" / assignment / f"{assignment}.ipynb"
    cells = [c for c in nbformat.read(path, as_version=4).cells
             if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    if len(cells) != 1:
        raise LookupError(f"{path}: expected one cell with grade_id {grade_id!r}, found {len(cells)}")
    lines = [line for line in cells[0].source.splitlines()
             if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(lines) + "\n"


def signature(code: str) -> str:
    """The ``def`` line of ``code``."""
    return next(line for line in code.splitlines() if line.startswith("def ")) + "\n"


def with_mistake(correct: str, name: str) -> str:
    """``correct`` (the solution's ``adam_step``) with mistake ``name`` of :data:`MISTAKES` or :data:`REWRITES`."""
    if name in REWRITES:
        return signature(correct) + REWRITES[name]
    return replaced(correct, MISTAKES[name], name)


def replaced(code: str, replacements, name: str) -> str:
    """``code`` with each ``(old, new)`` of ``replacements`` applied in order; an ``old`` that is missing is an error."""
    for old, new in replacements:
        if old not in code:
            raise ValueError(f"mistake {name!r}: {old!r} is not in the solution any more")
        code = code.replace(old, new)
    return code


def adam_step_cells(root: Path | str) -> dict[str, str]:
    """``{"correct": solution, <mistake>: solution with that mistake, ...}`` for every known mistake."""
    correct = solution_code(root)
    return {"correct": correct, **{name: with_mistake(correct, name) for name in (*MISTAKES, *REWRITES)}}
