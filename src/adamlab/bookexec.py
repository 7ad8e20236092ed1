"""Execute the book's notebooks in parallel into Jupyter Book's execution cache.

Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) runs notebooks one after the
other. On a machine with several cores this step runs them ``--jobs`` at a time first,
storing each result in ``_build/.jupyter_cache`` exactly as myst-nb would (same
reader, same hash, same working directory), so the build that follows finds every
notebook cached. A notebook that fails here is left out of the cache: the build then
executes it itself and reports the error (``-W`` makes it fatal).

Usage: ``python -m adamlab.bookexec [--jobs N]`` from the book's root.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml


def toc_pages(root: Path) -> list[Path]:
    """The MyST notebooks listed in ``_toc.yml`` (pages with a kernelspec in their header)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part.get("chapters", [])]
    pages = []
    for f in files:
        path = root / (f if f.endswith(".md") else f + ".md")
        if path.exists() and "kernelspec:" in path.read_text().split("\n---", 1)[0]:
            pages.append(path)
    return pages


def read(path: Path):
    """Read a page the way myst-nb does, so that the cache hash matches."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    return read_myst_markdown_notebook(path.read_text(), config=MdParserConfig(), add_source_map=True, path=str(path))


def _execute(path: str, timeout: int) -> tuple[str, object, float, str | None]:
    from jupyter_cache.executors.utils import single_nb_execution

    nb = read(Path(path))
    result = single_nb_execution(nb, cwd=str(Path(path).parent), allow_errors=False, timeout=timeout,
                                 meta_override=True)
    error = None if result.err is None else (result.exc_string or repr(result.err))[-2000:]
    return path, nb, result.time, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(root / "_build" / ".jupyter_cache"))
    todo = []
    for page in toc_pages(root):
        try:
            cache.match_cache_notebook(read(page))
        except KeyError:
            todo.append(page)
    if not todo:
        print("bookexec: every notebook is already cached")
        return 0
    start = time.perf_counter()
    failures = 0
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(_execute, str(p), args.timeout) for p in todo]
        for fut in as_completed(futures):
            path, nb, seconds, error = fut.result()
            name = Path(path).relative_to(root)
            if error:
                failures += 1
                print(f"bookexec: {name} failed ({seconds:.1f} s); the build will re-run it and report:\n{error}")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, path, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"bookexec: {name} executed in {seconds:.1f} s")
    print(f"bookexec: {len(todo)} notebooks, {args.jobs} at a time, in {time.perf_counter() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
