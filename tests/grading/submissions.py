"""Wrong submissions for the instructor-flow tests: how they are made (each exercise's test module lists its own).

A :class:`CellSubmission` is a source notebook with one solution cell replaced (the test cells of that
function must lose their points, and the report must name the catalogued mistake or contain ``words``).
A :class:`Submission` is the *released* notebook of the sample assignment (:mod:`adamlab.grading.confirm.samples`)
with its solution cell filled in and, for tampering, extra cells added or test cells changed.
"""

from __future__ import annotations

import copy
import importlib
from typing import NamedTuple

import nbformat

from adamlab.grading.confirm import samples
from adamlab.grading.confirm.samples import adam_step_cells, signature
from adamlab.grading.exercises import EXERCISES, exercise
from conftest import REPO, source_notebook


class CellSubmission(NamedTuple):
    assignment: str
    student: str
    cell: str  # grade_id of the solution cell replaced
    source: str
    mistake: str = ""  # key of the catalogued mistake it must be diagnosed as ("": see words)
    words: str = ""  # or words the report must contain
    targets: tuple[str, ...] = ()  # test cells that must lose their points (default: those of `cell` alone)
    also: tuple[str, ...] = ()  # other functions whose tests may lose points (they call `cell`)


class Submission(NamedTuple):
    student: str
    solution: str | None  # code of the sample cell (None: keep the release's stub)
    expected: float  # the confirmed score it must get
    feedback_words: tuple[str, ...] = ()  # must appear in its feedback HTML
    extra_cells: tuple[str, ...] = ()  # code cells appended after the solution cell
    edit: str | None = None  # a named change to the notebook (see make_notebook)


# --- the sample class (adamlab.grading.confirm.samples) that tests/grading/test_instructor_flow.py grades: the
# solution's cell with each classic mistake, and tampering attempts; each with the confirmed score it must get
# (out of 9).
# book/instructor_guide.md reads WRONG and TAMPERED here (it counts them).
CELLS = adam_step_cells(REPO)  # the solution's cell, and that cell with each classic mistake
CORRECT = CELLS["correct"]
SIGNATURE = signature(CORRECT)

# Points: first_step 1, trajectory 2, pure 1, default (hidden) 2, settings (hidden) 3.
WRONG = [
    Submission("no_bias_correction", CELLS["no_bias_correction"], 1, ("no bias correction",)),
    Submission("eps_inside_sqrt", CELLS["eps_inside_sqrt"], 1, ("inside the square root",)),
    Submission("t_off_by_one", CELLS["t_off_by_one"], 1, ("t off by one",)),
    Submission("missing_one_minus_beta", CELLS["missing_one_minus_beta"], 1, ("(1 − β) factors missing",)),
    Submission("abs_instead_of_square", CELLS["abs_instead_of_square"], 1, ("|g| instead of g²",)),
    Submission("lr_twice", CELLS["lr_twice"], 1, ("learning rate applied twice",)),
    Submission("modifies_inputs", CELLS["modifies_inputs"], 8, ("modified its input",)),
    Submission("returns_input_unchanged", CELLS["returns_input_unchanged"], 1, ("returned unchanged",)),
    Submission("first_step_only", CELLS["first_step_only"], 2, ("right only on the first step",)),
    Submission("float32", CELLS["float32"], 0, ("float64",)),
]

UNCHANGED = CELLS["returns_input_unchanged"]  # honest score: 1 (the purity test)

