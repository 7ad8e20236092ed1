"""The instructor's flow, end to end, on a temporary copy of the course.

`make release` → a class of submissions (the solution, the blank release, a catalogue of
wrong solutions and a catalogue of tampering attempts) → `make grade` → the confirmed
scores, the feedback, the report; then a re-run gives the same grades.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from ladder_submissions import LADDER_WRONG, make_cell_notebook, mistake_title
from submissions import EX07_WRONG, TAMPERED, WRONG, make_class_notebook, make_notebook

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ex05_adam"
FULL = 9.0
ALL_ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
pytestmark = pytest.mark.slow


def autograded_points(assignment: str) -> float:
    """The points of the autograded test cells of an assignment (manually graded answers excluded)."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    metas = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    return sum(float(m.get("points", 0)) for m in metas if m.get("grade") and not m.get("solution"))


def copy_course(dest: Path) -> Path:
    """A copy of the repository (without builds or grading data) that shares this .venv."""
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(".git", ".venv", "_build", "_grading", "_bench",
                                                              "__pycache__", "*.egg-info", ".pytest_cache"))
    (dest / ".venv").symlink_to(REPO / ".venv")
    # Short limits so that the infinite-loop submission costs seconds, not minutes.
    with open(dest / "nbgrader_config.py", "a") as f:
        f.write("\nc.Execute.timeout = 10\n")
    return dest


def make(root: Path, target: str, **env) -> subprocess.CompletedProcess:
    # -o: never rebuild the shared .venv from a temporary copy (its stamp may look older there).
    result = subprocess.run(["make", "-o", ".venv/.installed", *target.split()], cwd=root, capture_output=True, text=True,
                            env={**os.environ, "ADAMLAB_SANDBOX_TIMEOUT": "10", **env}, timeout=1200)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def submit(root: Path, student: str, text: str, assignment: str = ASSIGNMENT) -> None:
    folder = root / "_grading" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.ipynb").write_text(text)


