"""`make collect`: a zip of notebooks downloaded from a course website is filed by student."""

from __future__ import annotations

import subprocess
import zipfile

import pytest
from flow_helpers import ASSIGNMENT, copy_course

from conftest import release_notebook

pytestmark = pytest.mark.slow


def test_zip_collect_files_downloads_into_submitted(tmp_path):
    root = copy_course(tmp_path / "adamlab")
    archive = root / "_grading" / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    notebook = release_notebook(ASSIGNMENT).read_text()
    with zipfile.ZipFile(archive / "downloads.zip", "w") as z:
        for student in ("alice", "bob"):
            z.writestr(f"submissions/{student}_{ASSIGNMENT}.ipynb", notebook)
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", "collect", f"A={ASSIGNMENT}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for student in ("alice", "bob"):
        collected = root / "_grading" / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert collected.read_text() == notebook
