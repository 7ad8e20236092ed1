"""A small class graded by nbgrader with the repository's nbgrader_config.py: the feedback shows no hidden test,
late work costs what nbgrader's plugin says, copies are flagged, and the report and exports tell the story.

The assignment is a tiny one written here (not one of the book's), so that this test exercises the
configuration and the course tools alone: autograde → generate_feedback → report, exports, late, similarity.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from adamlab.grading.course import late, similarity
from adamlab.grading.course.exports import export_canvas
from adamlab.grading.course.feedback import HIDDEN_NOTE, WITHHELD
from adamlab.grading.course.report import write_reports
from conftest import BIN, REPO

pytestmark = pytest.mark.slow
A = "ex90_smooth"
SECRET = "SECRET_CASE_7f3a"  # appears only inside the hidden test
HIDDEN_MESSAGE = "smooth is wrong on a hidden case"

PUBLIC = '''def smooth(values, alpha):
    """Exponential moving average: the first value, then alpha * previous + (1 - alpha) * value."""
    ### BEGIN SOLUTION
    out, avg = [], None
    for x in values:
        avg = x if avg is None else alpha * avg + (1 - alpha) * x
        out.append(avg)
    return out
    ### END SOLUTION'''
HEADER = PUBLIC.split("    ### BEGIN")[0]
ALICE = (
    HEADER
    + """    averaged = []
    for i, x in enumerate(values):
        if i == 0:
            averaged.append(x)
        else:
            averaged.append(alpha * averaged[i - 1] + (1 - alpha) * x)
    return averaged"""
)
BOB = (
    HEADER
    + """    res = []  # my own work
    for k, val in enumerate(values):
        if k == 0:
            res.append(val)
        else:
            res.append(alpha * res[k - 1] + (1 - alpha) * val)
    return res"""
)
CAROL = (
    HEADER
    + """    out, n = [], 0
    while n < len(values):
        out.append(values[n] if n == 0 else (1 - alpha) * out[-1] + alpha * values[n])  # alpha swapped
        n += 1
    return out"""
)
DAVE = (
    HEADER
    + """    result, prev = [], None
    for v in values:
        prev = v if prev is None else alpha * prev + (1 - alpha) * v
        result.append(prev)
    return result"""
)
ERIN = (
    HEADER
    + """    if not values:
        return []
    result = [values[0]]
    for v in values[1:]:
        result.append(alpha * result[-1] + (1 - alpha) * v)
    return result"""
)
# Dave also prints every cell's source as it runs: the hidden test would reach his feedback through its output.
HOOK = 'get_ipython().events.register("pre_run_cell", lambda info: print(info.raw_cell))'

VISIBLE = 'assert smooth([1.0, 1.0], 0.5) == [1.0, 1.0], "a constant input must stay constant"'
HIDDEN = f"""# Hidden test: one more case.
### BEGIN HIDDEN TESTS
{SECRET} = [4.0, 0.0, 2.0]
assert smooth({SECRET}, 0.25) == [4.0, 1.0, 1.75], "{HIDDEN_MESSAGE}"
### END HIDDEN TESTS"""

DUE = "2026-03-02 23:00:00 UTC"
CLASS = {  # student: (solution, timestamp, expected confirmed score, expected penalty)
    "alice": (ALICE, "2026-03-02 20:00:00 UTC", 3.0, 0.0),
    "bob": (BOB, "2026-03-03 02:00:00 UTC", 3.0, 1.5),  # 3 h late: 15 min grace, 3 started hours × 0.5
    "carol": (CAROL, "2026-03-02 21:00:00 UTC", 1.0, 0.0),
    "dave": (DAVE, "2026-03-02 22:00:00 UTC", 3.0, 0.0),
    "erin": (ERIN, "2026-03-04 12:00:00 UTC", 3.0, 0.0),  # late, but granted 48 hours
}


def nbgrader_meta(grade_id, *, solution=False, grade=False, points=0):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
            "schema_version": 3}  # fmt: skip
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    return new_notebook(
        cells=[
            new_markdown_cell("# Smoothing\nWrite `smooth`."),
            new_code_cell(PUBLIC, metadata=nbgrader_meta("smooth", solution=True)),
            new_code_cell(VISIBLE, metadata=nbgrader_meta("test_smooth_constant", grade=True, points=1)),
            new_code_cell(HIDDEN, metadata=nbgrader_meta("test_smooth_hidden", grade=True, points=2)),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "nbgrader"), *args, "--log-level=WARN"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    assert result.returncode == 0, f"nbgrader {args} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, released, submitted, autograded and given feedback by nbgrader."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "solutions" / A).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "solutions" / A / f"{A}.ipynb")
    (root / "_grading").mkdir()
    nbgrader(root, "generate_assignment", A, "--force")
    (root / "_grading" / "due_dates.csv").write_text(f"assignment,due\n{A},{DUE}\n")
    (root / "_grading" / "extensions.csv").write_text(f"student,assignment,due,hours\nerin,{A},,48\n")
    release = nbformat.read(root / "exercises" / A / f"{A}.ipynb", as_version=4)
    assert SECRET not in json.dumps(release)
    for student, (code, stamp, _, _) in CLASS.items():
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        nb.cells[1].source = code
        if student == "dave":
            nb.cells.insert(2, new_code_cell(HOOK))
        folder = root / "_grading" / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")
        (folder / "timestamp.txt").write_text(stamp)
    from nbgrader.api import Gradebook

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # the gradebook runs alembic
        db = f"sqlite:///{root / '_grading' / 'gradebook.db'}"
        with Gradebook(db) as gb:
            late.sync_gradebook(gb, root)  # due date and extension, before autograde as a pipeline would
        nbgrader(root, "autograde", A, "--force")
        nbgrader(root, "generate_feedback", A, "--force")
        yield root, db


