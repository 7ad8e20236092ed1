"""One exercise, one place: an exercise's name appears in its own files only, and on one line of the registry.

An exercise is its notebook, its book page, its grading module, one registry line and its test module
(CONTRIBUTING.md), so that adding, renaming or removing one touches nothing else. Everything else finds the
exercises in the registry (the table of contents by a glob, the book's chapters by a label on the page), and
examples in the documentation use a placeholder (``<assignment>``, ``exNN_name``).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from adamlab.grading.exercises import EXERCISES
from conftest import REPO

REGISTRY = "src/adamlab/grading/exercises/__init__.py"


def own_files(name: str) -> tuple[str, ...]:
    """The exercise's own files, as paths or folder prefixes relative to the repository."""
    return (
        f"solutions/{name}/",
        f"exercises/{name}/",
        f"book/exercises/{name}.md",
        f"src/adamlab/grading/exercises/{name}.py",
        f"tests/grading/test_{name}.py",
    )


def _is_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    run = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=REPO, capture_output=True, text=True)
    return run.returncode == 0 and run.stdout.strip() == str(REPO.resolve())


pytestmark = pytest.mark.skipif(
    not _is_checkout(), reason="not a git checkout of the repository (git grep lists the files that name an exercise)"
)


def occurrences(name: str) -> list[tuple[str, int, str]]:
    """``(path, line number, line)`` of every line that names ``name`` in the files git tracks, or would
    (untracked files that are not ignored count: they are about to be committed)."""
    run = subprocess.run(
        ["git", "grep", "--untracked", "-I", "-n", "-z", "-F", "-e", name],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if run.returncode not in (0, 1):  # 1: no match
        raise RuntimeError(f"git grep failed: {run.stderr}")
    found = []
    for line in run.stdout.splitlines():
        path, number, text = line.split("\0", 2)
        found.append((path, int(number), text))
    return found


@pytest.mark.parametrize("name", [e.name for e in EXERCISES])
def test_an_exercise_is_named_only_in_its_own_files_and_one_registry_line(name):
    found = occurrences(name)
    own = own_files(name)
    elsewhere = [f"{p}:{n}: {t.strip()}" for p, n, t in found if p != REGISTRY and not p.startswith(own)]
    assert not elsewhere, (
        f"{name} is named outside its own files ({', '.join(own)}); find it in the registry, or write a "
        "placeholder (<assignment>, exNN_name), instead:\n" + "\n".join(elsewhere)
    )
    registry = [f"{REGISTRY}:{n}: {t.strip()}" for p, n, t in found if p == REGISTRY]
    assert len(registry) == 1, f"{name} must appear on exactly one line of the registry:\n" + "\n".join(registry)


@pytest.mark.parametrize("name", [e.name for e in EXERCISES])
def test_an_exercise_has_its_own_files(name):
    notebook, release, page, module, tests = own_files(name)
    for path in (f"{notebook}{name}.ipynb", f"{release}{name}.ipynb", page, module, tests):
        assert (REPO / path).is_file(), f"{name}: {path} is missing"