TAMPERED = [
    # Importing adamlab in a cell of one's own voids every check (0, below the honest 1).
    Submission(
        "tamper_patch_check",
        UNCHANGED,
        0,
        (),
        extra_cells=(
            "import adamlab.grading, adamlab.grading.checks, numpy.testing\n"
            "adamlab.grading.check = adamlab.grading.checks.check = lambda *a, **k: print('✓ correct')\n"
            "globals()['check'] = adamlab.grading.check\n"
            "numpy.testing.assert_allclose = lambda *a, **k: None\n",
        ),
    ),
    Submission(
        "tamper_input_transformer",
        UNCHANGED,
        1,
        (),
        extra_cells=(
            "def _drop_checks(lines):\n    return [l for l in lines if 'check(' not in l]\n"
            "get_ipython().input_transformers_cleanup.append(_drop_checks)\n",
        ),
    ),
    Submission(
        "tamper_event_hook",
        UNCHANGED,
        1,
        (),
        extra_cells=(
            "def _peek(info):\n    print('NEXT CELL:', info.raw_cell[:200])\n"
            "get_ipython().events.register('pre_run_cell', _peek)\n",
        ),
    ),
    Submission(
        "tamper_showtraceback",
        UNCHANGED,
        1,
        (),
        extra_cells=(
            "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
            "ip.set_custom_exc((BaseException,), lambda *a, **k: None)\n",
        ),
    ),
    Submission("tamper_edit_tests", UNCHANGED, 1, (), edit="neuter_tests"),
    Submission("tamper_delete_tests", UNCHANGED, 1, (), edit="delete_tests"),
    Submission(
        "tamper_hardcode_visible",
        SIGNATURE
        + """\
    if theta.shape == (4,) and np.allclose(theta, [5.0, -1.0, 0.5, 2.0]) and t == 1:
        return np.array([4.999, -0.999, 0.49990909090909, 1.999]), (1 - beta1) * grad, (1 - beta2) * grad**2
    return theta.copy(), m.copy(), v.copy()
""",
        1,
    ),
    Submission(
        "tamper_read_solutions",
        """\
import glob, json, os
for _up in ('..', '../..', '../../..', '../../../..'):
    for _p in glob.glob(os.path.join(_up, 'solutions', '*', '*.ipynb')):
        for _c in json.load(open(_p))['cells']:
            if 'def adam_step' in ''.join(_c['source']):
                exec(''.join(_c['source']))
""",
        0,
    ),
    Submission("tamper_kill_kernel", CORRECT + "\nimport os\nos._exit(0)\n", 0),
    # An endless loop, asleep: the kernel's and the confirmation's time limits stop it as they stop a busy one
    # (test_confirm_jail.py stops busy loops in both), without two cores spinning for 10 s each in the class.
    Submission("tamper_infinite_loop", CORRECT + "\nimport time\nwhile True:\n    time.sleep(1)\n", 0),
    Submission("tamper_huge_output", UNCHANGED + "\nprint('x' * 20_000_000)\n", 1),
    Submission(
        "tamper_stderr_honest",
        CORRECT.replace("    m = beta1", "    import sys\n    sys.stderr.write('debug\\n')\n    m = beta1"),
        9,
    ),
    Submission("tamper_corrupt_file", None, 0, (), edit="corrupt"),
    Submission(
        "tamper_reference_in_extra_cell",
        SIGNATURE + "    return ref(theta, grad, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)\n",
        0,
        (),
        extra_cells=("from adamlab.optim import adam_step as ref\n",),
    ),
    Submission(
        "tamper_globals_trick",
        "adam_step = check.__globals__['probe']('adam_step:first_step').run.args[0].reference\n",
        0,
    ),
]


def exercise_tests(name: str):
    """The test module of exercise ``name`` (``tests/test_<name>.py``), where its wrong submissions are listed."""
    return importlib.import_module(f"test_{name}")


def wrong_cells() -> list[CellSubmission]:
    """Every exercise's ``WRONG_CELLS``, in the registry's order."""
    return [s for e in EXERCISES for s in getattr(exercise_tests(e.name), "WRONG_CELLS", ())]


def mistake_title(sub: CellSubmission) -> str:
    """The words the report must contain: the catalogued mistake's title, or ``sub.words``."""
    if not sub.mistake:
        return sub.words
    ex = exercise(sub.assignment)
    spec = next(s for s in (*ex.step_specs, *ex.function_specs) if s.name == sub.cell)
    return next(m.title for m in spec.mistakes if m.key == sub.mistake)


def make_cell_notebook(sub: CellSubmission) -> str:
    """The source notebook with one solution cell replaced by ``sub``'s code."""
    nb = nbformat.read(source_notebook(sub.assignment), as_version=4)
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == sub.cell]
    assert len(cells) == 1, f"{sub.assignment} has no solution cell {sub.cell}"
    cells[0].source = sub.source
    return nbformat.writes(nb)


def make_notebook(release_path: str, sub: Submission) -> str:
    """The text of ``sub``'s notebook, built from the released notebook of the sample assignment."""
    if sub.edit == "corrupt":
        return '{"cells": [ this is not json'
    nb = nbformat.read(release_path, as_version=4)
    cells = []
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid == samples.GRADE_ID and sub.solution is not None:
            cell = copy.deepcopy(cell)
            cell.source = sub.solution
        if gid.startswith("test_") and sub.edit == "delete_tests":
            continue
        if gid.startswith("test_") and sub.edit == "neuter_tests":
            cell = copy.deepcopy(cell)
            cell.source = "pass"
        cells.append(cell)
        if gid == samples.GRADE_ID:
            cells += [nbformat.v4.new_code_cell(src) for src in sub.extra_cells]
    nb.cells = cells
    return nbformat.writes(nb)
