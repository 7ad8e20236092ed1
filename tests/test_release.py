"""exercises/ is exactly what `make release` generates, and no solution or hidden test leaks anywhere."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def secrets() -> list[tuple[str, str]]:
    """(where, whitespace-free text) of every solution and hidden-test block in solutions/."""
    found = []
    for a in ASSIGNMENTS:
        nb = nbformat.read(REPO / "solutions" / a / f"{a}.ipynb", as_version=4)
        for cell in nb.cells:
            for kind, body in BLOCK.findall(cell.source):
                if len(squash(body)) > 20:
                    found.append((f"{a} {kind.lower()}", squash(body)))
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("solution") and len(squash(cell.source)) > 20:
                found.append((f"{a} written answer", squash(cell.source)))
    assert found, "no solution blocks found: the leak tests would be vacuous"
    return found


def test_every_assignment_is_released():
    assert ASSIGNMENTS, "solutions/ holds no assignment"
    for a in ASSIGNMENTS:
        assert (REPO / "exercises" / a / f"{a}.ipynb").exists(), f"{a} has not been released: run make release"


def test_exercises_are_current(tmp_path):
    """Regenerating the release from solutions/ changes nothing."""
    for a in ASSIGNMENTS:
        subprocess.run([str(REPO / ".venv" / "bin" / "nbgrader"), "generate_assignment", a, "--force",
                        f"--CourseDirectory.release_directory={tmp_path / 'release'}",
                        f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}", "--log-level=ERROR"],
                       cwd=REPO, check=True, capture_output=True,
                       env={**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"})
        fresh = sorted(p.relative_to(tmp_path / "release" / a) for p in (tmp_path / "release" / a).rglob("*")
                       if p.is_file())
        committed = sorted(p.relative_to(REPO / "exercises" / a) for p in (REPO / "exercises" / a).rglob("*")
                           if p.is_file())
        assert fresh == committed, f"{a}: files differ; run make release"
        for rel in fresh:
            assert (tmp_path / "release" / a / rel).read_bytes() == (REPO / "exercises" / a / rel).read_bytes(), \
                f"exercises/{a}/{rel} is stale: run make release"


def test_no_solution_or_hidden_test_in_exercises():
    text = {p: p.read_text(errors="replace") for p in (REPO / "exercises").rglob("*") if p.is_file()}
    for where, secret in secrets():
        for path, content in text.items():
            assert secret not in squash(content), f"{where} leaks into {path}"
    for path, content in text.items():
        for marker in MARKERS:
            assert marker not in content, f"{marker!r} in {path}"


def test_built_book_holds_no_solution_hidden_test_or_private_folder():
    html = REPO / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("the book is not built: run `make book` (make test does)")
    for private in ("solutions", "_grading", "src", "tests"):
        assert not list(html.rglob(f"{private}/*")), f"{private}/ reached the built book"
    pages = {}
    for p in html.rglob("*"):
        if p.is_file() and p.suffix in (".html", ".ipynb", ".md", ".txt", ".js", ".py"):
            raw = p.read_text(errors="replace")
            pages[p] = squash(BeautifulSoup(raw, "html.parser").get_text() if p.suffix == ".html" else raw)
    secret_list = secrets()
    for path, content in pages.items():
        for where, secret in secret_list:
            assert secret not in content, f"{where} leaks into {path}"
        for marker in MARKERS:
            assert squash(marker) not in content, f"{marker!r} in {path}"


def test_every_test_cell_follows_a_graded_or_solution_cell():
    """nbgrader 0.9.6 re-inserts a deleted test cell after the previous *graded or solution* cell,
    and crashes (KeyError in add_missing_grade_cells) when that previous nbgrader cell is a plain locked one."""
    for a in ASSIGNMENTS:
        nb = nbformat.read(REPO / "solutions" / a / f"{a}.ipynb", as_version=4)
        marked = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
        for prev, meta in zip(marked, marked[1:]):
            if meta.get("grade") and not meta.get("solution"):
                assert prev.get("grade") or prev.get("solution"), \
                    f"{a}: test cell {meta['grade_id']} follows the plain locked cell {prev['grade_id']}"
        for meta in marked:
            assert meta.get("grade") or meta.get("solution"), f"{a}: {meta['grade_id']} is a plain locked cell"
