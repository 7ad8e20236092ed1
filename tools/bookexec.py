"""Execute the book's notebooks: in parallel into Jupyter Book's cache, or one page alone.

``make book`` runs ``python tools/bookexec.py --jobs N`` before ``jupyter-book build``.
Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) executes notebooks one after the
other; this script executes every toc page that is not cached yet, ``--jobs`` at a time,
and stores each result in ``_build/.jupyter_cache`` exactly as myst-nb would (same reader,
same hash, same working directory), so the build that follows finds every page cached.

It prints one line per notebook. When a notebook fails it stops the build with one
message: the chapter, the cell, the failing line, the values of the names and
sub-expressions in a failed ``assert``, the configuration it ran under, and the command
that reproduces the failure alone::

    python tools/bookexec.py --page book/training.md     # execute one page, no cache

Usage: ``python tools/bookexec.py [--jobs N] [--page PAGE ...] [--timeout S]``.
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Environment variables that change what a chapter computes: a reproduction command repeats them.
RUN_VARIABLES = (
    "ATEN_CPU_CAPABILITY",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "ADAMLAB_SEED",
    "ADAMLAB_LARGE",
    "ADAMLAB_DEVICE",
    "ADAMLAB_DATASET",
    "CUDA_VISIBLE_DEVICES",
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def toc_files(root: Path = ROOT) -> list[str]:
    """The pages of ``_toc.yml`` in its order, as paths without suffix: its ``file`` entries, and each ``glob``
    entry's matching ``.md`` pages in sorted order (as sphinx-external-toc sorts them)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            if "glob" in entry:
                matches = root.glob(entry["glob"] + ".md")
                files += sorted(p.relative_to(root).with_suffix("").as_posix() for p in matches)
            else:
                files.append(entry["file"].removesuffix(".md"))
    return files


def toc_pages(root: Path = ROOT) -> list[Path]:
    """The MyST notebooks listed in ``_toc.yml`` (pages with a kernelspec in their header)."""
    pages = []
    for f in toc_files(root):
        path = root / (f + ".md")
        if path.exists() and "kernelspec:" in path.read_text().split("\n---", 1)[0]:
            pages.append(path)
    return pages


def read(path: Path):
    """Read a page the way myst-nb does, so that the cache hash matches."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    return read_myst_markdown_notebook(path.read_text(), config=MdParserConfig(), add_source_map=True, path=str(path))


def reproduce_command(page: Path, root: Path = ROOT) -> str:
    """The shell command that executes ``page`` alone under this process's configuration."""
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in RUN_VARIABLES if os.environ.get(k))
    script = os.path.relpath(Path(__file__).resolve(), root)
    python = ".venv/bin/python" if (root / ".venv/bin/python").exists() else "python"
    return f"{env + ' ' if env else ''}{python} {script} --page {page.relative_to(root).as_posix()}"


# ----------------------------------------------------------------------------- explaining a failure


def failing_line(traceback_text: str) -> int | None:
    """The line of the cell where the error was raised (IPython writes ``Cell In[n], line L``)."""
    text = ANSI.sub("", traceback_text)
    hits = re.findall(r"Cell In\[\d+\], line (\d+)", text)
    return int(hits[-1]) if hits else None


def _python_source(cell_source: str) -> str:
    """The cell with IPython magics blanked out (line numbers kept), so that ``ast`` can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.split("\n"))


def assertion_terms(cell_source: str, line: int, limit: int = 16) -> list[str]:
    """Sub-expressions of the ``assert`` at ``line`` worth printing, outermost first.

    The values of the compared operands, the calls and the names, as pytest shows them;
    constants are left out. An expression that uses a comprehension's own variable cannot
    be evaluated afterwards: the kernel skips it.
    """
    try:
        tree = ast.parse(_python_source(cell_source))
    except SyntaxError:
        return []
    statement = next(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Assert) and node.lineno <= line <= (node.end_lineno or node.lineno)
        ),
        None,
    )
    if statement is None:
        return []
    terms: list[str] = []
    for node in ast.walk(statement.test):
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.BinOp, ast.Compare)):
            text = ast.unparse(node)
            if text not in terms and not isinstance(node, ast.Constant):
                terms.append(text)
    whole = ast.unparse(statement.test)
    return [t for t in terms if t != whole and len(t) < 200][:limit]


EXPLAIN = """
def _bookexec_show(terms):
    import builtins
    for term in terms:
        if callable(getattr(builtins, term, None)):
            continue
        try:
            value = eval(term, globals())
        except Exception:
            continue
        if callable(value) and not hasattr(value, "shape"):
            continue
        text = repr(value).replace("\\n", " ")
        print(f"    {term} = {text[:400]}{' ...' if len(text) > 400 else ''}")
