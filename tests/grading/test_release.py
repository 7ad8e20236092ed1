"""exercises/ is exactly what `make release` generates, and no solution or hidden test leaks anywhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nbformat
import pytest

from adamlab.grading.exercises import EXERCISES
from conftest import REPO, release_notebook, source_notebook

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class _Text(HTMLParser):
    """The text of an HTML page, as a reader sees it: its character data, without scripts and styles (what
    BeautifulSoup's ``get_text`` gives, without building a tree)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style", "template") and self._hidden > 0

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def secrets() -> list[tuple[str, str]]:
    """(where, whitespace-free text) of every solution and hidden-test block in solutions/."""
    found = []
    for a in ASSIGNMENTS:
        nb = nbformat.read(source_notebook(a), as_version=4)
        for cell in nb.cells:
            for kind, body in BLOCK.findall(cell.source):
                if len(squash(body)) > 20:
                    found.append((f"{a} {kind.lower()}", squash(body)))
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown" and meta.get("solution") and len(squash(cell.source)) > 20:
                found.append((f"{a} written answer", squash(cell.source)))
    assert found, "no solution blocks found: the leak tests would be vacuous"
    return found


def test_every_assignment_is_released_and_graded():
    assert ASSIGNMENTS, "solutions/ holds no assignment"
    assert ASSIGNMENTS == sorted(e.name for e in EXERCISES), "solutions/ and the grading registry disagree"
    for a in ASSIGNMENTS:
        assert release_notebook(a).exists(), f"{a} has not been released: run make release"


@pytest.mark.slow
def test_exercises_are_current(fresh_release):
    """Regenerating the release from solutions/ changes nothing."""
    for a in ASSIGNMENTS:
        fresh = sorted(p.relative_to(fresh_release / a) for p in (fresh_release / a).rglob("*") if p.is_file())
        committed = sorted(
            p.relative_to(REPO / "exercises" / a) for p in (REPO / "exercises" / a).rglob("*") if p.is_file()
        )
        assert fresh == committed, f"{a}: files differ; run make release"
        for rel in fresh:
            assert (fresh_release / a / rel).read_bytes() == (REPO / "exercises" / a / rel).read_bytes(), (
                f"exercises/{a}/{rel} is stale: run make release"
            )


def test_no_solution_or_hidden_test_in_exercises():
    text = {p: p.read_text(errors="replace") for p in (REPO / "exercises").rglob("*") if p.is_file()}
    for where, secret in secrets():
        for path, content in text.items():
            assert secret not in squash(content), f"{where} leaks into {path}"
    for path, content in text.items():
        for marker in MARKERS:
            assert marker not in content, f"{marker!r} in {path}"


@pytest.mark.slow  # needs `make book`
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
            pages[p] = squash(page_text(raw) if p.suffix == ".html" else raw)
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
        nb = nbformat.read(source_notebook(a), as_version=4)
        marked = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
        for prev, meta in zip(marked, marked[1:], strict=False):
            if meta.get("grade") and not meta.get("solution"):
                assert prev.get("grade") or prev.get("solution"), (
                    f"{a}: test cell {meta['grade_id']} follows the plain locked cell {prev['grade_id']}"
                )
        for meta in marked:
            assert meta.get("grade") or meta.get("solution"), f"{a}: {meta['grade_id']} is a plain locked cell"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_keeps_the_visible_checks_and_blanks_the_rest(assignment):
    """Visible test cells keep their check; hidden ones keep only their comment; written answers are blank;
    the release folder holds the notebook alone."""
    path = release_notebook(assignment)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        if meta.get("solution"):
            assert cell.source == "YOUR ANSWER HERE", meta["grade_id"]
        elif meta["grade_id"].endswith("_hidden"):
            assert "check" not in cell.source, meta["grade_id"]
        else:
            assert "check" in cell.source, meta["grade_id"]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