def feedback(root: Path, student: str) -> str:
    return (root / "_grading" / "feedback" / student / A / f"{A}.html").read_text()


def records(root: Path, db: str) -> list[dict]:
    """What the grading pipeline hands to the report: one record per submission, here from nbgrader's grades."""
    from nbgrader.api import Gradebook

    out = []
    with Gradebook(db) as gb:
        for student in CLASS:
            cells = []
            for gid in ("test_smooth_constant", "test_smooth_hidden"):
                grade = gb.find_grade(gid, A, A, student)
                cells.append({"grade_id": gid, "points": grade.max_score, "passed": grade.score == grade.max_score,
                              "message": "", "mistake": "alpha_swapped" if student == "carol" else None})  # fmt: skip
            score = sum(c["points"] for c in cells if c["passed"])
            penalty, note = late.late_penalty(root, student, A, score)
            late.record_penalty(gb, student, A, penalty)
            out.append({
                "student": student, "assignment": A, "confirmed_score": score, "max_score": 3.0,
                "kernel_score": score, "autograde_ok": True, "problems": [], "overridden_cells": [],
                "failed_cells": {c["grade_id"]: c["message"] for c in cells if not c["passed"]}, "cells": cells,
                "late_penalty": penalty, "late_note": note, "seconds": 1.0,
            })  # fmt: skip
    return out


def test_nbgrader_alone_would_show_the_hidden_test(graded):
    """The autograded notebook, which feedback is made from, holds the hidden test (restored by autograde)."""
    root, _ = graded
    autograded = (root / "_grading" / "autograded" / "carol" / A / f"{A}.ipynb").read_text()
    assert SECRET in autograded and "BEGIN HIDDEN TESTS" in autograded


def test_feedback_never_shows_hidden_test_source(graded):
    root, _ = graded
    for student in CLASS:
        page = feedback(root, student)
        assert SECRET not in page and "BEGIN HIDDEN TESTS" not in page, student
        assert HIDDEN_NOTE.lstrip("# ") in page and "a constant input must stay constant" in page
    # Carol failed the hidden test: she reads its message, not its code (no traceback frames).
    assert HIDDEN_MESSAGE in feedback(root, "carol")
    # Dave's hook printed every cell's source: the outputs quoting the hidden test are withheld.
    assert WITHHELD in feedback(root, "dave")


def test_scores_and_late_penalties(graded):
    from nbgrader.api import Gradebook

    root, db = graded
    with Gradebook(db) as gb:  # what nbgrader's autograde charged, with the plugin of nbgrader_config.py
        charged = {s: gb.find_submission(A, s).late_submission_penalty or 0.0 for s in CLASS}
        assert gb.find_submission(A, "erin").total_seconds_late == 0
    recs = {r["student"]: r for r in records(root, db)}
    for student, (_, _, score, penalty) in CLASS.items():
        assert (recs[student]["confirmed_score"], recs[student]["late_penalty"]) == (score, penalty), student
        assert charged[student] == penalty, student
    assert "3.0 h after the due date" in recs["bob"]["late_note"]
    assert "extended from" in recs["erin"]["late_note"]


def test_similarity_flags_the_copy_and_the_public_solution(graded):
    root, _ = graded
    flags = similarity.scan(root, [(s, A) for s in CLASS])
    assert sorted((f["kind"], tuple(f["students"])) for f in flags) == [("pair", ("alice", "bob")),
                                                                         ("public", ("dave",))]  # fmt: skip


def test_report_and_exports_of_the_class(graded):
    root, db = graded
    recs = records(root, db)
    flags = similarity.scan(root, [(s, A) for s in CLASS])
    md_path, html_path = write_reports(
        root / "_grading", recs, {"similarity": flags, "similarity_threshold": 0.95,
                                  "mistake_titles": {A: {"alpha_swapped": "alpha and 1 − alpha swapped"}}},
    )  # fmt: skip
    md, page = md_path.read_text(), html_path.read_text()
    assert "| test_smooth_hidden | 2 | 4/5 | 80% | alpha and 1 − alpha swapped (1) |" in md
    assert "1. alpha and 1 − alpha swapped: 1 student(s)" in md
    assert "### bob / ex90_smooth" in md and "late: 1.5 point(s) off" in md
    assert "| ex90_smooth | alice & bob | " in md and "dave ↔ public solution" in md
    assert "erin / " not in md  # an extension is not a flag
    assert page.count("<svg") == 1 and "<script" not in page and "http" not in page.split("<svg")[0]

    nbgrader(root, "export", f"--to={root / '_grading' / 'grades.csv'}")  # nbgrader's own CSV, unchanged
    with open(root / "_grading" / "grades.csv", newline="") as f:
        bob = next(r for r in csv.DictReader(f) if r["student_id"] == "bob")
    assert (float(bob["raw_score"]), float(bob["late_submission_penalty"]), float(bob["score"])) == (3, 1.5, 1.5)
    from nbgrader.api import Gradebook

    with Gradebook(db) as gb:
        export_canvas(gb, root / "_grading" / "canvas.csv", root=root)  # the configured roster does not exist
    with open(root / "_grading" / "canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == A and rows[1][-1] == "3"
    assert {r[3]: r[-1] for r in rows[2:]} == {"alice": "3", "bob": "1.5", "carol": "1", "dave": "3", "erin": "3"}
