"""Every nbgrader source notebook agrees with its exercise module, and runs.

The grader confirms each autograded test cell by running the probe that the exercise's ``tests`` names
for its ``grade_id``; a test cell the table does not know, or one whose code checks something else,
would be scored on the kernel's word alone (verify refuses it) or confirmed against the wrong check.
Then each notebook is executed as a kernel would: the solutions pass every check, blank stubs fail
every check with a clear message. Every exercise of the registry is covered: a new one needs no
change here.
"""

from __future__ import annotations

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from adamlab.grading.engine import steps
from adamlab.grading.engine.steps import SUITES
from adamlab.grading.exercises import EXERCISES
from conftest import source_notebook

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
# An exercise that needs a longer sandbox trains networks: running its notebook is a slow test.
PARAMS = [pytest.param(e, id=e.name, marks=[pytest.mark.slow] if e.sandbox_timeout else []) for e in EXERCISES]


def marked_cells(assignment: str):
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    return [(cell, cell.metadata["nbgrader"]) for cell in nb.cells if "nbgrader" in cell.metadata]


def graded_cells(assignment: str):
    return [(cell, meta) for cell, meta in marked_cells(assignment) if meta.get("grade")]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_only_graded_and_solution_cells_carry_nbgrader_metadata(exercise):
    """nbgrader 0.9.6 (``add_missing_cells``) re-inserts a deleted test cell after the previous *marked* cell:
    a plain locked cell there would let a student's deletion put it back in the wrong place."""
    marked = marked_cells(exercise.name)
    for _, meta in marked:
        assert meta.get("grade") or meta.get("solution"), f"{meta['grade_id']} is a plain locked cell"
    for (_, previous), (_, meta) in zip(marked, marked[1:], strict=False):
        if meta.get("grade") and not meta.get("solution"):
            assert previous.get("grade") or previous.get("solution"), meta["grade_id"]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_autograded_cells_are_exactly_the_table_and_call_its_check(exercise):
    ids = [meta["grade_id"] for _, meta in graded_cells(exercise.name)]
    assert len(ids) == len(set(ids)), "duplicate grade_id"
    autograded = set()
    for cell, meta in graded_cells(exercise.name):
        gid = meta["grade_id"]
        assert meta.get("points", 0) > 0, gid
        if meta.get("solution"):
            assert cell.cell_type == "markdown", f"{gid}: a graded solution cell is a written answer"
            continue
        autograded.add(gid)
        assert gid in exercise.tests, f"{exercise.name}: test cell {gid} is not in its exercise module's tests"
        p = exercise.probe(exercise.tests[gid])
        function, suite = p.name.split(":", 1)
        calls = [f'check_probe("{p.name}", {p.function})']
        if suite in SUITES:
            calls.append(f'check("{function}", {p.function}, "{suite}")')
        assert any(call in cell.source for call in calls), (gid, calls)
        assert ("### BEGIN HIDDEN TESTS" in cell.source) == gid.endswith("_hidden"), gid
        assert p.visible != gid.endswith("_hidden") or p.suite in steps.FIXED_SUITES, (
            f"{gid}: a hidden cell runs a visible probe, or the other way round"
        )
    assert autograded == set(exercise.tests), f"not in the notebook: {sorted(set(exercise.tests) - autograded)}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_notebook_asks_for_a_prediction(exercise):
    nb = nbformat.read(source_notebook(exercise.name), as_version=4)
    assert any("Predict, then run" in c.source for c in nb.cells if c.cell_type == "markdown")


def run_notebook(assignment: str, stub_solutions: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Execute the code cells in one namespace, as a kernel would; returns (output, error) per grade_id."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    outputs, errors = {}, {}
    for i, cell in enumerate(nbformat.read(source_notebook(assignment), as_version=4).cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        key = meta.get("grade_id", cell.get("id", f"cell {i}"))
        source = cell.source
        if stub_solutions and meta.get("solution"):
            source = re.sub(
                r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                lambda m: "\n".join(m.group(1) + line for line in STUB.splitlines()),
                source,
                flags=re.S,
            )
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                exec(compile(source, f"<cell {i}>", "exec"), namespace)
        except Exception as exc:  # a notebook run with errors allowed: every failure is recorded
            errors[key] = f"{type(exc).__name__}: {exc}"
        outputs[key] = buffer.getvalue()
        plt.close("all")
    return outputs, errors


@pytest.mark.parametrize("exercise", PARAMS)
def test_the_solutions_pass_every_check_without_a_diagnosis(exercise):
    """Hidden tests included. Passing checks never pay for a diagnosis: no catalogued mistake is rolled out
    (what keeps a student's run of the notebook fast)."""
    steps._CACHE.clear()
    with np.errstate(all="raise"):
        outputs, errors = run_notebook(exercise.name, stub_solutions=False)
    assert not errors, errors
    for gid in exercise.tests:
        assert "— correct." in outputs[gid], (gid, outputs[gid])
    assert not [key for key in steps._CACHE if key[1] == "mistake"]


@pytest.mark.parametrize("exercise", PARAMS)
def test_blank_stubs_fail_every_check_with_a_clear_message(exercise):
    """Every check fails saying what is not implemented (or, for an object the notebook builds with the
    student's code, like ex07's trained model, that it was never built)."""
    _, errors = run_notebook(exercise.name, stub_solutions=True)
    for gid, name in exercise.tests.items():
        never_built = f"NameError: name '{exercise.probe(name).function}' is not defined"
        assert gid in errors, gid
        assert "not implemented" in errors[gid] or errors[gid].startswith(("NotImplementedError", never_built)), (
            gid,
            errors[gid],
        )
