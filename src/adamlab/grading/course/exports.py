"""A Canvas gradebook CSV, as an nbgrader export plugin.

Canvas imports grades from a CSV laid out like its own gradebook export (Grades → Export → Export Entire
Gradebook): the columns ``Student`` ("Last, First"), ``ID`` (Canvas's user id), ``SIS User ID``,
``SIS Login ID``, ``Section``, then one column per assignment named ``<name> (<Canvas assignment id>)``.
Canvas finds each student by one of ``ID``, ``SIS User ID`` or ``SIS Login ID``, and each assignment by the id in
parentheses; a column without an id becomes a new assignment when imported. An optional second row
``Points Possible`` is read-only (it is ignored on import). Canvas shows a preview of every change before applying
it.

The plugin fills what the gradebook knows; the rest comes from a *roster*: a gradebook CSV exported from your
Canvas course, whose student columns are copied and whose assignment headers give the Canvas ids. Configure it in
``nbgrader_config.py`` or on the command line::

    nbgrader export --exporter=adamlab.grading.course.exports.CanvasExportPlugin --to=_grading/canvas.csv \\
        --CanvasExportPlugin.roster=_grading/canvas_roster.csv

From Python: ``export_canvas(gradebook, path, roster=...)``. Scores are nbgrader's ``score - late penalty``
(never below 0), as in nbgrader's own CSV export.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Dict, Unicode

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ASSIGNMENT_HEADER = re.compile(r"^(?P<name>.*\S)\s+\((?P<id>\d+)\)$")
POINTS_POSSIBLE = "Points Possible"


class CanvasExportPlugin(ExportPlugin):
    """Export the gradebook as a CSV that Canvas's gradebook import reads (see the module docstring)."""

    roster = Unicode(
        "",
        help="A gradebook CSV exported from Canvas: its student columns are copied, its assignment headers "
        "'<name> (<id>)' give the Canvas ids, and its students without a submission are listed too.",
    ).tag(config=True)
    match_column = Unicode(
        "SIS Login ID",
        help="The Canvas column that holds nbgrader's student id (one of ID, SIS User ID, SIS Login ID).",
    ).tag(config=True)
    assignment_ids = Dict({}, help="nbgrader assignment name -> Canvas assignment id (overrides the roster's).").tag(
        config=True
    )
    points_possible = Bool(True, help="Write the 'Points Possible' row under the header.").tag(config=True)
    missing_score = Unicode(
        "0",
        help="What to write for a student without a submission: '0' as nbgrader's CSV export does, "
        "or '' to leave Canvas's grade unchanged.",
    ).tag(config=True)

    def _read_roster(self) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """``({nbgrader id: identity columns}, {assignment name: Canvas id})`` from the roster file."""
        if not self.roster:
            return {}, {}
        if not Path(self.roster).exists():
            self.log.warning("No Canvas roster at %s: students are matched by %s only", self.roster, self.match_column)
            return {}, {}
        with open(self.roster, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if self.match_column not in (reader.fieldnames or []):
                raise ValueError(f"{self.roster} has no column {self.match_column!r}: {reader.fieldnames}")
            ids = {}
            for header in reader.fieldnames or []:
                m = ASSIGNMENT_HEADER.match(header)
                if m and header not in IDENTITY:
                    ids.setdefault(m["name"], m["id"])
            students = {}
            for row in reader:
                if (row.get("Student") or "").strip() == POINTS_POSSIBLE or not row.get(self.match_column):
                    continue  # the read-only row, or a row Canvas cannot match
                students[row[self.match_column].strip()] = {k: (row.get(k) or "").strip() for k in IDENTITY}
        return students, ids

    def export(self, gradebook: Gradebook) -> None:
        if self.match_column not in IDENTITY[1:4]:
            raise ValueError(f"match_column must be one of {IDENTITY[1:4]}, not {self.match_column!r}")
        dest = self.to or "canvas_grades.csv"
        roster, canvas_ids = self._read_roster()
        canvas_ids.update({k: str(v) for k, v in self.assignment_ids.items()})
        wanted_a = [str(a) for a in self.assignment]
        wanted_s = [str(s) for s in self.student]
        assignments = [a for a in gradebook.assignments if not wanted_a or a.name in wanted_a]
        known = {s.id: s for s in gradebook.students}
        student_ids = sorted(set(known) | set(roster))
        if wanted_s:
            student_ids = [s for s in student_ids if s in wanted_s]

        def header(name: str) -> str:
            return f"{name} ({canvas_ids[name]})" if name in canvas_ids else name

        self.log.info("Exporting Canvas grades for %d students to %s", len(student_ids), dest)
        partial = Path(str(dest) + ".partial")
        with open(partial, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(IDENTITY + [header(a.name) for a in assignments])
            if self.points_possible:
                writer.writerow([POINTS_POSSIBLE, "", "", "", ""] + [f"{a.max_score:g}" for a in assignments])
            for sid in student_ids:
                writer.writerow(
                    self._identity(sid, known.get(sid), roster.get(sid))
                    + [self._score(gradebook, a.name, sid) for a in assignments]
                )
        partial.replace(dest)

    def _identity(self, sid: str, student, row: dict[str, str] | None) -> list[str]:
        if row is not None:
            return [row[k] for k in IDENTITY]
        values = dict.fromkeys(IDENTITY, "")
        if student is not None and (student.last_name or student.first_name):
            values["Student"] = ", ".join(n for n in (student.last_name, student.first_name) if n)
        else:
            values["Student"] = sid
        if student is not None and student.lms_user_id:
            values["ID"] = str(student.lms_user_id)
        values[self.match_column] = sid
        return [values[k] for k in IDENTITY]

    def _score(self, gradebook: Gradebook, assignment: str, sid: str) -> str:
        try:
            submission = gradebook.find_submission(assignment, sid)
        except MissingEntry:
            return self.missing_score
        penalty = submission.late_submission_penalty or 0.0
        return f"{max(0.0, submission.score - penalty):g}"


def export_canvas(gradebook: Gradebook, path: Path | str, root: Path | str | None = None, **settings) -> Path:
    """Write the Canvas CSV of an open ``gradebook`` to ``path``.

    ``root``: a course directory whose ``nbgrader_config.py`` configures the plugin (``c.CanvasExportPlugin``);
    ``settings``: the plugin's traits, which win over the configuration (``roster=``, ``match_column=``,
    ``assignment_ids=``, ``points_possible=``, ``missing_score=``, ``assignment=[...]``, ``student=[...]``).
    """
    config = None
    if root is not None:
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    CanvasExportPlugin(config=config, to=str(path), **settings).export(gradebook)
    return Path(path)
