"""Catalogues of submissions for the instructor-flow tests: wrong solutions and tampering attempts.

Each entry is ``(student id, what to put in the notebook, expected confirmed score, words the
feedback must contain)``. A submission is the released notebook with its solution cell
replaced and, for tampering, extra code added to the solution cell or cells changed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import NamedTuple

import nbformat

from adamlab.grading.sample_submissions import adam_step_cells, signature, solution_code

ROOT = Path(__file__).resolve().parents[1]
CELLS = adam_step_cells(ROOT)  # the solution's adam_step, and that cell with each classic mistake
CORRECT = CELLS["correct"]
SIGNATURE = signature(CORRECT)


class Submission(NamedTuple):
    student: str
    solution: str | None  # code of the adam_step cell (None: keep the release's stub)
    expected: float  # the confirmed score it must get (out of 9)
    feedback_words: tuple[str, ...] = ()  # must appear in its feedback HTML
    extra_cells: tuple[str, ...] = ()  # code cells appended after the solution cell
    edit: str | None = None  # a named change to the notebook (see make_notebook)


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
    Submission("tamper_patch_check", UNCHANGED, 0, (), extra_cells=(
        "import adamlab.grading, adamlab.grading.checks, numpy.testing\n"
        "adamlab.grading.check = adamlab.grading.checks.check = lambda *a, **k: print('✓ correct')\n"
        "globals()['check'] = adamlab.grading.check\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n",)),
    Submission("tamper_input_transformer", UNCHANGED, 1, (), extra_cells=(
        "def _drop_checks(lines):\n    return [l for l in lines if 'check(' not in l]\n"
        "get_ipython().input_transformers_cleanup.append(_drop_checks)\n",)),
    Submission("tamper_event_hook", UNCHANGED, 1, (), extra_cells=(
        "def _peek(info):\n    print('NEXT CELL:', info.raw_cell[:200])\n"
        "get_ipython().events.register('pre_run_cell', _peek)\n",)),
    Submission("tamper_showtraceback", UNCHANGED, 1, (), extra_cells=(
        "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
        "ip.set_custom_exc((BaseException,), lambda *a, **k: None)\n",)),
    Submission("tamper_edit_tests", UNCHANGED, 1, (), edit="neuter_tests"),
    Submission("tamper_delete_tests", UNCHANGED, 1, (), edit="delete_tests"),
    Submission("tamper_hardcode_visible", SIGNATURE + """\
    if theta.shape == (4,) and np.allclose(theta, [5.0, -1.0, 0.5, 2.0]) and t == 1:
        return np.array([4.999, -0.999, 0.49990909090909, 1.999]), (1 - beta1) * grad, (1 - beta2) * grad**2
    return theta.copy(), m.copy(), v.copy()
""", 1),
    Submission("tamper_read_solutions", """\
import json, os
for _up in ('..', '../..', '../../..', '../../../..'):
    _p = os.path.join(_up, 'solutions', 'ex05_adam', 'ex05_adam.ipynb')
    if os.path.exists(_p):
        for _c in json.load(open(_p))['cells']:
            if 'def adam_step' in ''.join(_c['source']):
                exec(''.join(_c['source']))
        break
