"""The student kit: the adamlab wheel the exercises' checks come from, and where everything about it is derived.

A student needs no clone, no ``make`` and no root: one install line, then the exercise notebook. The line is::

    python -m pip install https://<the book's site>/kit/adamlab-<version>-py3-none-any.whl

(``%pip install ...`` in a notebook cell on Colab or in any Jupyter). The wheel's checks need NumPy only.

Everything here is derived from ``_config.yml`` (the repository's URL, or ``html.baseurl`` where the book is
hosted elsewhere) and ``pyproject.toml`` (the version), so that a fork changes one line. ``make book`` runs
``python tools/kit.py build``: the wheel goes to ``_build/extra/kit/``, which the book's build copies to
``kit/`` at the root of the site (``html_extra_path`` in ``_config.yml``). Each exercise's first code cell is
``first_cell(assignment)``: it imports the checks and, when they are missing, prints the install line instead
of failing at every check below. After a change of address in ``_config.yml``, ``python tools/kit.py sync``
rewrites the kit's and the site's addresses in the README and the book's pages and the first cells of
``solutions/`` (then ``make release``). tests/tools/test_site_config.py and tests/tools/test_student_kit.py hold
all this to account.

Usage: ``python tools/kit.py build | sync | url | install [ASSIGNMENT]``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tomllib
import yaml

from adamlab.grading.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
EXTRA_DIR = ROOT / "_build" / "extra"  # html_extra_path: copied to the root of the built site
KIT_DIR = EXTRA_DIR / "kit"
STAMP = ROOT / "_build" / "kit.sources"  # what the wheel in KIT_DIR was built from
SOURCES = ("pyproject.toml", "README.md", "src")  # what the wheel is built from
# The pages that tell students how to install the kit (tests/tools/test_site_config.py reads the same list).
INSTRUCTION_PAGES = ("README.md", "book/intro.md", "book/exercises/*.md")
KIT_URL = re.compile(r"https://[^\s`'\"<>()]+/kit/adamlab-[^\s`'\"<>()/]+-py3-none-any\.whl")
WHEEL = re.compile(r"adamlab-[\w.+]+-py3-none-any\.whl")  # the kit's file name, in URLs and relative links


def config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text())


def repository_url(root: Path = ROOT) -> str:
    """The repository's URL, as ``_config.yml`` gives it (the one place it is written)."""
    return config(root)["repository"]["url"].rstrip("/")


