"""FSDP2 for real: ``torch.distributed.fsdp.fully_shard`` on CPU processes (gloo), beside ZeRO-1.

:mod:`adamlab.lab.zero_demo` calls :func:`train_fsdp2` when given ``--fsdp2``, inside the same
``torchrun`` job and process group, on the same network, batches and rate as its ZeRO-1 run::

    torchrun --standalone --nproc_per_node=2 src/adamlab/lab/zero_demo.py --steps 20 --fsdp2

``fully_shard`` is applied to each ``Linear`` and then to the whole model (PyTorch's FSDP2,
Zhao et al., 2023). It turns every parameter into a ``DTensor`` sharded along its first
dimension (``Shard(0)``): each rank stores only its rows. A plain ``torch.optim.Adam`` built
afterwards creates ``exp_avg`` and ``exp_avg_sq`` like the parameters, so they are sharded too,
without the optimizer knowing. In the forward and backward passes FSDP all-gathers each layer's
parameters just before use and frees them after, and reduce-scatters the gradients (averaged over
the ranks): ZeRO stage 3.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.distributed as dist
from torch import nn


def train_fsdp2(
    make_model: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor, shard: slice, lr: float
) -> tuple[nn.Module, torch.optim.Adam]:
    """Train ``make_model()`` with FSDP2 + Adam on this rank's ``shard`` of each batch; return model and optimizer."""
    from torch.distributed.fsdp import fully_shard

    model = make_model()
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            fully_shard(layer)
    fully_shard(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr)  # built after sharding: its state is sharded like the params
    for k in range(len(x)):
        opt.zero_grad()
        nn.functional.mse_loss(model(x[k, shard]), y[k, shard]).backward()  # reduce-scatter: averaged shards
        opt.step()
    return model, opt


def local_summary(model: nn.Module, opt: torch.optim.Adam) -> dict:
    """What this rank stores: parameter elements, Adam state elements, and each parameter's local and global shape."""
    params = dict(model.named_parameters())
    return {
        "rank": dist.get_rank(),
        "param_elements": sum(p.to_local().numel() for p in params.values()),
        "state_elements": sum(
            opt.state[p][key].to_local().numel() for p in params.values() for key in ("exp_avg", "exp_avg_sq")
        ),
        "shapes": {name: [list(p.shape), list(p.to_local().shape), str(p.placements[0])] for name, p in params.items()},
    }


def gather_full(model: nn.Module, opt: torch.optim.Adam) -> tuple[list[torch.Tensor], list[dict]]:
    """Every parameter and Adam moment as a full tensor (a collective: every rank must call it)."""
    params = list(model.parameters())
    full_params = [p.full_tensor() for p in params]
    moments = [{key: opt.state[p][key].full_tensor() for key in ("exp_avg", "exp_avg_sq")} for p in params]
    return full_params, moments
