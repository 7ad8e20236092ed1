"""tools/bookexec.py: the parallel pre-execution fills Jupyter Book's cache, and a failing page says why."""

import subprocess
import sys

import pytest

import bookexec
from adamlab.grading.exercises import EXERCISES
from conftest import REPO

FAILING_PAGE = """---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A page whose prose guard fails

```{code-cell} ipython3
%matplotlib inline
drop = {"momentum": 0.032, "RMSProp": 0.1}
```

```{code-cell} ipython3
ok = True
assert ok and all(0.05 < drop[n] < 0.3 for n in ("momentum", "RMSProp")), "a drop out of range"
```
"""


def test_every_notebook_page_of_the_toc_is_found():
    pages = {p.relative_to(REPO).with_suffix("").as_posix() for p in bookexec.toc_pages(REPO)}
    files = bookexec.toc_files(REPO)
    assert "book/adam" in pages and {f"book/exercises/{e.name}" for e in EXERCISES} <= pages  # a glob's pages too
    assert pages <= set(files) and len(files) == len(set(files))
    assert "book/bibliography" not in pages  # plain markdown: nothing to execute


def test_assertion_terms_are_the_operands_of_the_failing_assert():
    source = "%matplotlib inline\nx = 1\nassert x == 1 and f(drop['a']) < 0.3, 'message'\n"
    terms = bookexec.assertion_terms(source, 3)
    assert terms[:2] == ["x == 1", "f(drop['a']) < 0.3"]
    assert {"x", "drop['a']", "drop", "f(drop['a'])"} <= set(terms)
    assert bookexec.assertion_terms(source, 2) == []  # not an assert


def test_failing_line_is_read_from_ipython_traceback():
    tb = "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[7]\x1b[39m\x1b[32m, line 12\x1b[39m"
    assert bookexec.failing_line(tb) == 12
    assert bookexec.failing_line("no cell here") is None


@pytest.mark.slow
def test_a_failing_page_names_chapter_cell_values_and_the_command(tmp_path):
    page = REPO / "book" / "_bookexec_failing_test_page.md"  # inside the repo: the command is relative to it
    page.write_text(FAILING_PAGE)
    try:
        run = subprocess.run(
            [sys.executable, str(REPO / "tools" / "bookexec.py"), "--page", str(page)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=300,
            env={**__import__("os").environ, "ADAMLAB_SEED": "3"},
        )
    finally:
        page.unlink()
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "book/_bookexec_failing_test_page.md, cell 2 (code cell 2), line 2" in out
    assert "AssertionError: a drop out of range" in out
    assert "drop = {'momentum': 0.032, 'RMSProp': 0.1}" in out and "ok = True" in out
    assert "ADAMLAB_SEED=3 " in out and "tools/bookexec.py --page book/_bookexec_failing_test_page.md" in out
    assert "TCP without encryption" not in out + run.stderr


def test_the_built_book_used_the_cache_for_every_page():
    """After `make book`, every notebook page matches a cache entry (no stale or mismatched hash)."""
    from jupyter_cache import get_cache

    cache_dir = REPO / "_build" / ".jupyter_cache"
    if not cache_dir.is_dir():
        pytest.skip("the book has not been built (make book)")
    cache = get_cache(str(cache_dir))
    for page in bookexec.toc_pages(REPO):
        cache.match_cache_notebook(bookexec.read(page))  # raises KeyError if myst-nb's hash would differ


@pytest.mark.slow
def test_fill_cache_stores_what_myst_nb_looks_up(tmp_path):
    """A page executed by bookexec is found by the hash myst-nb computes: Jupyter Book does not execute it again."""
    from jupyter_cache import get_cache

    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "page.md").write_text(FAILING_PAGE.split("```{code-cell} ipython3\nok = True")[0])
    assert bookexec.fill_cache(tmp_path, jobs=1, timeout=120) == 0
    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    cache.match_cache_notebook(bookexec.read(tmp_path / "page.md"))  # KeyError if the hash differs
    assert bookexec.fill_cache(tmp_path, jobs=1, timeout=120) == 0  # second run: nothing to execute


def test_a_glued_numpy_scalar_is_reported_before_the_build():
    """`{glue:text}`x:.2f`` cannot format ``np.float64(0.25)``: bookexec names the value, not Sphinx later."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "0.5"},
            metadata={"scrapbook": {"name": "ok"}},
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "np.float64(0.25)"},
            metadata={"scrapbook": {"name": "bad"}},
        ),
    ]
    nb.cells = [cell]
    report = bookexec.glue_problems(REPO / "book" / "adam.md", nb)
    assert report and "bad = np.float64(0.25)" in report and "ok =" not in report
    cell.outputs.pop()
    assert bookexec.glue_problems(REPO / "book" / "adam.md", nb) is None
