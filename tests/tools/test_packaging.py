"""Packaging: each part of adamlab declares what it imports, and a built wheel works in a clean environment."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import kit
from conftest import REPO, clean_venv, pip_into

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
STDLIB = set(sys.stdlib_module_names)
# import name -> distribution name, where they differ
DISTRIBUTION = {"sklearn": "scikit-learn", "IPython": "ipython", "yaml": "pyyaml"}
# which extra each subpackage of adamlab may draw on (the base dependencies always)
PART_EXTRAS = {"optim": {"book", "fast"}, "problems": {"book"}, "lab": {"book", "fast"}, "grading": {"grading"}}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def _third_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {m for m in found if m not in STDLIB and m not in ("adamlab", "__future__")}


def test_every_import_of_each_part_is_declared_by_its_extras():
    base = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = {k: {_name(r) for r in v} for k, v in PYPROJECT["project"]["optional-dependencies"].items()}
    missing = []
    for path in sorted((REPO / "src" / "adamlab").rglob("*.py")):
        parts = path.relative_to(REPO / "src" / "adamlab").parts
        allowed = set(base)
        for extra in PART_EXTRAS.get(parts[0], set()) if len(parts) > 1 else set():
            allowed |= extras[extra]
        for module in _third_party_imports(path):
            if DISTRIBUTION.get(module, module).lower() not in allowed:
                missing.append(f"{'/'.join(parts)} imports {module}")
    assert not missing, "imports no dependency or extra declares:\n" + "\n".join(missing)


def test_torch_is_pinned_the_same_in_pyproject_and_requirements():
    requirements = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    pins = {_name(r): r.replace(" ", "") for r in requirements if r}
    declared = [
        r.replace(" ", "")
        for v in PYPROJECT["project"]["optional-dependencies"].values()
        for r in v
        if _name(r) == "torch"
    ]
    assert declared and set(declared) == {pins["torch"]} == {"torch==2.13.0"}


@pytest.mark.slow
def test_the_wheel_works_in_a_clean_venv_with_numpy_only(tmp_path):
    """Build the wheel (no network: setuptools from requirements.txt), install it with NumPy alone, use it."""
    wheel = kit.build_wheel(tmp_path / "dist")  # what `make book` serves as the student kit
    env_dir = tmp_path / "clean"
    python = clean_venv(env_dir)
    # NumPy from the index (as a student's `pip install` gets it); adamlab itself from the wheel just built.
    install = pip_into(python, "install", "--quiet", str(wheel))
    assert install.returncode == 0, install.stderr[-2000:]
    listed = pip_into(python, "list", "--format=freeze")
    installed = {line.split("==")[0].lower() for line in listed.stdout.split()}
    assert installed == {"adamlab", "numpy"}, installed
    use = (
        "import numpy as np\n"
        "from adamlab.grading import check\n"
        "def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        "    m = beta1 * m + (1 - beta1) * grad\n"
        "    v = beta2 * v + (1 - beta2) * grad * grad\n"
        "    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v\n"
        "check('adam_step', adam_step, 'trajectory')\n"
    )
    run = subprocess.run(
        [str(python), "-c", use],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert run.returncode == 0 and "correct" in run.stdout, run.stdout + run.stderr
    grade = subprocess.run([str(env_dir / "bin" / "adamlab-grade"), "--help"], capture_output=True, text=True)
    assert grade.returncode == 0 and "grade" in grade.stdout, grade.stdout + grade.stderr
