"""What the instructor-flow and red-team tests share: a copy of the course, `make` in it, submitting, reading grades."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import nbformat

from adamlab.grading.confirm import samples
from adamlab.grading.exercises import EXERCISES, exercise, probe
from conftest import REPO, source_notebook

ALL_ASSIGNMENTS = [e.name for e in EXERCISES]
ASSIGNMENT = samples.ASSIGNMENT  # the sample class: wrong solutions and tampering attempts


def autograded_points(assignment: str) -> float:
    """The points of the autograded test cells of an assignment (manually graded answers excluded)."""
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    metas = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    return sum(float(m.get("points", 0)) for m in metas if m.get("grade") and not m.get("solution"))


def copy_course(dest: Path, release: Path | None = None) -> Path:
    """A copy of the repository (without builds or grading data) that shares this .venv; its ``exercises/``
    replaced by ``release`` when given."""
    shutil.copytree(
        REPO,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "_build", "_grading", "_bench", "__pycache__", "*.egg-info", ".pytest_cache"
        ),
    )
    if release is not None:
        shutil.rmtree(dest / "exercises")
        shutil.copytree(release, dest / "exercises")
    (dest / ".venv").symlink_to(REPO / ".venv")
    # Short limits so that the infinite-loop submission costs seconds, not minutes.
    with open(dest / "nbgrader_config.py", "a") as f:
        f.write("\nc.Execute.timeout = 10\n")
    return dest


def make(root: Path, target: str, **env) -> subprocess.CompletedProcess:
    # -o: never rebuild the shared .venv from a temporary copy (its stamp may look older there).
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", *target.split()],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "ADAMLAB_SANDBOX_TIMEOUT": "10", **env},
        timeout=1200,
    )
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def submit(root: Path, student: str, text: str, assignment: str = ASSIGNMENT) -> None:
    folder = root / "_grading" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.ipynb").write_text(text)


def grades(root: Path, assignment: str = ASSIGNMENT) -> dict[str, float]:
    with open(root / "_grading" / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f) if row["assignment"] == assignment}


def assert_loses_only_its_tests(sub, lost: set[str]) -> None:
    """``sub`` lost points, on its target cells or else only on the tests of its own function (and ``also``)."""
    assert lost, f"{sub.student} lost no points"
    if sub.targets:
        assert set(sub.targets) <= lost, f"{sub.student} kept points of {set(sub.targets) - lost}"
    else:
        tests = exercise(sub.assignment).tests
        owners = {probe(tests[gid]).function for gid in lost}
        assert sub.cell in owners and owners <= {sub.cell, *sub.also}, (
            f"{sub.student} lost points on {owners}, not only {sub.cell}"
        )