def site_url(root: Path = ROOT) -> str:
    """Where the built book is served, ending in ``/``: ``html.baseurl`` if set, else the GitHub Pages
    site of the repository (``https://github.com/ORG/REPO`` is served at ``https://ORG.github.io/REPO/``)."""
    base = (config(root).get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    repo = repository_url(root)
    prefix = "https://github.com/"
    if not repo.startswith(prefix) or repo.count("/") != 4:
        raise ValueError(f"cannot derive the book's site from {repo!r}: set html.baseurl in _config.yml")
    org, name = repo[len(prefix) :].split("/")
    return f"https://{org.lower()}.github.io/{name}/"


def version(root: Path = ROOT) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def wheel_name(root: Path = ROOT) -> str:
    return f"adamlab-{version(root)}-py3-none-any.whl"


def kit_url(root: Path = ROOT) -> str:
    """The wheel's address on the book's site."""
    return f"{site_url(root)}kit/{wheel_name(root)}"


# --------------------------------------------------------------------------------------- the first code cells


# Each exercise declares its first cell (``setup``, an ``engine.probes.NotebookSetup``) in its grading module.
SETUPS = {e.name: e.setup for e in EXERCISES}


def install_line(assignment: str | None = None, root: Path = ROOT) -> str:
    """The ``%pip`` line that installs what ``assignment``'s notebook needs (the kit alone if None)."""
    packages = SETUPS[assignment].packages if assignment else ()
    return " ".join(("%pip install", kit_url(root), *packages))


def first_cell(assignment: str, root: Path = ROOT) -> str:
    """The source of ``assignment``'s first code cell."""
    setup = SETUPS[assignment]
    lines = [*setup.plain, ""]
    lines.append("try:  # the checks come with the adamlab student kit: see the exercise's page in the book")
    lines += [f"    {line}" for line in setup.guarded]
    lines.append("except ModuleNotFoundError as missing:  # say how to install it, rather than fail at every check")
    lines.append('    print(f"{missing}. Run this line in a new cell, then run this cell again:\\n")')
    lines.append(f'    print("{install_line(assignment, root)}")')
    if setup.after:
        lines.append("else:")
        lines += [f"    {line}" for line in setup.after]
    return "\n".join(lines)


def write_first_cells(root: Path = ROOT) -> list[str]:
    """Make the first code cell of every ``solutions/`` notebook ``first_cell``: each notebook is read from
    disk, that one cell changed and written back at once (others may edit the other cells meanwhile)."""
    import nbformat

    changed = []
    for assignment in SETUPS:
        path = root / "solutions" / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code")
        source = first_cell(assignment, root)
        if cell.source != source:
            cell.source = source
            nbformat.write(nb, path)
            changed.append(assignment)
    return changed


def instruction_pages(root: Path = ROOT) -> list[Path]:
    return [path for pattern in INSTRUCTION_PAGES for path in sorted(root.glob(pattern))]


def sync(root: Path = ROOT) -> list[str]:
    """Rewrite every kit address (and the site address it starts with) in the instruction pages to the current
    ones, and the first cells of ``solutions/``; returns what changed."""
    changed = []
    for path in instruction_pages(root):
        text = path.read_text()
        new = text
        for old in sorted(set(KIT_URL.findall(text))):
            new = new.replace(old[: old.index("kit/adamlab-")], site_url(root))
        new = WHEEL.sub(wheel_name(root), KIT_URL.sub(kit_url(root), new))
        if new != text:
            path.write_text(new)
            changed.append(path.relative_to(root).as_posix())
    return changed + [f"solutions/{a}" for a in write_first_cells(root)]


# ------------------------------------------------------------------------------------------------- the wheel


def sources_digest(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc" or any(p.endswith(".egg-info") for p in f.parts):
                continue
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def build_wheel(outdir: Path, root: Path = ROOT) -> Path:
    """Build the wheel into ``outdir`` from a copy of the sources (setuptools writes build/ and *.egg-info
    beside them), without network: setuptools and build come from requirements.txt."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="adamlab-kit-") as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(root / name, source / name)
        shutil.copytree(root / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        run = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(Path(tmp) / "dist"), "."],
            cwd=source,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise RuntimeError(f"building the wheel failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        built = Path(tmp) / "dist" / wheel_name(root)
        if not built.exists():
            raise RuntimeError(f"the build made {sorted(p.name for p in built.parent.iterdir())}, not {built.name}")
        target = outdir / built.name
        shutil.copy(built, target)
    return target


def build(root: Path = ROOT) -> Path:
    """The kit in ``_build/extra/kit/`` (only that wheel there), rebuilt only when its sources changed."""
    target = KIT_DIR / wheel_name(root)
    digest = sources_digest(root)
    if target.exists() and STAMP.exists() and STAMP.read_text() == digest:
        return target
    if KIT_DIR.exists():
        shutil.rmtree(KIT_DIR)
    build_wheel(KIT_DIR, root)
    STAMP.write_text(digest)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "sync", "url", "install"))
    parser.add_argument("assignment", nargs="?")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"student kit: {build().relative_to(ROOT)}")
    elif args.command == "sync":
        changed = sync()
        print(f"rewritten: {', '.join(changed) or 'nothing'}" + (" (now run make release)" if changed else ""))
    elif args.command == "url":
        print(kit_url())
    else:
        print(install_line(args.assignment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
