"""ZeRO-1 (ZeroRedundancyOptimizer + DDP) and FSDP2 (``fully_shard``, lab/fsdp_demo.py) each equal one-process
Adam: one run of zero_demo.py --fsdp2 with two gloo processes under torchrun, as the "at scale" chapter runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import torch.distributed as dist

import adamlab

# The script's path, without importing it here (importing torch.distributed.optim is slow and noisy).
SCRIPT = Path(adamlab.__file__).parent / "lab" / "zero_demo.py"


def torchrun() -> str | None:
    """The venv's torchrun (next to this Python), else one on PATH."""
    here = Path(sys.executable).parent / "torchrun"
    return str(here) if here.exists() else shutil.which("torchrun")


pytestmark = [
    pytest.mark.skipif(
        not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed + gloo"
    ),
    pytest.mark.skipif(torchrun() is None, reason="torchrun not found"),
]


class Run(NamedTuple):
    result: dict  # what rank 0 wrote with --json
    stdout: str


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    """Both demos in one torchrun (starting two processes that import torch.distributed takes seconds)."""
    out = tmp_path_factory.mktemp("zero") / "zero.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [torchrun(), "--standalone", "--nproc_per_node=2", str(SCRIPT), "--steps", "10", "--fsdp2"]
    proc = subprocess.run([*cmd, "--json", str(out)], capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Run(json.loads(out.read_text()), proc.stdout)


def test_zero1_matches_single_process_adam(run):
    result = run.result
    assert result["world_size"] == 2
    assert result["max_param_diff"] <= 1e-6 and result["max_moment_diff"] <= 1e-6
    owned = [r["params_owned"] for r in result["ranks"]]
    state = [r["state_elements"] for r in result["ranks"]]
    assert sum(owned) == result["parameters"] and min(owned) > 0  # every parameter has exactly one owner
    assert sum(state) == result["single_process_state_elements"] == 2 * result["parameters"]  # m and v, sharded
    assert max(state) < result["single_process_state_elements"]
    assert "max |ZeRO - single-process Adam|" in run.stdout


def test_fsdp2_shards_parameters_and_adam_state_and_matches_single_process_adam(run):
    result = run.result
    fsdp = result["fsdp2"]
    assert fsdp["max_param_diff"] <= 1e-12 and fsdp["max_moment_diff"] <= 1e-12
    params = [r["param_elements"] for r in fsdp["ranks"]]
    state = [r["state_elements"] for r in fsdp["ranks"]]
    assert sum(params) == result["parameters"] and sum(state) == 2 * result["parameters"]  # each element once
    assert all(s == 2 * p for s, p in zip(state, params))  # m and v live where their parameter lives
    assert max(state) < 0.6 * sum(state)  # dim-0 sharding of every tensor: close to half each
    for name, (full, local, placement) in fsdp["ranks"][0]["shapes"].items():
        other = fsdp["ranks"][1]["shapes"][name][1]
        assert local[0] + other[0] == full[0] and local[1:] == full[1:] == other[1:], name  # rows split
        assert placement == "S(0)"
    assert "max |FSDP2 - single-process Adam|" in run.stdout
