"""Every wrong solution cell an exercise's test module lists, but the one per exercise in the graded class
(test_instructor_flow.py): confirmed directly, by the jailed confirmation run that decides the score, without
nbgrader. Each loses only the points of its own tests, and the grader names its mistake."""

from __future__ import annotations

import numpy as np
import pytest
from flow_helpers import assert_loses_only_its_tests
from graded_class import GRADED_WRONG_CELLS
from submissions import make_cell_notebook, mistake_title, wrong_cells

from adamlab.grading.confirm import jail
from adamlab.grading.confirm.verify import verify
from conftest import source_notebook

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
