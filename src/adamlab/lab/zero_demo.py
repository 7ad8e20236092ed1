"""ZeRO-1 for real: Adam's state sharded across processes, checked against one process.

Launch with two CPU processes (the gloo backend needs no GPU)::

    torchrun --standalone --nproc_per_node=2 src/adamlab/lab/zero_demo.py --steps 20

Every rank builds the same small float64 network, wraps it in
``DistributedDataParallel`` (which averages the gradients over the ranks) and trains
it with ``ZeroRedundancyOptimizer(optimizer_class=torch.optim.Adam)``: each rank keeps
Adam's ``exp_avg``/``exp_avg_sq`` only for the parameters assigned to it, updates those
parameters, and broadcasts them to the other ranks after each step (Rajbhandari et
al., 2020, stage 1, https://arxiv.org/abs/1910.02054).

Rank 0 then trains a copy of the initial network with plain ``torch.optim.Adam`` in a
single process on the whole batch (the concatenation of the ranks' shards) and prints
the largest difference between the two final sets of parameters and between the two
sets of Adam moments. With ``--json PATH`` it also writes those numbers to ``PATH``.

With ``--fsdp2`` the same job then trains the same network again with FSDP2
(``torch.distributed.fsdp.fully_shard``, :mod:`adamlab.lab.fsdp_demo`): parameters, gradients and
Adam's state all sharded (ZeRO-3), compared with the same single-process reference.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel


def make_model(seed: int = 0) -> nn.Module:
    """A small MLP in float64 (so that the comparison is limited by rounding, not by float32 noise)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 1)
    ).double()


