"""Late work: due dates, per-student extensions, and the penalty from nbgrader's late-submission plugin.

The instructor writes two small files (both optional; times in ISO 8601, with a zone, e.g.
``2026-03-02 23:59 Europe/Berlin`` or ``2026-03-02T23:59:00+01:00``; a time without a zone is UTC, as in
nbgrader):

``_grading/due_dates.csv``::

    assignment,due
    <assignment>,2026-03-02T23:59:00+01:00

``_grading/extensions.csv`` (either a new due date or extra hours)::

    student,assignment,due,hours
    alice,<assignment>,2026-03-05T12:00:00+01:00,
    bob,<assignment>,,48

A due date set with ``nbgrader db assignment add <assignment> --duedate=...`` counts too (the file wins).
A submission's time is nbgrader's ``timestamp.txt`` in its folder ``_grading/submitted/<student>/<assignment>/``
(written by ``nbgrader collect`` and ``zip_collect``). The penalty is the one nbgrader itself would assign:
``c.AssignLatePenalties.plugin_class`` of ``nbgrader_config.py`` (:class:`SubMarksPerHour` here), applied to the
*confirmed* score and clipped to ``[0, score]`` as nbgrader's ``AssignLatePenalties`` does.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Float

DUE_DATES = Path("_grading") / "due_dates.csv"
EXTENSIONS = Path("_grading") / "extensions.csv"


class SubMarksPerHour(LateSubmissionPlugin):
    """``points_per_hour`` points off for every started hour after the due date (and its grace period)."""

    points_per_hour = Float(1.0, help="Points subtracted for every started hour late.").tag(config=True)
    grace_minutes = Float(0.0, help="Minutes after the due date that cost nothing.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        late = total_seconds_late - 60 * self.grace_minutes
        if late <= 0:
            return 0.0
        return min(score, self.points_per_hour * math.ceil(late / 3600))

    def describe(self) -> str:
        grace = f" after {self.grace_minutes:g} minutes' grace" if self.grace_minutes else ""
        return f"{self.points_per_hour:g} point(s) per started hour late{grace}"


def _config(root: Path):
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def late_plugin(root: Path | str, config=None) -> LateSubmissionPlugin:
    """The plugin ``nbgrader autograde`` uses, configured by ``config`` (by default ``root/nbgrader_config.py``;
    grading passes the configuration it read once, before any student code ran)."""
    from traitlets.utils.importstring import import_item

    config = config if config is not None else _config(Path(root))
    cls = config.AssignLatePenalties.get("plugin_class", LateSubmissionPlugin)
    if isinstance(cls, str):
        cls = import_item(cls)
    return cls(config=config)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]
    return [row for row in rows if any(row.values()) and not next(iter(row.values()), "").startswith("#")]


def _gradebook_due_dates(root: Path) -> dict[str, dt.datetime]:
    """Due dates recorded in an existing gradebook (``nbgrader db assignment add --duedate``)."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=_config(root))
    db_url = coursedir.db_url
    if not db_url.startswith("sqlite:///") or not Path(db_url.removeprefix("sqlite:///")).exists():
        return {}  # opening a missing gradebook would create it
    from nbgrader.api import Gradebook

    with Gradebook(db_url, coursedir.course_id) as gb:
        return {a.name: a.duedate for a in gb.assignments if a.duedate is not None}


def due_dates(root: Path | str) -> dict[str, dt.datetime]:
    """``{assignment: due date}`` (naive UTC, as nbgrader stores them): the gradebook's, then the file's."""
    root = Path(root)
    dates = _gradebook_due_dates(root)
    for row in _read_csv(root / DUE_DATES):
        if row.get("assignment") and row.get("due"):
            dates[row["assignment"]] = parse_utc(row["due"])
    return dates


