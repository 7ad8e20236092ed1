"""ZeRO-1 (ZeroRedundancyOptimizer + DDP, two gloo processes under torchrun) equals one-process Adam."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

import adamlab

# The script's path, without importing it here (importing torch.distributed.optim is slow and noisy).
SCRIPT = Path(adamlab.__file__).parent / "lab" / "zero_demo.py"


def torchrun() -> str | None:
    """The venv's torchrun (next to this Python), else one on PATH."""
    here = Path(sys.executable).parent / "torchrun"
    return str(here) if here.exists() else shutil.which("torchrun")


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed + gloo")
@pytest.mark.skipif(torchrun() is None, reason="torchrun not found")
def test_zero1_matches_single_process_adam(tmp_path):
    out = tmp_path / "zero.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [torchrun(), "--standalone", "--nproc_per_node=2", str(SCRIPT), "--steps", "10", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert result["world_size"] == 2
    assert result["max_param_diff"] <= 1e-6 and result["max_moment_diff"] <= 1e-6
    owned = [r["params_owned"] for r in result["ranks"]]
    state = [r["state_elements"] for r in result["ranks"]]
    assert sum(owned) == result["parameters"] and min(owned) > 0  # every parameter has exactly one owner
    assert sum(state) == result["single_process_state_elements"] == 2 * result["parameters"]  # m and v, sharded
    assert max(state) < result["single_process_state_elements"]
    assert "max |ZeRO - single-process Adam|" in proc.stdout