def grades(root: Path, assignment: str = ASSIGNMENT) -> dict[str, float]:
    with open(root / "_grading" / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)
                if row["assignment"] == assignment}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course") / "adamlab")
    make(root, "release")
    release = root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    submit(root, "correct", (root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    submit(root, "blank", release.read_text())
    for sub in WRONG + TAMPERED:
        submit(root, sub.student, make_notebook(str(release), sub))
    for sub in LADDER_WRONG:
        if sub.assignment in ALL_ASSIGNMENTS:
            submit(root, sub.student, make_cell_notebook(
                str(root / "solutions" / sub.assignment / f"{sub.assignment}.ipynb"), sub), sub.assignment)
    if "ex07_training" in ALL_ASSIGNMENTS:
        for sub in EX07_WRONG:
            submit(root, sub.student, make_class_notebook(
                "", sub, str(root / "solutions" / "ex07_training" / "ex07_training.ipynb")), "ex07_training")
    for a in ALL_ASSIGNMENTS:  # every other assignment: its solution and its blank release
        if a != ASSIGNMENT:
            submit(root, "correct", (root / "solutions" / a / f"{a}.ipynb").read_text(), a)
            submit(root, "blank", (root / "exercises" / a / f"{a}.ipynb").read_text(), a)
    output = make(root, "grade").stdout
    return root, output


def test_correct_solution_gets_full_marks_and_blank_gets_zero(graded_class):
    root, _ = graded_class
    scores = grades(root)
    assert scores["correct"] == FULL
    assert scores["blank"] == 0.0


@pytest.mark.parametrize("assignment", ALL_ASSIGNMENTS)
def test_every_assignment_grades_its_solution_full_and_its_release_zero(graded_class, assignment):
    root, _ = graded_class
    scores = grades(root, assignment)
    assert autograded_points(assignment) > 0
    assert scores["correct"] == autograded_points(assignment), f"{assignment}: the solution lost points"
    assert scores["blank"] == 0.0, f"{assignment}: the blank release earned points"


@pytest.mark.parametrize("sub", WRONG, ids=lambda s: s.student)
def test_wrong_solution_loses_the_points_of_its_tests_and_feedback_names_the_mistake(graded_class, sub):
    root, _ = graded_class
    assert grades(root)[sub.student] == sub.expected
    html = (root / "_grading" / "feedback" / sub.student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    for words in sub.feedback_words:
        assert words in html, f"the feedback of {sub.student} does not say {words!r}"


@pytest.mark.parametrize("sub", LADDER_WRONG, ids=lambda s: f"{s.assignment}-{s.student}")
def test_ladder_wrong_solution_loses_only_its_functions_tests_and_is_named(graded_class, sub):
    import json

    from adamlab.grading.registry import TESTS

    root, _ = graded_class
    report = json.loads((root / "_grading" / "report.json").read_text())
    entry = next(r for r in report["submissions"]
                 if r["student"] == sub.student and r["assignment"] == sub.assignment)
    assert entry["failed_cells"], f"{sub.student} lost no points"
    owners = {TESTS[sub.assignment][gid][0] for gid in entry["failed_cells"]}
    allowed = {sub.cell, "reddi_path"} if sub.assignment == "ex06_variants" else {sub.cell}  # reddi_path calls it
    assert sub.cell in owners and owners <= allowed, f"{sub.student} lost points on {owners}, not only {sub.cell}"
    assert entry["confirmed_score"] < autograded_points(sub.assignment)
    title = mistake_title(sub)
    assert any(title in message for message in entry["failed_cells"].values()), \
        f"{sub.student}: {title!r} not named"
    import html

    page = (root / "_grading" / "feedback" / sub.student / sub.assignment / f"{sub.assignment}.html").read_text()
    assert title in html.unescape(page), f"the feedback of {sub.student} does not say {title!r}"


@pytest.mark.parametrize("sub", EX07_WRONG, ids=lambda s: s.student)
def test_wrong_optimizer_class_loses_its_targeted_tests_and_is_explained(graded_class, sub):
    import json

    root, _ = graded_class
    report = json.loads((root / "_grading" / "report.json").read_text())
    entry = next(r for r in report["submissions"] if r["student"] == sub.student and r["assignment"] == "ex07_training")
    lost = set(entry["failed_cells"])
    assert set(sub.targets) <= lost, f"{sub.student} kept points of {set(sub.targets) - lost}"
    assert entry["confirmed_score"] < autograded_points("ex07_training")
    explained = " ".join(entry["failed_cells"].values()) + " ".join(entry["problems"])
    assert sub.words in explained, f"{sub.student}: {sub.words!r} not in {explained[:500]}"


@pytest.mark.parametrize("sub", TAMPERED, ids=lambda s: s.student)
def test_tampering_gains_nothing_and_is_reported(graded_class, sub):
    root, _ = graded_class
    assert grades(root)[sub.student] == sub.expected
    report = (root / "_grading" / "report.md").read_text()
    if sub.expected < FULL:
        row = next(line for line in report.splitlines() if line.startswith(f"| {sub.student} |"))
        kernel_said = row.split("|")[5].strip()
        if kernel_said not in ("failed", f"{sub.expected:g}"):
            assert row.rstrip().endswith("| yes |"), f"{sub.student}'s score was changed but not flagged: {row}"


def test_every_submission_is_graded_and_has_feedback(graded_class):
    root, output = graded_class
    students = {"correct", "blank", *(s.student for s in WRONG + TAMPERED)}
    # nbgrader's export lists every student for every assignment, a missing submission as 0.
    assert students <= set(grades(root))
    assert all(score == 0 for student, score in grades(root).items() if student not in students)
    for sub in LADDER_WRONG:
        if sub.assignment in ALL_ASSIGNMENTS:
            assert sub.student in grades(root, sub.assignment)
    if "ex07_training" in ALL_ASSIGNMENTS:
        assert {s.student for s in EX07_WRONG} <= set(grades(root, "ex07_training"))
    for a in ALL_ASSIGNMENTS:
        assert {"correct", "blank"} <= set(grades(root, a)), a
    # nbgrader cannot run a corrupted notebook or one that kills its kernel: no feedback file, but the report says so.
    report = (root / "_grading" / "report.md").read_text()
    for student in ("tamper_corrupt_file", "tamper_kill_kernel"):
        assert f"## {student} / {ASSIGNMENT}" in report and "autograde failed" in report
    for student in students - {"tamper_corrupt_file", "tamper_kill_kernel"}:
        assert (root / "_grading" / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").exists(), student
    assert "per minute" in output
    with open(root / "_grading" / "grades.csv") as f:
        header = next(csv.reader(f))
    assert header == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                      "raw_score", "late_submission_penalty", "score", "max_score"]


def test_an_interrupted_regrade_loses_nothing_and_a_rerun_is_idempotent(graded_class):
    import signal
    import time

    root, _ = graded_class
    before = {a: grades(root, a) for a in ALL_ASSIGNMENTS}
    csv_before = (root / "_grading" / "grades.csv").read_bytes()
    proc = subprocess.Popen(["make", "-o", ".venv/.installed", "grade", f"A={ASSIGNMENT}"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ADAMLAB_SANDBOX_TIMEOUT": "10"}, start_new_session=True)
    time.sleep(15)  # part-way through the ex05 class
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (root / "_grading" / "grades.csv").read_bytes() == csv_before, "an interrupted run rewrote grades.csv"
    make(root, f"grade A={ASSIGNMENT}")  # re-grades ex05 (the tampering class); the CSV covers them all
    assert {a: grades(root, a) for a in ALL_ASSIGNMENTS} == before


def test_zip_collect_files_downloads_into_submitted(tmp_path):
    """A zip downloaded from a course website (one notebook per student) lands in _grading/submitted/."""
    import zipfile

    root = copy_course(tmp_path / "adamlab")
    archive = root / "_grading" / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    notebook = (REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    with zipfile.ZipFile(archive / "downloads.zip", "w") as z:
        for student in ("alice", "bob"):
            z.writestr(f"submissions/{student}_{ASSIGNMENT}.ipynb", notebook)
    result = subprocess.run(["make", "-o", ".venv/.installed", "collect", f"A={ASSIGNMENT}"], cwd=root, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for student in ("alice", "bob"):
        collected = root / "_grading" / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert collected.read_text() == notebook
