"""Shared fixtures: the repository's root, its exercises, and one nbgrader release per test session."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from filelock import FileLock

os.environ.setdefault("MPLBACKEND", "Agg")
# The test processes (two pytest-xdist workers) and the graded class's jails share the machine's cores: one thread
# each for BLAS and torch, or their thread pools spin against one another (SciPy's matrix functions ran 8x slower).
# A test about threads sets its own count.
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

# The graded class that the instructor-flow and red-team tests share (tests/grading/graded_class.py).
pytest_plugins = ["graded_class"]

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"


def source_notebook(assignment: str) -> Path:
    return REPO / "solutions" / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> Path:
    return REPO / "exercises" / assignment / f"{assignment}.ipynb"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def shared_folder(tmp_path_factory) -> Path:
    """This run's temporary folder that every pytest-xdist worker sees (never an earlier run's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def make_release(out: Path) -> Path:
    """Every assignment in ``solutions/`` released into ``out/release`` (tests/make_release.py)."""
    assignments = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(BIN / "python"), str(REPO / "tests" / "make_release.py"), str(REPO), str(out), *assignments],
        cwd=REPO,
        check=True,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},  # nbgrader's gradebook shells out to alembic
    )
    return out / "release"


def release_once(shared: Path) -> Path:
    """The run's one release in ``shared``: made by whichever process asks first (a test worker, or the graded
    class's background process), then read by all."""
    out = shared / "release_once"
    with FileLock(str(shared / "release_once.lock")):
        if not (out / "complete").exists():
            make_release(out)
            (out / "complete").touch()
    return out / "release"


def clean_venv(folder: Path) -> Path:
    """A fresh venv at ``folder``, its Python returned. It has no pip of its own (``ensurepip`` takes seconds):
    :func:`pip_into` installs into it with this interpreter's pip."""
    import venv

    venv.create(folder, with_pip=False)
    return folder / "bin" / "python"


def pip_into(python: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """``pip <args>`` acting on the environment of ``python`` (``pip --python``)."""
    command = [str(BIN / "python"), "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory) -> Path:
    """Every assignment released once per test run into a temporary folder (``<folder>/<assignment>/...``)."""
    return release_once(shared_folder(tmp_path_factory))
