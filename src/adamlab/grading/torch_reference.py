"""Reference rollouts from ``torch.optim`` in float64: the ground truth the grader confirms scores with."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .contract import Case, Contract


def _adam(params, hp, **extra):
    import torch
    return torch.optim.Adam(params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"], **extra)


def _adamw(params, hp):
    import torch
    return torch.optim.AdamW(params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                             weight_decay=hp["weight_decay"])


# contract name -> (optimizer factory, torch state keys in the contract's state order)
TORCH: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "adam_step": (_adam, ("exp_avg", "exp_avg_sq")),
    "adamw_step": (_adamw, ("exp_avg", "exp_avg_sq")),
    "amsgrad_step": (lambda p, hp: _adam(p, hp, amsgrad=True), ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")),
}


def register(name: str, factory: Callable, state_keys: tuple[str, ...]) -> None:
    """Add the torch reference of another contract (used by the other assignments' modules)."""
    TORCH[name] = (factory, state_keys)


def torch_rollout(contract: Contract, case: Case) -> dict[str, np.ndarray]:
    """Run the contract's ``torch.optim`` counterpart on ``case``; same layout as :func:`contract.rollout`."""
    import torch

    factory, keys = TORCH[contract.name]
    hp = {**contract.defaults, **contract.required, **case.hp}
    p = torch.tensor(np.asarray(case.theta0, dtype=np.float64), requires_grad=True)
    opt = factory([p], hp)
    record: dict[str, list] = {n: [] for n in contract.outputs}
    for g in case.grads:
        p.grad = torch.tensor(np.asarray(g, dtype=np.float64))
        opt.step()
        record["theta"].append(p.detach().numpy().copy())
        for name, key in zip(contract.state, keys):
            record[name].append(opt.state[p][key].detach().numpy().copy())
    return {n: np.array(v) for n, v in record.items()}
