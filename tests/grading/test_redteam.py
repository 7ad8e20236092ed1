"""Red team: a class of attackers (tests/grading/attacks.py) next to honest students, graded by `make grade`.

Every attack of the adversarial review is in the class: code in nbgrader_config.py, gradebook SQL on
its own and other rows, another student's notebook and the grader's temporary files overwritten, the
source notebook edited, a detached daemon, killing the parent, a zip bomb, fork, memory and disk bombs,
five ways of importing torch, and telling the two runs apart. Asserted: each attacker scores what its own
``adam_step`` earns (0 for a stub), every honest student keeps full marks, no file outside the grader's
outputs changes (the tree is hashed before and after: the course, adamlab's sources and the venv's
``site-packages``), no process an attack started outlives `make grade`, and the whole class is graded.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from attacks import ATTACKS, HONEST, MARKER, leftovers, make_attack_notebook, remove_planted
from test_instructor_flow import ASSIGNMENT, copy_course, grades, make, submit

import adamlab
from adamlab.grading.confirm import jail

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(jail.unavailable() is not None, reason=f"no jail here: {jail.unavailable()}"),
]
PACKAGE = Path(adamlab.__file__).resolve().parent
SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))


def tree_digest(*folders: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """SHA-256 of every file under ``folders`` (symbolic links not followed), but for paths under ``skip``;
    of site-packages, the files at its top (where a ``.pth`` file would run code in every interpreter)."""
    out = {}
    for folder in folders:
        for path in sorted(folder.glob("*") if folder == SITE else folder.rglob("*")):
            rel = str(path)
            if any(rel.startswith(s) for s in skip) or "__pycache__" in path.parts or not path.is_file():
                continue
            if path.is_symlink():
                continue
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def attacked_class(tmp_path_factory, fresh_release):
    root = copy_course(tmp_path_factory.mktemp("redteam") / "adamlab", fresh_release)
    release = root / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for attack in ATTACKS:
        submit(root, attack.student, make_attack_notebook(attack, release))
    outputs = str(root / "_grading")
    submitted = str(root / "_grading" / "submitted")
    before = tree_digest(root, PACKAGE, SITE, skip=(outputs,)) | tree_digest(root / "_grading" / "submitted")
    try:
        output = make(root, "grade").stdout
        after = tree_digest(root, PACKAGE, SITE, skip=(outputs,)) | tree_digest(Path(submitted))
        survivors = [
            line
            for line in subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout.splitlines()
            if MARKER in line and "ps -eo" not in line
        ]
        planted = [p for p in leftovers(root, PACKAGE, SITE, "/tmp") if root / "tests" not in p.parents]
    finally:
        remove_planted(PACKAGE, SITE)  # if the jail failed, never leave the attack in the shared venv
    return root, output, before, after, survivors, planted


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.student)
def test_each_student_scores_what_their_own_code_earns(attacked_class, attack):
    root = attacked_class[0]
    assert grades(root)[attack.student] == attack.expected, f"{attack.student}: {attack.description}"


def test_honest_students_keep_full_marks(attacked_class):
    scores = grades(attacked_class[0])
    assert {s: scores[s] for s in HONEST} == {s: 9.0 for s in HONEST}


def test_no_file_outside_the_graders_outputs_changed(attacked_class):
    _, _, before, after, _, planted = attacked_class
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == [], f"files changed by grading the attackers: {changed[:20]}"
    assert planted == [], f"files an attack planted: {planted[:20]}"


def test_no_process_outlives_make_grade(attacked_class):
    assert attacked_class[4] == [], f"processes left running: {attacked_class[4]}"


def test_the_whole_class_is_graded(attacked_class):
    root, output = attacked_class[0], attacked_class[1]
    assert {a.student for a in ATTACKS} <= set(grades(root))
    assert f"Graded {len(ATTACKS)} submissions" in output
