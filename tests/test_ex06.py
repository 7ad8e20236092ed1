"""Exercise 6 (AdamW, AMSGrad, the counterexample): the nbgrader source notebook is well formed, its solutions
pass every check, blank stubs fail with a clear message, and the grader knows every test cell."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

from adamlab.grading.registry import TESTS

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "ex06_variants" / "ex06_variants.ipynb"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

# grade_id -> (function, suite) of every autograded test cell; the last two are probes of adamlab.counterexample.
EXPECTED = {
    "test_adamw_first_step": ("adamw_step", "first_step"),
    "test_adamw_trajectory": ("adamw_step", "trajectory"),
    "test_adamw_pure": ("adamw_step", "pure"),
    "test_adamw_defaults_hidden": ("adamw_step", "default"),
    "test_adamw_settings_hidden": ("adamw_step", "settings"),
    "test_amsgrad_first_step": ("amsgrad_step", "first_step"),
    "test_amsgrad_trajectory": ("amsgrad_step", "trajectory"),
    "test_amsgrad_pure": ("amsgrad_step", "pure"),
    "test_amsgrad_defaults_hidden": ("amsgrad_step", "default"),
    "test_amsgrad_settings_hidden": ("amsgrad_step", "settings"),
    "test_reddi_counterexample": ("reddi_path", "probe:reddi_path:counterexample"),
    "test_reddi_counterexample_hidden": ("reddi_path", "probe:reddi_path:counterexample_random"),
}


def cells():
    return nbformat.read(SOURCE, as_version=4).cells


def marked():
    return [(c, c.metadata["nbgrader"]) for c in cells() if "nbgrader" in c.metadata]


def test_source_notebook_is_well_formed():
    ids = [meta["grade_id"] for _, meta in marked()]
    assert len(ids) == len(set(ids))
    tests = {}
    for (_, prev), (cell, meta) in zip(marked(), marked()[1:]):
        if meta["grade"] and not meta["solution"]:  # nbgrader 0.9.6 re-inserts a deleted test cell after these
            assert prev["grade"] or prev["solution"], meta["grade_id"]
    for cell, meta in marked():
        assert meta["grade"] or meta["solution"], f"{meta['grade_id']} is a plain locked cell"
        if meta["grade"] and not meta["solution"]:
            tests[meta["grade_id"]] = cell.source
            assert ("### BEGIN HIDDEN TESTS" in cell.source) == meta["grade_id"].endswith("_hidden")
            assert meta["points"] > 0
    assert set(tests) == set(EXPECTED)
    for gid, (function, suite) in EXPECTED.items():
        if suite.startswith("probe:"):
            kind = "visible" if suite.endswith(":counterexample") else "random"
            assert f'check_reddi({function}, "{kind}")' in tests[gid], gid
        else:
            assert f'check("{function}", {function}, "{suite}")' in tests[gid], gid
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


@pytest.mark.xfail(condition="ex06_variants" not in TESTS, reason="registry entries for ex06 not added yet", strict=True)
def test_the_grader_knows_every_test_cell():
    """adamlab.grading.verify refuses a notebook with an autograded test cell that TESTS does not map."""
    assert TESTS["ex06_variants"] == EXPECTED
