"""Exercise 6 (AdamW, AMSGrad, the counterexample): the nbgrader source notebook is well formed, its solutions
pass every check, blank stubs fail with a clear message, and the grader knows every test cell."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import matplotlib
import nbformat

from adamlab.grading.registry import TESTS

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "ex06_variants" / "ex06_variants.ipynb"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

EXPECTED = TESTS["ex06_variants"]  # grade_id -> (function, suite); tests/test_source_notebooks.py checks it


def cells():
    return nbformat.read(SOURCE, as_version=4).cells


def marked():
    return [(c, c.metadata["nbgrader"]) for c in cells() if "nbgrader" in c.metadata]


def test_source_notebook_has_one_written_answer_and_a_prediction():
    """(Its test cells agree with registry.TESTS: tests/test_source_notebooks.py, for every assignment.)"""
    manual = [(c, m) for c, m in marked() if m["grade"] and m["solution"]]
    assert len(manual) == 1 and manual[0][0].cell_type == "markdown" and manual[0][1]["points"] == 2
    assert any("Predict, then run" in c.source for c in cells() if c.cell_type == "markdown")


def run_notebook(stub_solutions: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Execute the code cells in one namespace, as a kernel would; returns (output, error) per grade_id."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    outputs, errors = {}, {}
    for i, cell in enumerate(cells()):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        source = cell.source
        if stub_solutions and meta.get("solution"):
            source = re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                            lambda m: "\n".join(m.group(1) + line for line in STUB.splitlines()), source, flags=re.S)
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                exec(compile(source, f"<cell {i}>", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 (a notebook run with errors allowed)
            errors[meta.get("grade_id", cell.get("id", f"cell {i}"))] = f"{type(exc).__name__}: {exc}"
        outputs[meta.get("grade_id", cell.get("id", f"cell {i}"))] = buffer.getvalue()
        plt.close("all")
    return outputs, errors


def test_the_solutions_pass_every_check():
    outputs, errors = run_notebook(stub_solutions=False)
    assert not errors, errors
    for gid in EXPECTED:
        assert "✓" in outputs[gid], (gid, outputs[gid])
    assert "Adam     ends at x = +1.0000" in outputs["reddi-plot"]


def test_blank_stubs_fail_every_check_with_a_clear_message():
    _, errors = run_notebook(stub_solutions=True)
    for gid in EXPECTED:
        assert gid in errors and ("not implemented" in errors[gid] or errors[gid].startswith("NotImplementedError")), \
            (gid, errors.get(gid))
