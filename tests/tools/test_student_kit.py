"""The student kit in a clean environment: a fresh venv holding only NumPy and ipykernel, as a student's would.

Before the kit is installed, each exercise's first cell, run by a real Jupyter kernel of that venv, prints the
line that installs it (no traceback). Then the kit (the wheel ``tools/kit.py`` builds, as ``make book`` does)
installs with nothing but NumPy, and every released exercise notebook, its solution cells filled in from
``solutions/``, passes all its visible checks there. Exercise 7 gets PyTorch, scikit-learn and tqdm first (the
torch of requirements.txt: the CPU wheel on these machines). Exercise 6's plot needs matplotlib, which the kit
does not: its plotting cell is left out in the NumPy-only venv.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

import kit
from conftest import REPO, clean_venv, pip_into, release_notebook, source_notebook

pytestmark = pytest.mark.slow

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
NEEDS_TORCH = {a for a in ASSIGNMENTS if "torch" in kit.SETUPS[a].packages}
CELL_TIMEOUT = 300  # seconds; a visible check takes well under one


@dataclass
class StudentEnv:
    root: Path
    python: Path
    kernels: Path  # a kernelspec folder whose "kit" kernel runs this venv's Python
    first_cells: dict[str, list] = field(default_factory=dict)  # outputs of each first cell, before the kit
    added_by_kit: set[str] = field(default_factory=set)  # distributions the kit's install added


def _pip(python: Path, *args: str) -> None:
    run = pip_into(python, "install", "--quiet", "--no-compile", *args)
    assert run.returncode == 0, f"pip install {' '.join(args)} failed:\n{run.stderr[-3000:]}"


def _installed(python: Path) -> set[str]:
    listed = pip_into(python, "list", "--format=freeze")
    assert listed.returncode == 0, listed.stderr[-2000:]
    return {line.split("==")[0].lower() for line in listed.stdout.split()}


def _execute(env: StudentEnv, cells: list[str] | list, cwd: Path) -> nbformat.NotebookNode:
    """Run the cells in a fresh kernel of the student's venv; raises CellExecutionError on any error."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [c if isinstance(c, nbformat.NotebookNode) else nbformat.v4.new_code_cell(c) for c in cells]
    km = KernelManager(kernel_name="kit", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(env.kernels)]))
    try:
        NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(cwd)}}).execute()
    finally:  # nbclient leaves a kernel it was handed running
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


@pytest.fixture(scope="module")
def student_env(tmp_path_factory) -> StudentEnv:
    root = tmp_path_factory.mktemp("student")
    wheel = kit.build_wheel(root / "dist")
    python = clean_venv(root / "venv")
    _pip(python, "numpy", "ipykernel")
    kernels = root / "kernels"
    (kernels / "kit").mkdir(parents=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student kit",
        "language": "python",
        # As on a student's machine, the kernels write bytecode (the next one then imports IPython without
        # compiling it), whatever this environment says.
        "env": {"PYTHONPATH": "", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": ""},
    }
    (kernels / "kit" / "kernel.json").write_text(json.dumps(spec))
    env = StudentEnv(root, python, kernels)
    work = root / "work"
    work.mkdir()
    # Before the kit: adamlab is not importable, and every first cell says how to install it.
    probe = subprocess.run([str(python), "-c", "import adamlab"], capture_output=True, cwd=work)
    assert probe.returncode != 0, "the clean venv can import adamlab before the kit is installed"
    nb = _execute(env, [kit.first_cell(a) for a in ASSIGNMENTS], work)
    env.first_cells = {a: cell.outputs for a, cell in zip(ASSIGNMENTS, nb.cells)}
    before = _installed(python)
    _pip(python, "--no-index", str(wheel))  # its one dependency, NumPy, is there: nothing to fetch
    env.added_by_kit = _installed(python) - before
    return env


def test_the_kit_adds_adamlab_alone_to_numpy_and_ipykernel(student_env):
    assert student_env.added_by_kit == {"adamlab"}, student_env.added_by_kit
    assert not {"torch", "matplotlib", "nbgrader", "jupyter-book", "numba"} & _installed(student_env.python)


def test_the_checks_import_with_numpy_only(student_env):
    run = subprocess.run(
        [str(student_env.python), "-c", "from adamlab.grading import check, check_probe"],
        capture_output=True,
        text=True,
        cwd=student_env.root / "work",
    )
    assert run.returncode == 0, f"adamlab.grading needs more than NumPy:\n{run.stderr[-2000:]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_first_cell_without_the_kit_prints_the_install_line(student_env, assignment):
    outputs = student_env.first_cells[assignment]
    errors = [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert not errors, f"{assignment}: the first cell failed instead of printing the install line: {errors}"
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert kit.install_line(assignment) in printed.splitlines(), f"{assignment} printed:\n{printed}"


def _with_solutions(assignment: str, *, matplotlib: bool) -> tuple[list, list[int]]:
    """The released notebook's code cells with the solutions filled in, and the indices of its visible tests."""
    source = nbformat.read(source_notebook(assignment), as_version=4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    cells, visible = [], []
    for cell in nbformat.read(release_notebook(assignment), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = solutions[meta["grade_id"]]
        elif not matplotlib and "plt." in cell.source:
            continue  # a demonstration's plot: matplotlib is not part of the kit
        elif meta.get("grade") and not meta["grade_id"].endswith("_hidden"):
            visible.append(len(cells))
        cells.append(cell)
    return cells, visible


def _run_exercise(env: StudentEnv, assignment: str, *, matplotlib: bool) -> None:
    cells, visible = _with_solutions(assignment, matplotlib=matplotlib)
    assert visible, f"{assignment} has no visible test cell"
    work = env.root / "work" / assignment
    work.mkdir(parents=True, exist_ok=True)
    nb = _execute(env, cells, work)
    for i in visible:
        printed = "".join(o.get("text", "") for o in nb.cells[i].outputs if o.output_type == "stream")
        assert "correct" in printed, f"{assignment}: visible test cell {i} printed {printed!r}"


@pytest.mark.parametrize("assignment", sorted(set(ASSIGNMENTS) - NEEDS_TORCH))
def test_visible_checks_pass_with_numpy_only(student_env, assignment):
    _run_exercise(student_env, assignment, matplotlib=False)


@pytest.fixture(scope="module")
def torch_env(student_env) -> StudentEnv:
    pins = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    torch = next(p for p in pins if p.startswith("torch=="))
    packages = {p for a in NEEDS_TORCH for p in kit.SETUPS[a].packages} - {"torch"}
    _pip(student_env.python, torch, *sorted(packages))
    return student_env


@pytest.mark.parametrize("assignment", sorted(NEEDS_TORCH))
def test_visible_checks_pass_with_torch(torch_env, assignment):
    _run_exercise(torch_env, assignment, matplotlib=False)
