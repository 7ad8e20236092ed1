"""Shared fixtures: the repository's root, its exercises, and one nbgrader release per test session."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# The graded class that the instructor-flow and red-team tests share (tests/grading/graded_class.py).
pytest_plugins = ["graded_class"]

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"


def source_notebook(assignment: str) -> Path:
    return REPO / "solutions" / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> Path:
    return REPO / "exercises" / assignment / f"{assignment}.ipynb"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory) -> Path:
    """``nbgrader generate_assignment`` of every assignment in ``solutions/``, once per session, into a
    temporary release folder (``<folder>/<assignment>/...``): ``exercises/`` is never touched."""
    out = tmp_path_factory.mktemp("release")
    assignments = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    for a in assignments:
        subprocess.run(
            [
                str(BIN / "nbgrader"),
                "generate_assignment",
                a,
                "--force",
                f"--CourseDirectory.release_directory={out / 'release'}",
                f"--CourseDirectory.db_url=sqlite:///{out / 'gradebook.db'}",
                "--log-level=ERROR",
            ],
            cwd=REPO,
            check=True,
            capture_output=True,
            env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        )
    return out / "release"
