"""The submissions the graded class (graded_class.py) leaves out, confirmed directly by the jailed confirmation run
that decides the score, without nbgrader: every wrong solution cell an exercise's test module lists but those in
the class (one per exercise, none of the torch exercise's; each loses only the points of its own tests, and the
grader names its mistake); the sample assignment's wrong solutions but the two in the class (each gets the score
the class would give it, and the grader's messages say what its feedback would); and the red team's torch
attackers but the one in the class (test_redteam.py)."""

from __future__ import annotations

import numpy as np
import pytest
from attacks import make_attack_notebook
from flow_helpers import assert_loses_only_its_tests
from graded_class import GRADED_ATTACKS, GRADED_WRONG, GRADED_WRONG_CELLS, TORCH_ATTACKS
from submissions import WRONG, make_cell_notebook, make_notebook, mistake_title, wrong_cells

from adamlab.grading.confirm import jail
from adamlab.grading.confirm.samples import ASSIGNMENT
from adamlab.grading.confirm.verify import verify
from conftest import release_notebook, source_notebook

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(jail.unavailable() is not None, reason=f"no jail here: {jail.unavailable()}"),
]


@pytest.mark.parametrize(
    "sub", [s for s in wrong_cells() if s not in GRADED_WRONG_CELLS], ids=lambda s: f"{s.assignment}-{s.student}"
)
def test_every_other_wrong_cell_loses_only_its_tests_when_confirmed(sub, tmp_path):
    path = tmp_path / f"{sub.assignment}.ipynb"
    path.write_text(make_cell_notebook(sub))
    result = verify(
        sub.assignment, sub.student, str(source_notebook(sub.assignment)), str(path), np.random.default_rng(7)
    )
    assert_loses_only_its_tests(sub, {c.grade_id for c in result.cells if not c.passed})
    explained = " ".join(c.message for c in result.cells) + " ".join(result.problems)
    assert mistake_title(sub) in explained, explained[:500]


@pytest.mark.parametrize("sub", [s for s in WRONG if s not in GRADED_WRONG], ids=lambda s: s.student)
def test_every_other_wrong_solution_gets_its_score_and_is_named_when_confirmed(sub, tmp_path):
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    path.write_text(make_notebook(str(release_notebook(ASSIGNMENT)), sub))
    result = verify(ASSIGNMENT, sub.student, str(source_notebook(ASSIGNMENT)), str(path), np.random.default_rng(7))
    assert sum(c.score for c in result.cells) == sub.expected
    explained = " ".join(c.message for c in result.cells) + " ".join(result.problems)
    for words in sub.feedback_words:
        assert words in explained, f"{sub.student}: {words!r} not in {explained[:500]}"


@pytest.mark.parametrize("attack", [a for a in TORCH_ATTACKS if a not in GRADED_ATTACKS], ids=lambda a: a.student)
def test_each_other_torch_attacker_scores_0_when_confirmed(attack, tmp_path):
    """Its adam_step is torch.optim.Adam itself: right in the kernel (where torch is), 0 where it is confirmed,
    because a cell of the student's uses torch or the module system, or because the jail has no torch (the extra
    cell's ``import torch as T`` fails there, and adam_step finds no ``T``)."""
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    path.write_text(make_attack_notebook(attack, release_notebook(ASSIGNMENT)))
    result = verify(ASSIGNMENT, attack.student, str(source_notebook(ASSIGNMENT)), str(path), np.random.default_rng(7))
    assert sum(c.score for c in result.cells) == attack.expected == 0.0, f"{attack.student}: {attack.description}"
    explained = " ".join(c.message for c in result.cells) + " ".join(result.problems)
    assert "reference implementation" in explained or "name 'T' is not defined" in explained, explained[:500]
