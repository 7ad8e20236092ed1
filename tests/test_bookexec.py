"""The parallel pre-execution fills the cache that Jupyter Book reads (same hash as myst-nb's)."""

from pathlib import Path

import yaml

from adamlab.bookexec import read, toc_pages

REPO = Path(__file__).resolve().parents[1]


def test_every_notebook_page_of_the_toc_is_found():
    pages = {p.relative_to(REPO).with_suffix("").as_posix() for p in toc_pages(REPO)}
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    listed = {ch["file"] for part in toc["parts"] for ch in part["chapters"]}
    assert "book/adam" in pages and "book/exercises/ex05_adam" in pages
    assert pages <= listed | {toc["root"]}
    assert "book/bibliography" not in pages  # plain markdown: nothing to execute


def test_the_built_book_used_the_cache_for_every_page():
    """After `make book`, every notebook page matches a cache entry (no stale or mismatched hash)."""
    from jupyter_cache import get_cache

    cache = get_cache(str(REPO / "_build" / ".jupyter_cache"))
    for page in toc_pages(REPO):
        cache.match_cache_notebook(read(page))  # raises KeyError if myst-nb's hash would differ
