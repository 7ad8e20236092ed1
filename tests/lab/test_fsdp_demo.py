"""FSDP2 (``fully_shard``; two gloo processes under torchrun, via zero_demo.py --fsdp2) equals one-process Adam."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import torch.distributed as dist
from test_zero_demo import SCRIPT, torchrun


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed + gloo")
@pytest.mark.skipif(torchrun() is None, reason="torchrun not found")
def test_fsdp2_shards_parameters_and_adam_state_and_matches_single_process_adam(tmp_path):
    out = tmp_path / "zero.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [torchrun(), "--standalone", "--nproc_per_node=2", str(SCRIPT), "--steps", "5", "--fsdp2", "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
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
    assert "max |FSDP2 - single-process Adam|" in proc.stdout
