"""The Canvas gradebook CSV, on a real nbgrader gradebook built in a temporary directory."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess

import pytest

from adamlab.grading.course.exports import CanvasExportPlugin, export_canvas
from conftest import BIN, REPO

pytestmark = pytest.mark.slow  # a gradebook: nbgrader shells out to alembic
IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@pytest.fixture(scope="module")
def class_gradebook(tmp_path_factory):
    """Two assignments (hw1: 3 points in two cells, hw2: 2 points); alice (both, one late),
    bob (hw1 only), carol (nothing). Built once (a new gradebook costs an alembic run)."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # nbgrader runs alembic
        _fill(Gradebook(f"sqlite:///{path}"))
    return path


@pytest.fixture
def gradebook(class_gradebook, tmp_path):
    """A copy of the class's gradebook, for one test: ``(db_url, folder)``."""
    shutil.copy(class_gradebook, tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}", tmp_path


def _fill(gradebook) -> None:
    with gradebook as gb:
        for name, cells in [("hw1", {"t1": 1.0, "t2": 2.0}), ("hw2", {"t1": 2.0})]:
            gb.add_assignment(name, duedate="2026-03-02 23:00:00 UTC")
            gb.add_notebook(name, name)
            for gid, points in cells.items():
                gb.add_grade_cell(gid, name, name, max_score=points, cell_type="code")
                gb.add_source_cell(gid, name, name, cell_type="code", locked=True, source="check()")
        gb.add_student("alice", first_name="Alice", last_name="Archer", lms_user_id="1001")
        gb.add_student("bob")
        gb.add_student("carol", first_name="Carol", last_name="Cole")
        scores = {
            ("alice", "hw1"): {"t1": 1.0, "t2": 2.0},
            ("alice", "hw2"): {"t1": 2.0},
            ("bob", "hw1"): {"t1": 1.0, "t2": 0.0},
        }
        for (student, assignment), cells in scores.items():
            gb.add_submission(assignment, student, timestamp="2026-03-02 22:00:00 UTC")
            for gid, score in cells.items():
                gb.find_grade(gid, assignment, assignment, student).auto_score = score
        gb.find_submission_notebook("hw2", "hw2", "alice").late_submission_penalty = 0.5
        gb.db.commit()


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_canvas_columns_without_a_roster(gradebook):
    from nbgrader.api import Gradebook

    db, tmp = gradebook
    with Gradebook(db) as gb:
        path = export_canvas(gb, tmp / "canvas.csv", roster="", assignment_ids={"hw1": 4242})
    rows = read(path)
    assert rows[0] == IDENTITY + ["hw1 (4242)", "hw2"]  # no id: a new Canvas assignment
    assert rows[1] == ["Points Possible", "", "", "", "", "3", "2"]
    assert rows[2:] == [
        ["Archer, Alice", "1001", "", "alice", "", "3", "1.5"],  # 2 minus the late penalty
        ["bob", "", "", "bob", "", "1", "0"],  # no hw2 submission: 0, as nbgrader's CSV
        ["Cole, Carol", "", "", "carol", "", "0", "0"],
    ]


def test_canvas_roster_gives_ids_sections_and_missing_students(gradebook):
    """A Canvas export (its first columns, a Points Possible row, other assignments) as the roster."""
    from nbgrader.api import Gradebook

    db, tmp = gradebook
    roster = tmp / "roster.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,hw1 (777),Quiz 1 (778),Current Score\n"
        "    Points Possible,,,,,3,10,(read only)\n"
        '"Archer, Alice",1001,S-1,alice,Section A,,9,90\n'
        '"Bauer, Bob",1002,S-2,bob,Section B,,7,70\n'
        '"Dunn, Dan",1004,S-4,dan,Section A,,,\n'
    )
    with Gradebook(db) as gb:
        export_canvas(gb, tmp / "canvas.csv", roster=str(roster), missing_score="", assignment=["hw1"])
    rows = read(tmp / "canvas.csv")
    assert rows[0] == IDENTITY + ["hw1 (777)"]
    assert rows[2:] == [
        ["Archer, Alice", "1001", "S-1", "alice", "Section A", "3"],
        ["Bauer, Bob", "1002", "S-2", "bob", "Section B", "1"],
        ["Cole, Carol", "", "", "carol", "", ""],  # in nbgrader, not in Canvas: Canvas will report it
        ["Dunn, Dan", "1004", "S-4", "dan", "Section A", ""],  # in Canvas, never submitted: left unchanged
    ]


def test_canvas_reads_the_course_configuration(gradebook):
    from nbgrader.api import Gradebook

    db, tmp = gradebook
    (tmp / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CanvasExportPlugin.assignment_ids = {'hw1': 9}\n"
        "c.CanvasExportPlugin.match_column = 'SIS User ID'\n"
    )
    with Gradebook(db) as gb:
        rows = read(export_canvas(gb, tmp / "canvas.csv", root=tmp, points_possible=False))
    assert rows[0][5:] == ["hw1 (9)", "hw2"]
    assert rows[1] == ["Archer, Alice", "1001", "alice", "", "", "3", "1.5"]


def test_canvas_rejects_an_unknown_match_column(gradebook):
    from nbgrader.api import Gradebook

    db, tmp = gradebook
    with Gradebook(db) as gb, pytest.raises(ValueError, match="match_column"):
        export_canvas(gb, tmp / "x.csv", match_column="Email")


def test_nbgrader_export_cli_uses_the_plugin(gradebook):
    """``nbgrader export --exporter=...`` with the repository's configuration, as the instructor guide says."""
    db, tmp = gradebook
    shutil.copy(REPO / "nbgrader_config.py", tmp / "nbgrader_config.py")
    result = subprocess.run(
        [str(BIN / "nbgrader"), "export", "--exporter=adamlab.grading.course.exports.CanvasExportPlugin",
         f"--db={db}", f"--to={tmp / 'canvas.csv'}", "--CanvasExportPlugin.points_possible=False"],
        cwd=tmp, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rows = read(tmp / "canvas.csv")
    assert rows[0] == IDENTITY + ["hw1", "hw2"]
    assert [r[0] for r in rows[1:]] == ["Archer, Alice", "bob", "Cole, Carol"]
    assert issubclass(CanvasExportPlugin, __import__("nbgrader.plugins").plugins.ExportPlugin)
