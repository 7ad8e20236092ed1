"""Red team: a class of attackers (tests/grading/attacks.py) next to honest students, graded by `make grade`.

Every attack of the adversarial review is in the class: code in nbgrader_config.py, gradebook SQL on
its own and other rows, another student's notebook and the grader's temporary files overwritten, the
source notebook edited, a detached daemon, killing the parent, a zip bomb, fork, memory and disk bombs,
five ways of importing torch, and telling the two runs apart. Asserted: each attacker scores what its own
``adam_step`` earns (0 for a stub), every honest student keeps full marks, no file outside the grader's
outputs changes (the tree is hashed before and after: the course, adamlab's sources and the top of the
venv's ``site-packages``), no process an attack started outlives `make grade`, and the whole class is graded.
The class is graded once, with the instructor-flow tests' (graded_class.py). Four of the five torch attackers
are confirmed directly (test_confirmed_directly.py): each differs from the one in the class only in how its
``adam_step`` reaches torch, which the kernel lets it do and the confirmation alone judges.
"""

from __future__ import annotations

import pytest
from attacks import HONEST
from flow_helpers import grades
from graded_class import GRADED_ATTACKS

from adamlab.grading.confirm import jail

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(jail.unavailable() is not None, reason=f"no jail here: {jail.unavailable()}"),
]


@pytest.mark.parametrize("attack", GRADED_ATTACKS, ids=lambda a: a.student)
def test_each_student_scores_what_their_own_code_earns(graded_class, attack):
    assert grades(graded_class.root)[attack.student] == attack.expected, f"{attack.student}: {attack.description}"


def test_honest_students_keep_full_marks(graded_class):
    scores = grades(graded_class.root)
    assert {s: scores[s] for s in HONEST} == {s: 9.0 for s in HONEST}


def test_no_file_outside_the_graders_outputs_changed(graded_class):
    before, after = graded_class.before, graded_class.after
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == [], f"files changed by grading the attackers: {changed[:20]}"
    assert graded_class.planted == [], f"files an attack planted: {graded_class.planted[:20]}"


def test_no_process_outlives_make_grade(graded_class):
    assert graded_class.survivors == [], f"processes left running: {graded_class.survivors}"


def test_the_whole_class_is_graded(graded_class):
    root, output = graded_class.root, graded_class.output
    assert {a.student for a in GRADED_ATTACKS} <= set(grades(root))
    assert "Graded " in output and "per minute" in output
