"""Sample submissions: a solution cell of the source notebook, and that cell with one classic mistake each.

The sample exercise is the registry's one exercise that declares ``samples`` (Adam's ``adam_step``).
``make bench`` grades a class built from them, and the instructor-flow tests check the score and the
diagnosis each one gets. They are made from the source notebook itself (``solutions/``), so there is one
correct solution in the repository, not a copy per user; a mistake whose text no longer matches the
solution raises at once instead of silently producing a correct submission.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from ..engine.probes import Exercise
from ..exercises import EXERCISES


def sample_exercise() -> Exercise:
    """The exercise the sample class is made of: the one in the registry that declares ``samples``."""
    found = [e for e in EXERCISES if e.samples is not None]
    if len(found) != 1:
        raise LookupError(f"exactly one exercise must declare samples; these do: {[e.name for e in found]}")
    return found[0]


SAMPLE = sample_exercise()
ASSIGNMENT = SAMPLE.name
GRADE_ID = SAMPLE.samples.cell
MISTAKES = SAMPLE.samples.edits
REWRITES = SAMPLE.samples.rewrites


def solution_code(root: Path | str, assignment: str = ASSIGNMENT, grade_id: str = GRADE_ID) -> str:
    """The code of solution cell ``grade_id`` of ``solutions/<assignment>``, without nbgrader's markers."""
    path = Path(root) / "solutions" / assignment / f"{assignment}.ipynb"
    cells = [
        c
        for c in nbformat.read(path, as_version=4).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
    ]
    if len(cells) != 1:
        raise LookupError(f"{path}: expected one cell with grade_id {grade_id!r}, found {len(cells)}")
    lines = [
        line for line in cells[0].source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    ]
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
    """``code`` with each ``(old, new)`` of ``replacements`` applied in order; a missing ``old`` is an error."""
    for old, new in replacements:
        if old not in code:
            raise ValueError(f"mistake {name!r}: {old!r} is not in the solution any more")
        code = code.replace(old, new)
    return code


def adam_step_cells(root: Path | str) -> dict[str, str]:
    """``{"correct": solution, <mistake>: solution with that mistake, ...}`` for every known mistake."""
    correct = solution_code(root)
    return {"correct": correct, **{name: with_mistake(correct, name) for name in (*MISTAKES, *REWRITES)}}
