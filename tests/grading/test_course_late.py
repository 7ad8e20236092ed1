"""Late work: due dates, extensions and the penalty of the plugin configured in nbgrader_config.py."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from adamlab.grading.course import late
from conftest import BIN, REPO

DUE = "2026-03-02T23:59:00+01:00"  # 22:59 UTC


@pytest.fixture
def course(tmp_path):
    """A course root with the repository's nbgrader_config.py, a due date and two extensions."""
    shutil.copy(REPO / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    grading = tmp_path / "_grading"
    grading.mkdir()
    (grading / "due_dates.csv").write_text(f"assignment,due\nhw1,{DUE}\n")
    (grading / "extensions.csv").write_text(
        "student,assignment,due,hours\n"
        "erin,hw1,2026-03-05 12:00:00 Europe/Berlin,\n"  # a new due date, 11:00 UTC on the 5th
        "fred,hw1,,48\n"  # two more days
    )
    return tmp_path


def submit(root, student, timestamp, assignment="hw1"):
    folder = root / "_grading" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp)


def test_the_configured_plugin_is_nbgraders(course):
    plugin = late.late_plugin(course)
    assert isinstance(plugin, late.SubMarksPerHour)
    assert (plugin.points_per_hour, plugin.grace_minutes) == (0.5, 15)


def test_on_time(course):
    submit(course, "alice", "2026-03-02 21:00:00.000000 UTC")
    assert late.late_penalty(course, "alice", "hw1", 9.0) == (0.0, "")


def test_within_the_grace_period(course):
    submit(course, "gina", "2026-03-02 23:10:00 UTC")  # 11 minutes late, 15 minutes' grace
    assert late.late_penalty(course, "gina", "hw1", 9.0)[0] == 0.0


def test_late_costs_half_a_point_per_started_hour(course):
    submit(course, "bob", "2026-03-03 02:30:00 UTC")  # 3 h 31 min late: 3 h 16 min after grace → 4 hours
    penalty, note = late.late_penalty(course, "bob", "hw1", 9.0)
    assert penalty == 2.0
    assert "3.5 h after the due date 2026-03-02 22:59 UTC" in note and "2 point(s) off" in note


def test_the_penalty_never_exceeds_the_score(course):
    submit(course, "carl", "2026-03-09 00:00:00 UTC")  # a week late
    assert late.late_penalty(course, "carl", "hw1", 3.0)[0] == 3.0
    assert late.late_penalty(course, "carl", "hw1", 0.0)[0] == 0.0


def test_timestamps_in_other_zones(course):
    # 23:30 in Berlin is 22:30 UTC: on time, though the wall clock reads later than the UTC due date.
    submit(course, "dora", "2026-03-02 23:30:00 Europe/Berlin")
    assert late.late_penalty(course, "dora", "hw1", 9.0)[0] == 0.0


def test_an_extension_to_a_new_date(course):
    submit(course, "erin", "2026-03-05 10:00:00 UTC")  # before the extended date (11:00 UTC)
    penalty, note = late.late_penalty(course, "erin", "hw1", 9.0)
    assert penalty == 0.0 and "extended from 2026-03-02 22:59 UTC" in note
    submit(course, "erin", "2026-03-05 11:30:00 UTC")  # half an hour after it: within the grace? no, 30 > 15
    assert late.late_penalty(course, "erin", "hw1", 9.0)[0] == 0.5


def test_an_extension_in_hours(course):
    submit(course, "fred", "2026-03-04 20:00:00 UTC")  # late without the extension, on time with it
    assert late.late_penalty(course, "fred", "hw1", 9.0)[0] == 0.0
    assert late.deadline(course, "fred", "hw1") == (
        dt.datetime(2026, 3, 4, 22, 59),
        dt.datetime(2026, 3, 2, 22, 59),
    )


def test_no_due_date_or_no_timestamp_is_on_time(course):
    submit(course, "hugo", "2030-01-01 00:00:00 UTC", assignment="hw2")
    assert late.late_penalty(course, "hugo", "hw2", 9.0) == (0.0, "")
    submit(course, "ivan", None)
    assert late.late_penalty(course, "ivan", "hw1", 9.0) == (0.0, "no timestamp.txt: treated as on time")


def test_an_extension_without_date_or_hours_is_an_error(course):
    (course / "_grading" / "extensions.csv").write_text("student,assignment,due,hours\nkim,hw1,,\n")
    with pytest.raises(ValueError, match="neither a due date nor hours"):
        late.extensions(course)


@pytest.mark.slow
def test_the_gradebook_agrees(course, monkeypatch):
    """sync_gradebook gives nbgrader the same deadlines: its total_seconds_late matches, and record_penalty
    stores the penalty where nbgrader's CSV export and feedback read it."""
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # nbgrader runs alembic
    db = f"sqlite:///{course / '_grading' / 'gradebook.db'}"
    with Gradebook(db) as gb:
        gb.add_assignment("hw1")
        gb.add_notebook("hw1", "hw1")
        for student, stamp in [("bob", "2026-03-03 02:30:00 UTC"), ("fred", "2026-03-04 20:00:00 UTC")]:
            gb.add_student(student)
            gb.add_submission("hw1", student, timestamp=stamp)
        late.sync_gradebook(gb, course)
        assert gb.find_assignment("hw1").duedate == dt.datetime(2026, 3, 2, 22, 59)
        assert gb.find_submission("hw1", "bob").total_seconds_late == 3 * 3600 + 31 * 60
        assert gb.find_submission("hw1", "fred").total_seconds_late == 0
        late.record_penalty(gb, "bob", "hw1", 2.0)
        assert gb.find_submission("hw1", "bob").late_submission_penalty == 2.0
    assert late.due_dates(course)["hw1"] == dt.datetime(2026, 3, 2, 22, 59)