""", 0),
    Submission("tamper_kill_kernel", CORRECT + "\nimport os\nos._exit(0)\n", 0),
    Submission("tamper_infinite_loop", CORRECT + "\nwhile True:\n    pass\n", 0),
    Submission("tamper_huge_output", UNCHANGED + "\nprint('x' * 20_000_000)\n", 1),
    Submission("tamper_stderr_honest", CORRECT.replace("    m = beta1", "    import sys\n    sys.stderr.write('debug\\n')\n    m = beta1"), 9),
    Submission("tamper_corrupt_file", None, 0, (), edit="corrupt"),
    Submission("tamper_reference_in_extra_cell", SIGNATURE + "    return ref(theta, grad, m, v, t, lr=lr, beta1=beta1, "
               "beta2=beta2, eps=eps)\n", 0, (), extra_cells=("from adamlab.optimizers import adam_step as ref\n",)),
    Submission("tamper_globals_trick", "adam_step = check.__globals__['_contract']('adam_step').reference\n", 0),
]


def make_notebook(release_path: str, sub: Submission) -> str:
    """The text of ``sub``'s notebook, built from the released notebook at ``release_path``."""
    if sub.edit == "corrupt":
        return '{"cells": [ this is not json'
    nb = nbformat.read(release_path, as_version=4)
    cells = []
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid == "adam_step" and sub.solution is not None:
            cell = copy.deepcopy(cell)
            cell.source = sub.solution
        if gid.startswith("test_") and sub.edit == "delete_tests":
            continue
        if gid.startswith("test_") and sub.edit == "neuter_tests":
            cell = copy.deepcopy(cell)
            cell.source = "pass"
        cells.append(cell)
        if gid == "adam_step":
            cells += [nbformat.v4.new_code_cell(src) for src in sub.extra_cells]
    nb.cells = cells
    return nbformat.writes(nb)


# --- ex07_training: wrong optimizer classes, each with the test cells it must lose ---------------
def _ex07_solution() -> str:
    return solution_code(ROOT, "ex07_training", "adam_class")


class ClassSubmission(NamedTuple):
    student: str
    solution: str  # the adam_class cell
    targets: tuple[str, ...]  # test cells that must lose their points
    words: str  # must appear in the grading report for this student


def _ex07(old: str, new: str) -> str:
    source = _ex07_solution()
    assert old in source, old
    return source.replace(old, new)


EX07_WRONG = [
    ClassSubmission("no_bias_correction", _ex07("denom = (v / (1 - beta2**t)).sqrt_().add_(eps)\n"
                                                "                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))",
                                                "p.addcdiv_(m, v.sqrt().add(eps), value=-lr)"),
                    ("test_adam_defaults", "test_adam_param_groups", "test_adam_state_dict", "test_adam_settings_hidden"),
                    "no bias correction"),
    ClassSubmission("ignores_param_groups", _ex07('lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], '
                                                  'group["eps"], group["weight_decay"]',
                                                  'lr, (beta1, beta2), eps, wd = self.defaults["lr"], '
                                                  'self.defaults["betas"], self.defaults["eps"], '
                                                  'self.defaults["weight_decay"]'),
                    ("test_adam_param_groups",), "Read each hyperparameter from the group"),
    ClassSubmission("own_state_names", _ex07('state["exp_avg"] = torch.zeros_like(p)\n'
                                             '                    state["exp_avg_sq"] = torch.zeros_like(p)',
                                             'state["m"] = torch.zeros_like(p)\n'
                                             '                    state["v"] = torch.zeros_like(p)')
                    .replace('m, v = state["exp_avg"], state["exp_avg_sq"]', 'm, v = state["m"], state["v"]'),
                    ("test_adam_state_dict",), "state_dict"),
    ClassSubmission("decoupled_decay", _ex07('grad = p.grad if wd == 0 else p.grad.add(p, alpha=wd)',
                                             'grad = p.grad\n                p.mul_(1 - lr * wd)'),
                    ("test_adam_param_groups", "test_adam_settings_hidden"), "departs"),
    ClassSubmission("subclasses_torch_adam", "class Adam(torch.optim.Adam):\n    pass\n",
                    ("test_adam_defaults", "test_adam_param_groups", "test_adam_state_dict",
                     "test_adam_settings_hidden", "test_adam_training_hidden"), "torch's own optimizers"),
    ClassSubmission("forgets_no_grad", _ex07("    @torch.no_grad()\n    def step", "    def step"),
                    ("test_adam_defaults", "test_adam_param_groups", "test_adam_state_dict",
                     "test_adam_settings_hidden", "test_adam_training_hidden"), "RuntimeError"),
]


def make_class_notebook(release_path: str, sub: ClassSubmission, solution_path: str) -> str:
    """The ex07 solution notebook with its optimizer cell replaced by ``sub``'s."""
    nb = nbformat.read(solution_path, as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "adam_class":
            cell.source = sub.solution
    return nbformat.writes(nb)
