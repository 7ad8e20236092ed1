"""``make bench`` (adamlab.bench): the graded class it builds and the tables it writes. The timings themselves
are not tested (a shared machine makes them vary); ``make bench`` runs them."""

from __future__ import annotations

import csv
import shutil

import nbformat
import pytest

import bench
from adamlab.grading.confirm.samples import adam_step_cells, with_mistake
from conftest import REPO


def test_class_mixes_solution_release_and_wrong_cells(tmp_path):
    for folder in ("solutions", "exercises"):
        shutil.copytree(REPO / folder / bench.ASSIGNMENT, tmp_path / folder / bench.ASSIGNMENT)
    students = bench.make_class(tmp_path, 30)
    assert len(students) == 30 and set(students.values()) == set(bench.KINDS)
    release = (REPO / "exercises" / bench.ASSIGNMENT / f"{bench.ASSIGNMENT}.ipynb").read_text()
    cells = adam_step_cells(REPO)
    for student, kind in students.items():
        path = tmp_path / "_grading" / "submitted" / student / bench.ASSIGNMENT / f"{bench.ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        if kind == "blank":
            assert path.read_text() == release
        elif kind != "solution":
            assert cells[kind] in [c.source for c in nb.cells]


def test_sample_cells_are_the_solution_and_each_differs_from_it():
    cells = adam_step_cells(REPO)
    correct = cells.pop("correct")
    assert "### BEGIN SOLUTION" not in correct and correct.startswith("def adam_step(")
    assert all(code != correct and code.startswith("def adam_step(") for code in cells.values())
    assert len(set(cells.values())) == len(cells)


def test_a_mistake_that_no_longer_applies_is_an_error_not_a_correct_submission():
    with pytest.raises(ValueError, match="not in the solution"):
        with_mistake("def adam_step(theta, grad, m, v, t):\n    return theta, m, v\n", "eps_inside_sqrt")


def test_writes_markdown_csv_and_json_with_budgets(tmp_path):
    report = bench.Report(machine={"cpu": "test"}, args={"argv": ["--quick"], "runs": 3, "only": ["book"]})
    report.results += [
        bench.Result("book", "cold build", "s", [100.0, 200.0, 150.0], "<= 180", limit=180),
        bench.Result("grading", "per minute", "1/min", [20.0], ">= 30", limit=30.0, higher_is_better=True),
    ]
    report.tables["chapters"] = [{"notebook": "book/adam.md", "seconds": 3.0, "runs": [3.0]}]
    bench.write(report, tmp_path)
    md = (tmp_path / "bench.md").read_text()
    assert "| book | cold build | 150 | s | 100, 200, 150 | <= 180 | yes |" in md
    assert "| grading | per minute | 20 | 1/min | 20 | >= 30 | NO |" in md
    rows = list(csv.DictReader(open(tmp_path / "bench.csv")))
    assert {"section": "book", "item": "cold build", "median": "150", "within_budget": "yes"}.items() <= next(
        r for r in rows if r["item"] == "cold build"
    ).items()
    assert (tmp_path / "bench.json").exists()
