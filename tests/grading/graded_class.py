"""The graded class shared by the instructor-flow and red-team tests: one `make grade` for both (a pytest plugin
that tests/conftest.py loads).

The class: every exercise's solution and blank release; one wrong solution cell per exercise (the others are
confirmed directly, without nbgrader, in test_instructor_flow.py); the sample assignment's wrong solutions and
tampering attempts (submissions.py); and the red team (attacks.py), next to honest students. Around the one
`make grade`, the fixture hashes everything grading must not change and lists the processes an attack left.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from attacks import ATTACKS, MARKER, leftovers, make_attack_notebook, remove_planted
from filelock import FileLock
from flow_helpers import ASSIGNMENT, copy_course, make, submit
from submissions import TAMPERED, WRONG, make_cell_notebook, make_notebook, wrong_cells

import adamlab
from adamlab.grading.exercises import EXERCISES
from conftest import source_notebook

PACKAGE = Path(adamlab.__file__).resolve().parent
SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))


def one_per_assignment(cells):
    """The first wrong cell of each assignment (the rest are confirmed directly)."""
    seen, out = set(), []
    for sub in cells:
        if sub.assignment not in seen:
            seen.add(sub.assignment)
            out.append(sub)
    return out


GRADED_WRONG_CELLS = one_per_assignment(wrong_cells())


def tree_digest(*folders: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """SHA-256 of every file under ``folders`` (links not followed), but for paths under ``skip``; of
    site-packages, the files at its top (where a ``.pth`` file would run code in every interpreter)."""
    out = {}
    for folder in folders:
        for path in sorted(folder.glob("*") if folder == SITE else folder.rglob("*")):
            rel = str(path)
            if any(rel.startswith(s) for s in skip) or "__pycache__" in path.parts:
                continue
            if path.is_symlink() or not path.is_file():
                continue
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


class GradedClass(NamedTuple):
    root: Path
    output: str  # make grade's stdout
    before: dict[str, str]  # digests of what grading must not change
    after: dict[str, str]
    survivors: list[str]  # processes an attack left running
    planted: list[Path]  # files an attack left outside the course


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory, fresh_release) -> GradedClass:
    """Graded once per test run: under pytest-xdist, the first worker to need it grades, the others wait for it
    (a lock and a JSON file in the temporary folder all workers share)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this run's, never an earlier run's
    done = shared / "graded_class.json"
    with FileLock(str(shared / "graded_class.lock")):
        if not done.exists():
            done.write_text(
                json.dumps(grade_the_class(shared / "course" / "adamlab", fresh_release)._asdict(), default=str)
            )
    fields = json.loads(done.read_text())
    return GradedClass(**{**fields, "root": Path(fields["root"]), "planted": [Path(p) for p in fields["planted"]]})


def grade_the_class(root: Path, fresh_release: Path) -> GradedClass:
    """Submit the whole class to a copy of the course at ``root``, run `make grade`, and record what changed."""
    root = copy_course(root, fresh_release)
    release = root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for sub in WRONG + TAMPERED:
        submit(root, sub.student, make_notebook(str(release), sub))
    for sub in GRADED_WRONG_CELLS:
        submit(root, sub.student, make_cell_notebook(sub), sub.assignment)
    for a in (e.name for e in EXERCISES):  # every assignment: its solution and its blank release
        submit(root, "correct", source_notebook(a).read_text(), a)
        submit(root, "blank", (root / "exercises" / a / f"{a}.ipynb").read_text(), a)
    for attack in ATTACKS:
        submit(root, attack.student, make_attack_notebook(attack, release))
    outputs, submitted = str(root / "_grading"), root / "_grading" / "submitted"
    before = tree_digest(root, PACKAGE, SITE, skip=(outputs,)) | tree_digest(submitted)
    try:
        output = make(root, "grade").stdout
        after = tree_digest(root, PACKAGE, SITE, skip=(outputs,)) | tree_digest(submitted)
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        survivors = [line for line in ps.splitlines() if MARKER in line and "ps -eo" not in line]
        # (the attacks' own source, tests/grading/attacks.py, holds the marker in every copy of the repository)
        planted = [p for p in leftovers(root, PACKAGE, SITE, "/tmp") if p.name != "attacks.py"]
    finally:
        remove_planted(PACKAGE, SITE)  # were the jail broken, never leave an attack in the shared venv
    return GradedClass(root, output, before, after, survivors, planted)
