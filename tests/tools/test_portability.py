"""The book's prose holds on another machine: every page executes again, and its guards pass, with
torch's plainest CPU kernels, one thread and another base seed.

`make book` executes each page once, on this machine's widest kernels (AVX-512 or AVX2) and every
core, with seed 0. The guards at the end of each chapter assert what the prose says about that run.
Here the same pages run with ``ATEN_CPU_CAPABILITY=default`` (no vector kernels),
``OMP_NUM_THREADS=1`` and ``ADAMLAB_SEED=1``, which change the order of floating-point sums and every
random draw: a sentence that only held for one of them fails here. The failure names the chapter,
the cell, the values and the command that reproduces it.
"""

import os
import subprocess
import sys

import pytest

import bookexec
from conftest import REPO

OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ADAMLAB_SEED": "1"}


@pytest.mark.slow
def test_every_page_holds_with_plain_kernels_one_thread_and_another_seed():
    pages = bookexec.toc_pages(REPO)
    assert len(pages) >= 10
    command = [sys.executable, str(REPO / "tools" / "bookexec.py"), "--jobs", str(min(2, os.cpu_count() or 1))]
    for page in pages:
        command += ["--page", str(page.relative_to(REPO))]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=1200,
        env={**os.environ, **OTHER_MACHINE, "ADAMLAB_DEVICE": "cpu"},
    )
    assert run.returncode == 0, (
        f"pages whose prose does not hold on another machine:\n{run.stdout}\n{run.stderr[-3000:]}"
    )
    assert run.stdout.count(" executed in ") == len(pages)
