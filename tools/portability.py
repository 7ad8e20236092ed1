"""Execute every page of the book under each CPU configuration a reader's machine may have.

torch picks its CPU kernels by vector width (``ATEN_CPU_CAPABILITY=default|avx2|avx512``) and
sums in an order that depends on the thread count; both change the results of a training run
in its last digits, and a chaotic run in its first. Every chapter's guards assert what its
prose says, so a page that executes under a configuration is a page whose prose holds there.

This runs ``tools/bookexec.py --page`` over every toc page for each configuration this CPU
supports (kernel width × {1 thread, every core}, each with base seed 0, and with 1 thread a
second seed) and prints a Markdown table: configuration, pages passed, failures, minutes.
``make portability`` calls it; ``make test`` runs the single configuration furthest from ``make book``'s
(``--other-machine``: plain kernels, one thread, base seed 1, on the CPU) right after building the book.

Usage: ``python tools/portability.py [--capabilities default,avx2] [--seeds 0,1] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import bookexec

ROOT = Path(__file__).resolve().parents[1]


def supported_capabilities() -> list[str]:
    """The values of ``ATEN_CPU_CAPABILITY`` this CPU can run (torch needs AVX-512 F, BW, VL and DQ)."""
    try:
        flags = set(re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M).group(1).split())
    except (OSError, AttributeError):
        return ["default"]
    found = ["default"]
    if "avx2" in flags:
        found.append("avx2")
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        found.append("avx512")
    return found


def run(env: dict[str, str], jobs: int, pages: list[Path] | None = None) -> tuple[int, int, list[str], float]:
    """Execute ``pages`` (default: every toc page) under ``env``: (passed, total, failed pages, seconds)."""
    pages = pages if pages is not None else bookexec.toc_pages(ROOT)
    command = [sys.executable, str(ROOT / "tools" / "bookexec.py"), "--jobs", str(jobs)]
    for page in pages:
        command += ["--page", str(page.relative_to(ROOT))]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=3600)
    failed = sorted(set(re.findall(r"bookexec: (\S+) FAILED", result.stdout)))
    if result.returncode and not failed:
        failed = [f"(bookexec exited {result.returncode})"]
    passed = result.stdout.count(" executed in ")
    if failed:
        print(result.stdout[result.stdout.find("\nbookexec: ") :], file=sys.stderr)
    return passed, len(pages), failed, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capabilities", default=",".join(supported_capabilities()))
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--seeds", default="0", help="base seeds (ADAMLAB_SEED) for every configuration")
    parser.add_argument("--jobs", type=int, default=2, help="pages executed at a time")
    parser.add_argument(
        "--other-machine",
        action="store_true",
        help="only the configuration furthest from make book's: default kernels, 1 thread, seed 1, CPU",
    )
    args = parser.parse_args(argv)
    if args.other_machine:
        os.environ["ADAMLAB_DEVICE"] = "cpu"
        args.capabilities, args.threads, args.seeds = "default", "1", "1"
    rows, failures = [], 0
    for capability in args.capabilities.split(","):
        for threads in args.threads.split(","):
            for seed in args.seeds.split(","):
                env = {
                    "ATEN_CPU_CAPABILITY": capability,
                    "OMP_NUM_THREADS": threads,
                    "MKL_NUM_THREADS": threads,
                    "ADAMLAB_SEED": seed,
                }
                print(
                    f"portability: ATEN_CPU_CAPABILITY={capability} OMP_NUM_THREADS={threads} ADAMLAB_SEED={seed} ...",
                    flush=True,
                )
                passed, total, failed, seconds = run(env, args.jobs)
                failures += bool(failed)
                rows.append(
                    f"| {capability} | {threads} | {seed} | {passed}/{total} | {', '.join(failed) or '-'} "
                    f"| {seconds / 60:.1f} |"
                )
    print("\n| `ATEN_CPU_CAPABILITY` | threads | seed | pages passed | failed | minutes |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
