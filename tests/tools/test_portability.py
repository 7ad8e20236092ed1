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

import pytest

import portability

OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ADAMLAB_SEED": "1"}


@pytest.mark.slow
def test_every_page_holds_with_plain_kernels_one_thread_and_another_seed(capsys):
    jobs = min(2, os.cpu_count() or 1)
    passed, total, failed, _ = portability.run({**OTHER_MACHINE, "ADAMLAB_DEVICE": "cpu"}, jobs)
    assert total >= 10
    assert not failed and passed == total, (
        f"pages whose prose does not hold on another machine: {failed}\n{capsys.readouterr().err[-6000:]}"
    )
