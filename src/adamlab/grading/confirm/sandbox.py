"""Run a student's code in a fresh, limited process and bring back only plain arrays.

The child (:mod:`adamlab.grading.confirm._child`) starts from nothing the student touched:
a new interpreter (``python -I``: no user site, no ``PYTHONPATH``, no current
directory on the path), an empty working directory, a scrubbed environment, CPU,
memory and file-size limits, and a wall-clock timeout after which its whole
process group is killed. Requests and results cross as plain trees (:mod:`..engine.transport`),
read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from ..engine import transport

TIMEOUT_S = float(os.environ.get("ADAMLAB_SANDBOX_TIMEOUT", "60"))  # seconds of wall clock
MEMORY_BYTES = 6 * 2**30
FILE_BYTES = 64 * 2**20
CPU_SECONDS = 120


@dataclass
class SandboxResult:
    """The student's outputs per request item (dict of arrays, or an error dict), and what went wrong."""

    items: list  # per plan item: {"error": None, "outputs": tree} or {"error": key, "message": str}
    problem: str | None  # None, or why the child produced no result (timeout, killed, crashed...)
    stderr_tail: str


def _limits() -> None:
    os.setsid()
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_student_code(cells: list[str], plan: list[tuple[str, object]], timeout: float | None = None) -> SandboxResult:
    """Execute ``cells`` in a fresh process, then run each ``(probe name, inputs)`` of ``plan`` on the
    student's objects; the inputs come from the probe's ``make_inputs``."""
    timeout = TIMEOUT_S if timeout is None else timeout
    with tempfile.TemporaryDirectory(prefix="adamlab-sandbox-") as workdir:
        with open(os.path.join(workdir, "cells.json"), "w") as f:
            json.dump(cells, f)
        transport.write(
            os.path.join(workdir, "request.npz"),
            {"items": [{"probe": name, "inputs": inputs} for name, inputs in plan]},
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": workdir,
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if var in os.environ:
                env[var] = os.environ[var]
        with open(os.path.join(workdir, "stdout"), "wb") as out, open(os.path.join(workdir, "stderr"), "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "adamlab.grading.confirm._child", workdir],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_limits,
            )
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return SandboxResult([], f"timed out after {timeout:.0f} s (an infinite loop?)", _tail(workdir))
            finally:
                _kill_group(proc)  # also ends anything the student's code left running
        return _read_result(workdir, code, len(plan))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(workdir: str, n: int = 2000) -> str:
    try:
        with open(os.path.join(workdir, "stderr"), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _read_result(workdir: str, code: int, n_items: int) -> SandboxResult:
    path = os.path.join(workdir, "result.npz")
    stderr = _tail(workdir)
    if not os.path.exists(path):
        why = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return SandboxResult([], f"the student's code ended the process before any result ({why})", stderr)
    try:
        items = transport.read(path)["items"]
        if not isinstance(items, list) or len(items) != n_items:
            raise ValueError("the result does not match the request")
        for item in items:
            if item["error"]:
                item["message"] = str(item.get("message", ""))[:2000]
    except Exception as exc:  # a forged or truncated result file
        return SandboxResult([], f"unreadable result ({type(exc).__name__}: {exc})", stderr)
    return SandboxResult(items, None, stderr)
