"""The graded class shared by the instructor-flow and red-team tests: one `make grade` for both (a pytest plugin
that tests/conftest.py loads).

The class: every exercise's solution and blank release; one wrong solution cell per exercise (but the torch
exercise) and two of the sample assignment's wrong solutions; the sample assignment's tampering attempts
(submissions.py); and the red team (attacks.py) but four of its five torch attackers, next to honest students.
The submissions left out are confirmed directly, without nbgrader, in test_confirmed_directly.py. Around the one
`make grade`, the grading hashes everything grading must not change and lists the processes an attack left.

The class takes minutes to grade, mostly waiting for kernels: it is graded in the background, in a process started
as soon as the tests are collected, while the other tests run; the tests that read it are put last.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import NamedTuple

import pytest
from attacks import ATTACKS, MARKER, leftovers, make_attack_notebook, remove_planted
from filelock import FileLock
from flow_helpers import ASSIGNMENT, copy_course, make, submit
from submissions import TAMPERED, WRONG, make_cell_notebook, make_notebook, wrong_cells

import adamlab
from adamlab.grading.exercises import EXERCISES, exercise
from conftest import release_once, shared_folder, source_notebook

PACKAGE = Path(adamlab.__file__).resolve().parent
SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))


def one_per_assignment(cells):
    """The first wrong cell of each assignment confirmed in the NumPy jail (the rest are confirmed directly). The
    torch exercise's solution and blank release take its path through the class; each of its wrong cells would
    import torch twice more (kernel and confirmation: about 10 s of CPU)."""
    seen, out = set(), []
    for sub in cells:
        if sub.assignment not in seen and exercise(sub.assignment).jail_profile != "torch":
            seen.add(sub.assignment)
            out.append(sub)
    return out


GRADED_WRONG_CELLS = one_per_assignment(wrong_cells())
# Of the sample assignment's wrong solutions, one that loses most points and one that loses one (a different path
# through the report and the feedback); the others are confirmed directly, like the other wrong cells.
GRADED_WRONG = [sub for sub in WRONG if sub.student in ("no_bias_correction", "modifies_inputs")]
# Of the red team's torch attackers, the first: the others differ from it only in how their adam_step reaches torch,
# which the confirmation alone decides, and each would import torch in its kernel (about 5 s of CPU). They are
# confirmed directly in test_confirmed_directly.py.
TORCH_ATTACKS = [a for a in ATTACKS if a.kind == "torch"]
GRADED_ATTACKS = [a for a in ATTACKS if a.kind != "torch" or a == TORCH_ATTACKS[0]]


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


def _shared_folder(config) -> Path:
    return shared_folder(config._tmp_path_factory)


_grader: subprocess.Popen | None = None  # the background grading this process started, if it did


def _reads_the_class(item) -> bool:
    return "graded_class" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(session, config, items):
    """Put the tests that read the graded class last (the order pytest-xdist hands out files in, with
    ``--no-loadscope-reorder``)."""
    items.sort(key=_reads_the_class)  # stable: the others keep their order


def pytest_collection_finish(session):
    """Start grading the class now (once per run, whichever worker comes first) if a selected test reads it, so
    that it is graded while the other tests run."""
    global _grader
    if session.config.option.collectonly or not any(_reads_the_class(item) for item in session.items):
        return
    shared = _shared_folder(session.config)
    with FileLock(str(shared / "graded_class.lock")):
        if (shared / "graded_class.started").exists():
            return
        (shared / "graded_class.started").touch()
        path = os.pathsep.join(str(p) for p in session.config.getini("pythonpath"))  # its helpers, as pytest finds them
        with open(shared / "graded_class.log", "w") as log:
            _grader = subprocess.Popen(
                [sys.executable, __file__, str(shared)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": path},
            )


def pytest_unconfigure(config):
    """A worker that started the grading waits for it (another worker may still be waiting for the class)."""
    if _grader is not None:
        _grader.wait()


@pytest.fixture(scope="session")
def graded_class(request) -> GradedClass:
    """The class graded in the background (see the module docstring): wait for it."""
    shared = _shared_folder(request.config)
    done, failed = shared / "graded_class.json", shared / "graded_class.failed"
    deadline = time.monotonic() + 30 * 60
    while not done.exists():
        if failed.exists():
            pytest.fail(f"grading the class failed:\n{failed.read_text()[-5000:]}", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(f"the class was not graded in 30 minutes; log: {shared / 'graded_class.log'}", pytrace=False)
        time.sleep(1)
    fields = json.loads(done.read_text())
    return GradedClass(**{**fields, "root": Path(fields["root"]), "planted": [Path(p) for p in fields["planted"]]})


def grade_the_class(root: Path, fresh_release: Path) -> GradedClass:
    """Submit the whole class to a copy of the course at ``root``, run `make grade`, and record what changed."""
    root = copy_course(root, fresh_release)
    release = root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for sub in GRADED_WRONG + TAMPERED:
        submit(root, sub.student, make_notebook(str(release), sub))
    for sub in GRADED_WRONG_CELLS:
        submit(root, sub.student, make_cell_notebook(sub), sub.assignment)
    for a in (e.name for e in EXERCISES):  # every assignment: its solution and its blank release
        submit(root, "correct", source_notebook(a).read_text(), a)
        submit(root, "blank", (root / "exercises" / a / f"{a}.ipynb").read_text(), a)
    for attack in GRADED_ATTACKS:
        submit(root, attack.student, make_attack_notebook(attack, release))
    outputs, submitted = str(root / "_grading"), root / "_grading" / "submitted"
    before = tree_digest(root, PACKAGE, SITE, skip=(outputs,)) | tree_digest(submitted)
    try:
        output = make(root, "grade WORKERS=4").stdout  # four jails at a time: grading mostly waits for kernels
        after = tree_digest(root, PACKAGE, SITE, skip=(outputs,)) | tree_digest(submitted)
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        survivors = [line for line in ps.splitlines() if MARKER in line and "ps -eo" not in line]
        # (the attacks' own source, tests/grading/attacks.py, holds the marker in every copy of the repository)
        planted = [p for p in leftovers(root, PACKAGE, SITE, "/tmp") if p.name != "attacks.py"]
    finally:
        remove_planted(PACKAGE, SITE)  # were the jail broken, never leave an attack in the shared venv
    return GradedClass(root, output, before, after, survivors, planted)


def main(shared: Path) -> None:
    """Grade the class into ``shared`` (the background process that :func:`pytest_collection_finish`
    starts): ``graded_class.json`` when done, ``graded_class.failed`` with the traceback if not."""
    try:
        release = release_once(shared)
        result = grade_the_class(shared / "course" / "adamlab", release)
        partial = shared / "graded_class.json.partial"
        partial.write_text(json.dumps(result._asdict(), default=str))
        partial.rename(shared / "graded_class.json")
    except BaseException:
        (shared / "graded_class.failed").write_text(traceback.format_exc())
        raise


if __name__ == "__main__":
    main(Path(sys.argv[1]))
