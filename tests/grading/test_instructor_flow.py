"""The instructor's flow, end to end, on a temporary copy of the course.

The release (generated once per test session) → a class of submissions (for every exercise of the registry: its
solution, its blank release and one wrong solution cell, but for the torch exercise; for the sample assignment,
two wrong solutions and every tampering attempt; the red team of test_redteam.py too: the graded class of
graded_class.py) → `make grade` → the confirmed scores, the feedback, the report; then an interrupted regrade, and
`S=` regrades that give the same grades. Every other wrong cell an exercise's test module lists, the sample
assignment's other wrong solutions and four of the red team's five torch attackers are confirmed directly in
test_confirmed_directly.py. A new exercise is graded here without any change to this file.
"""

from __future__ import annotations

import csv
import html
import json
import os
import signal
import subprocess
import time

import pytest
from flow_helpers import ALL_ASSIGNMENTS, ASSIGNMENT, assert_loses_only_its_tests, autograded_points, grades, make
from graded_class import GRADED_ATTACKS, GRADED_WRONG, GRADED_WRONG_CELLS
from submissions import TAMPERED, mistake_title

from adamlab.grading.confirm import jail

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(jail.unavailable() is not None, reason=f"no jail here: {jail.unavailable()}"),
]


def test_correct_solution_gets_full_marks_and_blank_gets_zero(graded_class):
    root = graded_class.root
    scores = grades(root)
    assert scores["correct"] == autograded_points(ASSIGNMENT) > 0
    assert scores["blank"] == 0.0


@pytest.mark.parametrize("assignment", ALL_ASSIGNMENTS)
def test_every_assignment_grades_its_solution_full_and_its_release_zero(graded_class, assignment):
    root = graded_class.root
    scores = grades(root, assignment)
    assert autograded_points(assignment) > 0
    assert scores["correct"] == autograded_points(assignment), f"{assignment}: the solution lost points"
    assert scores["blank"] == 0.0, f"{assignment}: the blank release earned points"


@pytest.mark.parametrize("sub", GRADED_WRONG, ids=lambda s: s.student)
def test_wrong_solution_loses_the_points_of_its_tests_and_feedback_names_the_mistake(graded_class, sub):
    root = graded_class.root
    assert grades(root)[sub.student] == sub.expected
    html = (root / "_grading" / "feedback" / sub.student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    for words in sub.feedback_words:
        assert words in html, f"the feedback of {sub.student} does not say {words!r}"


@pytest.mark.parametrize("sub", GRADED_WRONG_CELLS, ids=lambda s: f"{s.assignment}-{s.student}")
def test_wrong_cell_loses_only_its_tests_and_is_explained(graded_class, sub):
    root = graded_class.root
    report = json.loads((root / "_grading" / "report.json").read_text())
    entry = next(r for r in report["submissions"] if r["student"] == sub.student and r["assignment"] == sub.assignment)
    assert_loses_only_its_tests(sub, set(entry["failed_cells"]))
    assert entry["confirmed_score"] < autograded_points(sub.assignment)
    words = mistake_title(sub)
    explained = " ".join(entry["failed_cells"].values()) + " ".join(entry["problems"])
    assert words in explained, f"{sub.student}: {words!r} not in {explained[:500]}"
    if not sub.targets:
        page = (root / "_grading" / "feedback" / sub.student / sub.assignment / f"{sub.assignment}.html").read_text()
        assert words in html.unescape(page), f"the feedback of {sub.student} does not say {words!r}"


@pytest.mark.parametrize("sub", TAMPERED, ids=lambda s: s.student)
def test_tampering_gains_nothing_and_is_reported(graded_class, sub):
    root = graded_class.root
    assert grades(root)[sub.student] == sub.expected
    report = (root / "_grading" / "report.md").read_text()
    if sub.expected < autograded_points(ASSIGNMENT):
        row = next(line for line in report.splitlines() if line.startswith(f"| {sub.student} | {ASSIGNMENT} |"))
        kernel_said = row.split("|")[6].strip()
        if kernel_said not in ("failed", f"{sub.expected:g}"):
            assert row.rstrip().endswith("| yes |"), f"{sub.student}'s score was changed but not flagged: {row}"


def test_every_submission_is_graded_and_has_feedback(graded_class):
    root, output = graded_class.root, graded_class.output
    students = {"correct", "blank", *(s.student for s in GRADED_WRONG + TAMPERED + GRADED_ATTACKS)}
    # nbgrader's export lists every student for every assignment, a missing submission as 0.
    assert students <= set(grades(root))
    assert all(score == 0 for student, score in grades(root).items() if student not in students)
    for sub in GRADED_WRONG_CELLS:
        assert sub.student in grades(root, sub.assignment)
    for a in ALL_ASSIGNMENTS:
        assert {"correct", "blank"} <= set(grades(root, a)), a
    # nbgrader cannot run a corrupted notebook or one that kills its kernel: no feedback file, but the report says so.
    report = (root / "_grading" / "report.md").read_text()
    problems = {
        r["student"]: r["problems"]
        for r in json.loads((root / "_grading" / "report.json").read_text())["submissions"]
        if r["assignment"] == ASSIGNMENT
    }
    for student, cause in (("tamper_corrupt_file", "NotJSONError"), ("tamper_kill_kernel", "Kernel died")):
        assert f"### {student} / {ASSIGNMENT}" in report
        assert any("autograde failed" in p and cause in p for p in problems[student]), problems[student]
    without_feedback = {
        student: problems[student]
        for student in sorted(students - {"tamper_corrupt_file", "tamper_kill_kernel"})
        if not (root / "_grading" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()
    }
    assert not without_feedback, without_feedback
    assert "per minute" in output
    with open(root / "_grading" / "grades.csv") as f:
        header = next(csv.reader(f))
    assert header == [
        "assignment",
        "duedate",
        "timestamp",
        "student_id",
        "last_name",
        "first_name",
        "email",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
    ]


def test_an_interrupted_regrade_loses_nothing_and_regrading_students_is_idempotent(graded_class):
    root = graded_class.root
    before = {a: grades(root, a) for a in ALL_ASSIGNMENTS}
    csv_before = (root / "_grading" / "grades.csv").read_bytes()
    proc = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "grade", f"A={ASSIGNMENT}"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ADAMLAB_SANDBOX_TIMEOUT": "10"},
        start_new_session=True,
    )
    start = time.time()
    autograded = root / "_grading" / "autograded"
    while time.time() - start < 180 and proc.poll() is None:  # until the re-run has recorded one submission
        if any(p.stat().st_mtime > start for p in autograded.glob(f"*/{ASSIGNMENT}/*.ipynb")):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the re-run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (root / "_grading" / "grades.csv").read_bytes() == csv_before, "an interrupted run rewrote grades.csv"
    students = ["no_bias_correction", "tamper_patch_check"]  # sample-assignment submissions only: a quick regrade
    output = make(root, f"grade S={','.join(students)}").stdout  # regrades two students
    submitted = [p for s in students for p in (root / "_grading" / "submitted" / s).iterdir() if p.is_dir()]
    assert f"Graded {len(submitted)} submissions" in output
    assert {a: grades(root, a) for a in ALL_ASSIGNMENTS} == before