_bookexec_show(TERMS)
del _bookexec_show
import os
try:
    import torch
    _run = (f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
            f"{torch.get_num_threads()} threads")
except Exception:
    _run = "torch not imported"
_vars = ("ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "ADAMLAB_SEED", "ADAMLAB_LARGE")
print(f"  configuration: {_run}; " + ", ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in _vars))
"""


@dataclass
class Failure:
    cell_index: int
    code_cell_number: int
    line: int | None
    source_line: str
    error: str
    values: str


def _explaining_client():
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbformat.v4 import new_code_cell

    class ExplainingClient(NotebookClient):
        """Runs the notebook; on an error, asks the still-running kernel for the values that failed."""

        failure: Failure | None = None

        def create_kernel_manager(self):
            # Local IPC sockets, not TCP: no network port, and no "running over TCP without
            # encryption" warning from every kernel.
            km = super().create_kernel_manager()
            km.transport = "ipc"
            self.socket_dir = tempfile.mkdtemp(prefix="adamlab-kernel-")
            km.ip = os.path.join(self.socket_dir, "kernel")
            return km

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            try:
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            except CellExecutionError as err:
                if self.failure is None and cell.cell_type == "code":
                    self.failure = await self._explain(cell, cell_index, err)
                raise

        async def _explain(self, cell, cell_index, err) -> Failure:
            line = failing_line(str(err))
            lines = cell.source.split("\n")
            source_line = lines[line - 1].strip() if line and line <= len(lines) else ""
            terms = assertion_terms(cell.source, line) if line and err.ename == "AssertionError" else []
            probe = new_code_cell(EXPLAIN.replace("TERMS", repr(terms)))
            try:
                await super().async_execute_cell(probe, cell_index, store_history=False)
                values = "".join(o.get("text", "") for o in probe.outputs if o.get("output_type") == "stream")
            except Exception as probe_error:  # a dead kernel cannot be asked
                values = f"  (the kernel could not be asked for values: {type(probe_error).__name__})\n"
            number = sum(1 for c in self.nb.cells[: cell_index + 1] if c.cell_type == "code")
            error = f"{err.ename}: {err.evalue}".rstrip(": ")
            return Failure(cell_index, number, line, source_line, error, values)

    return ExplainingClient


def execute(path: str, timeout: int) -> tuple[str, object, float, str | None]:
    """Execute one page in a fresh kernel; return (path, notebook, seconds, failure report or None)."""
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # jupyter_client's "TCP without encryption" warnings
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    page = Path(path)
    nb = read(page)
    # record_timing=False: timing metadata in the cells would change the hash myst-nb looks the page up by.
    client = _explaining_client()(
        nb, timeout=timeout, allow_errors=False, record_timing=False, resources={"metadata": {"path": str(page.parent)}}
    )
    start = time.perf_counter()
    report = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        report = describe(page, client.failure, err)
    finally:
        if getattr(client, "socket_dir", None):
            shutil.rmtree(client.socket_dir, ignore_errors=True)
    if report is None:
        report = glue_problems(page, nb)
    return path, nb, time.perf_counter() - start, report


def glue_problems(page: Path, nb) -> str | None:
    """Glued values the book cannot format: a NumPy scalar's text is ``np.float64(0.5)``, which
    ``{glue:text}`name:.2f``` cannot read (a warning, so ``-W`` fails the build after every page ran)."""
    bad = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = next((v for k, v in output.get("data", {}).items() if k.endswith("text/plain")), "")
            if name and re.match(r"^np\.\w+\(", str(text)):
                bad.append(f"{name} = {text}")
    if not bad:
        return None
    return (
        f"{page.resolve().relative_to(ROOT).as_posix()}: glued NumPy scalars, which the book cannot format "
        f"(glue float(...) or int(...) instead):\n    "
        + "\n    ".join(bad)
        + f"\n  reproduce alone: {reproduce_command(page.resolve())}"
    )


def describe(page: Path, failure: Failure | None, err: Exception) -> str:
    name = page.resolve().relative_to(ROOT).as_posix() if page.resolve().is_relative_to(ROOT) else str(page)
    if failure is None:  # a timeout or a dead kernel: no cell to point at
        first = ANSI.sub("", str(err)).strip().splitlines()
        return (
            f"{name}: {type(err).__name__}: {first[-1] if first else ''}\n"
            f"  reproduce alone: {reproduce_command(page.resolve())}"
        )
    where = f"cell {failure.cell_index} (code cell {failure.code_cell_number})"
    if failure.line:
        where += f", line {failure.line}"
    text = [f"{name}, {where}:", f"    {failure.source_line}" if failure.source_line else "", f"  {failure.error}"]
    if failure.values.strip():
        text.append(failure.values.rstrip("\n"))
    text.append(f"  reproduce alone: {reproduce_command(page.resolve())}")
    return "\n".join(t for t in text if t)


# ----------------------------------------------------------------------------- the two modes


def run_pages(pages: list[Path], timeout: int, jobs: int = 1) -> int:
    """Execute ``pages`` in fresh kernels, ``jobs`` at a time, without the cache; 0 when all pass."""
    reports = []
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(pages)))) as pool:
        futures = [pool.submit(execute, str(page), timeout) for page in pages]
        for fut in as_completed(futures):
            path, _, seconds, report = fut.result()
            name = Path(path).resolve().relative_to(ROOT).as_posix()
            if report:
                reports.append(report)
                print(f"bookexec: {name} FAILED ({seconds:.1f} s)", flush=True)
            else:
                print(f"bookexec: {name} executed in {seconds:.1f} s", flush=True)
    for report in reports:
        print(f"\nbookexec: {report}")
    return 1 if reports else 0


def fill_cache(root: Path, jobs: int, timeout: int) -> int:
    """Execute every uncached toc page, ``jobs`` at a time, into Jupyter Book's cache; 0 when all pass."""
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
    reports = []
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(execute, str(p), timeout) for p in todo]
        for fut in as_completed(futures):
            path, nb, seconds, report = fut.result()
            name = Path(path).relative_to(root).as_posix()
            if report:
                reports.append(report)
                print(f"bookexec: {name} FAILED ({seconds:.1f} s)", flush=True)
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, path, data={"execution_seconds": seconds}), check_validity=False, overwrite=True
            )
            print(f"bookexec: {name} executed in {seconds:.1f} s", flush=True)
    print(f"bookexec: {len(todo)} notebooks, {jobs} at a time, in {time.perf_counter() - start:.1f} s")
    for report in reports:
        print(f"\nbookexec: a notebook failed, so the book is not built.\n  {report}")
    return 1 if reports else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help="notebooks executed at a time (default: every core; with --page, 1)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument(
        "--page",
        action="append",
        type=Path,
        help="execute this page in a fresh kernel, without the cache (repeatable; one at a time unless --jobs)",
    )
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.page:
        missing = [p for p in args.page if not p.is_file()]
        if missing:
            parser.error(f"no such page: {', '.join(map(str, missing))}")
        return run_pages(args.page, args.timeout, args.jobs or 1)
    return fill_cache(args.root.resolve(), args.jobs or os.cpu_count() or 1, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