def extensions(root: Path | str) -> dict[tuple[str, str], dt.datetime | dt.timedelta]:
    """``{(student, assignment): new due date (naive UTC) or extra time}`` from ``_grading/extensions.csv``."""
    found: dict[tuple[str, str], dt.datetime | dt.timedelta] = {}
    for row in _read_csv(Path(root) / EXTENSIONS):
        key = (row.get("student", ""), row.get("assignment", ""))
        if not all(key):
            continue
        if row.get("due"):
            found[key] = parse_utc(row["due"])
        elif row.get("hours"):
            found[key] = dt.timedelta(hours=float(row["hours"]))
        else:
            raise ValueError(f"{EXTENSIONS}: {key} gives neither a due date nor hours")
    return found


def deadline(
    root: Path | str,
    student: str,
    assignment: str,
    *,
    dates: dict[str, dt.datetime] | None = None,
    extended: dict[tuple[str, str], dt.datetime | dt.timedelta] | None = None,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``(this student's due date, the assignment's due date)``, naive UTC; ``None`` where there is none."""
    due = (due_dates(root) if dates is None else dates).get(assignment)
    extension = (extensions(root) if extended is None else extended).get((student, assignment))
    if isinstance(extension, dt.datetime):
        return extension, due
    if isinstance(extension, dt.timedelta) and due is not None:
        return due + extension, due
    return due, due


def submitted_at(root: Path | str, student: str, assignment: str) -> dt.datetime | None:
    """The submission's ``timestamp.txt`` (naive UTC, parsed as nbgrader parses it), or ``None``."""
    path = Path(root) / "_grading" / "submitted" / student / assignment / "timestamp.txt"
    if not path.exists() or not path.read_text().strip():
        return None
    return parse_utc(path.read_text().strip())


def _utc(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def late_penalty(root: Path | str, student: str, assignment: str, score: float, config=None) -> tuple[float, str]:
    """The late penalty (points, in ``[0, score]``) of a submission whose confirmed score is ``score``, and a note
    for the report (``""`` when there is nothing to say)."""
    root = Path(root)
    due, original = deadline(root, student, assignment)
    if due is None:
        return 0.0, ""
    when = submitted_at(root, student, assignment)
    if when is None:
        return 0.0, "no timestamp.txt: treated as on time"
    seconds_late = max(0.0, (when - due).total_seconds())
    extended = f" (extended from {_utc(original)})" if original is not None and due != original else ""
    if seconds_late == 0:
        return 0.0, f"on time{extended}" if extended else ""
    plugin = late_plugin(root, config)
    penalty = plugin.late_submission_penalty(student, score, seconds_late)
    penalty = 0.0 if penalty is None else min(max(0.0, float(penalty)), score)  # as AssignLatePenalties clips
    rule = plugin.describe() if hasattr(plugin, "describe") else type(plugin).__name__
    note = (
        f"submitted {_utc(when)}, {seconds_late / 3600:.1f} h after the due date {_utc(due)}{extended}: "
        f"{penalty:g} point(s) off ({rule})"
    )
    return penalty, note


def sync_gradebook(gb, root: Path | str) -> None:
    """Write the due dates and extensions of the files into an open nbgrader ``Gradebook``, so that nbgrader's own
    CSV export, ``autograde`` and feedback see the same deadlines. Assignments must already be in the gradebook
    (``generate_assignment``); students and submissions are created when missing."""
    from nbgrader.api import MissingEntry

    root = Path(root)
    dates = due_dates(root)
    for name, due in dates.items():
        try:
            gb.find_assignment(name)
        except MissingEntry:
            continue
        gb.update_or_create_assignment(name, duedate=due)
    for (student, assignment), extension in extensions(root).items():
        due = dates.get(assignment)
        if due is None:
            continue
        extra = extension - due if isinstance(extension, dt.datetime) else extension
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            continue
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        gb.grant_extension(assignment, student, minutes=extra.total_seconds() / 60)


def record_penalty(gb, student: str, assignment: str, penalty: float) -> None:
    """Store ``penalty`` as the submission's late penalty in an open ``Gradebook`` (on its first notebook; the
    others get none), replacing what ``autograde`` computed from the kernel's score."""
    submission = gb.find_submission(assignment, student)
    for i, notebook in enumerate(sorted(submission.notebooks, key=lambda n: n.name)):
        notebook.late_submission_penalty = (penalty or None) if i == 0 else None
    gb.db.commit()
