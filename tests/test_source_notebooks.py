"""Every nbgrader source notebook agrees with the grader's table ``registry.TESTS``.

The grader confirms each autograded test cell by running the check that ``TESTS`` names for its
``grade_id``; a test cell the table does not know, or one whose code checks something else, would be
scored on the kernel's word alone (verify refuses it) or confirmed against the wrong check.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from adamlab import counterexample
from adamlab.grading.probes import probe
from adamlab.grading.registry import CONTRACTS, TESTS
from adamlab.grading.suites import SUITES

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def marked_cells(assignment: str):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return [(cell, cell.metadata["nbgrader"]) for cell in nb.cells if "nbgrader" in cell.metadata]


def graded_cells(assignment: str):
    return [(cell, meta) for cell, meta in marked_cells(assignment) if meta.get("grade")]


def probe_calls(name: str, function: str) -> list[str]:
    """The code that runs probe ``name`` on ``function``: ``check_probe`` itself, or ex06's ``check_reddi``."""
    calls = [f'check_probe("{name}", {function})']
    calls += [f'check_reddi({function}, "{suite}")' for suite, p in counterexample.PROBES.items() if p.name == name]
    return calls


def test_every_assignment_has_a_table_and_every_table_an_assignment():
    assert ASSIGNMENTS and set(ASSIGNMENTS) == set(TESTS)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_only_graded_and_solution_cells_carry_nbgrader_metadata(assignment):
    """nbgrader 0.9.6 (``add_missing_cells``) re-inserts a deleted test cell after the previous *marked* cell:
    a plain locked cell there would let a student's deletion put it back in the wrong place."""
    marked = marked_cells(assignment)
    for cell, meta in marked:
        assert meta.get("grade") or meta.get("solution"), f"{meta['grade_id']} is a plain locked cell"
    for (_, previous), (_, meta) in zip(marked, marked[1:]):
        if meta.get("grade") and not meta.get("solution"):
            assert previous.get("grade") or previous.get("solution"), meta["grade_id"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograded_cells_are_exactly_the_table_and_call_its_check(assignment):
    spec = TESTS[assignment]
    ids = [meta["grade_id"] for _, meta in graded_cells(assignment)]
    assert len(ids) == len(set(ids)), "duplicate grade_id"
    autograded = set()
    for cell, meta in graded_cells(assignment):
        gid = meta["grade_id"]
        assert meta.get("points", 0) > 0, gid
        if meta.get("solution"):
            assert cell.cell_type == "markdown", f"{gid}: a graded solution cell is a written answer"
            continue
        autograded.add(gid)
        assert gid in spec, f"{assignment}: test cell {gid} is not in registry.TESTS"
        function, suite = spec[gid]
        if suite.startswith("probe:"):
            name = suite[len("probe:"):]
            assert probe(name).function == function, gid
            assert any(call in cell.source for call in probe_calls(name, function)), gid
        else:
            assert function in CONTRACTS and suite in SUITES, gid
            assert f'check("{function}", {function}, "{suite}")' in cell.source, gid
        assert ("### BEGIN HIDDEN TESTS" in cell.source) == gid.endswith("_hidden"), gid
    assert autograded == set(spec), f"in TESTS but not in the notebook: {sorted(set(spec) - autograded)}"