def make_batches(steps: int, batch: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """``steps`` full batches of a smooth regression problem: shapes (steps, batch, 16) and (steps, batch, 1)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, batch, 16, generator=g, dtype=torch.float64)
    y = torch.sin(x.sum(dim=-1, keepdim=True)) + 0.1 * torch.randn(steps, batch, 1, generator=g, dtype=torch.float64)
    return x, y


def state_numel(optimizer: torch.optim.Optimizer) -> int:
    """Number of elements in an optimizer's per-parameter tensors (``exp_avg``, ``exp_avg_sq``; not ``step``)."""
    return sum(t.numel() for s in optimizer.state.values() for k, t in s.items() if k != "step")


def train_single_process(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float) -> torch.optim.Adam:
    """The reference: plain Adam, one process, each step on the whole batch ``x[k]``."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for k in range(len(x)):
        opt.zero_grad()
        nn.functional.mse_loss(model(x[k]), y[k]).backward()
        opt.step()
    return opt


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64, help="global batch, split evenly over the ranks")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--backend", default="gloo", help="gloo (CPU) or nccl (one GPU per rank)")
    parser.add_argument("--json", default=None, help="rank 0 writes its results to this file")
    parser.add_argument("--fsdp2", action="store_true", help="also train with FSDP2 (fully_shard) and compare")
    args = parser.parse_args(argv)

    dist.init_process_group(backend=args.backend)  # torchrun sets RANK, WORLD_SIZE, MASTER_ADDR, ...
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be divisible by the number of ranks ({world})")
    torch.set_num_threads(1)
    if args.backend == "nccl":  # one GPU per process: LOCAL_RANK is this process's index on its node
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")

    model = make_model().to(device)  # same seed on every rank; DDP also broadcasts rank 0's weights
    initial = copy.deepcopy(model)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=torch.optim.Adam, lr=args.lr)

    x, y = (t.to(device) for t in make_batches(args.steps, args.batch))
    shard = slice(rank * args.batch // world, (rank + 1) * args.batch // world)  # this rank's part of each batch
    for k in range(args.steps):
        opt.zero_grad()
        nn.functional.mse_loss(ddp(x[k, shard]), y[k, shard]).backward()  # DDP all-reduces (averages) the grads
        opt.step()  # each rank updates its own parameters, then they are broadcast

    local = {
        "rank": rank,
        "state_elements": state_numel(opt.optim),
        "params_owned": sum(p.numel() for g in opt.optim.param_groups for p in g["params"]),
    }
    everyone = [None] * world
    dist.all_gather_object(everyone, local)
    opt.consolidate_state_dict(to=0)  # collective: every rank sends its shard of the state to rank 0
    fsdp = None
    if args.fsdp2:
        from adamlab.lab import fsdp_demo

        fsdp_model, fsdp_opt = fsdp_demo.train_fsdp2(lambda: make_model().to(device), x, y, shard, args.lr)
        fsdp_local = fsdp_demo.local_summary(fsdp_model, fsdp_opt)
        fsdp_everyone = [None] * world
        dist.all_gather_object(fsdp_everyone, fsdp_local)
        fsdp = (fsdp_everyone, *fsdp_demo.gather_full(fsdp_model, fsdp_opt))
    result = None
    if rank == 0:
        full_state = opt.state_dict()["state"]
        reference = copy.deepcopy(initial)
        ref_opt = train_single_process(reference, x, y, args.lr)
        param_diff = max((a - b).abs().max().item() for a, b in zip(model.parameters(), reference.parameters()))
        moment_diff = max(
            (full_state[i][key] - ref_opt.state[p][key]).abs().max().item()
            for i, p in enumerate(reference.parameters())
            for key in ("exp_avg", "exp_avg_sq")
        )
        n_params = sum(p.numel() for p in model.parameters())
        result = {
            "world_size": world,
            "steps": args.steps,
            "parameters": n_params,
            "single_process_state_elements": state_numel(ref_opt),
            "ranks": everyone,
            "max_param_diff": param_diff,
            "max_moment_diff": moment_diff,
        }
        print(f"ZeRO-1 with {world} ranks ({args.backend}), {n_params:,} parameters, {args.steps} Adam steps")
        for r in everyone:
            print(
                f"  rank {r['rank']}: owns {r['params_owned']:>5,} parameters, keeps {r['state_elements']:>6,} "
                f"state elements ({r['state_elements'] / (2 * n_params):.0%} of Adam's m and v)"
            )
        print(f"  one process keeps {state_numel(ref_opt):,} state elements")
        print(f"  max |ZeRO - single-process Adam|: parameters {param_diff:.1e}, moments {moment_diff:.1e}")
        if fsdp is not None:
            fsdp_ranks, full_params, full_moments = fsdp
            ref_params = list(reference.parameters())
            result["fsdp2"] = {
                "ranks": fsdp_ranks,
                "max_param_diff": max((a - b).abs().max().item() for a, b in zip(full_params, ref_params)),
                "max_moment_diff": max(
                    (m[key] - ref_opt.state[p][key]).abs().max().item()
                    for m, p in zip(full_moments, ref_params)
                    for key in ("exp_avg", "exp_avg_sq")
                ),
            }
            fs = result["fsdp2"]
            print(f"FSDP2 (fully_shard) with {world} ranks: parameters and Adam state sharded along dim 0")
            for r in fsdp_ranks:
                print(
                    f"  rank {r['rank']}: keeps {r['param_elements']:>5,} parameters, {r['state_elements']:>6,} "
                    f"state elements ({r['state_elements'] / (2 * n_params):.0%} of Adam's m and v)"
                )
            for name, (full, _local, placement) in fsdp_ranks[0]["shapes"].items():
                shards = " + ".join(str(tuple(r["shapes"][name][1])) for r in fsdp_ranks)
                print(f"    {name:<9} {str(tuple(full)):>9} = {shards} ({placement})")
            print(
                f"  max |FSDP2 - single-process Adam|: parameters {fs['max_param_diff']:.1e}, "
                f"moments {fs['max_moment_diff']:.1e}"
            )
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
    dist.destroy_process_group()
    return result


if __name__ == "__main__":
    if "RANK" not in os.environ:
        sys.exit("launch with: torchrun --standalone --nproc_per_node=2 " + " ".join(sys.argv))
    main()
