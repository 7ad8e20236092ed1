"""The motions exercise 7's checks put the student's ``Adam`` class (and trained ``model``) through.

Standalone on purpose: it imports NumPy and torch only, because the grader copies this file into
the confirmation run's jail (the student's class cannot leave its process), where adamlab cannot
be imported and ``torch.optim.Adam`` does not work. The student's kernel runs the same functions
(the training exercise's grading module beside this file imports them). Everything returned is plain
arrays; the judges, in the grader's own process, compare them with ``torch.optim.Adam``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class Split(NamedTuple):
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def accuracy(model, x, y) -> float:
    """The share of ``x`` that ``model`` classifies as ``y`` (adamlab.lab.training.accuracy)."""
    with torch.no_grad():
        model.eval()
        return float((model(x).argmax(dim=1) == y).float().mean())


def prepare(namespace: dict, setup: dict) -> None:
    """Before any student code runs in the jail: remove torch's fused Adam kernels from reach, and give
    the notebook what its first cell imports from adamlab (which the jail cannot import): ``digits()``
    (the split of ``setup``) and ``accuracy``."""
    split = Split(
        torch.tensor(setup["x_train"], dtype=torch.float32),
        torch.tensor(setup["y_train"], dtype=torch.long),
        torch.tensor(setup["x_test"], dtype=torch.float32),
        torch.tensor(setup["y_test"], dtype=torch.long),
    )
    namespace["digits"] = lambda *args, **kwargs: split
    namespace["accuracy"] = accuracy
    for name in ("_fused_adam_", "_fused_adamw_", "_fused_adam", "_fused_adamw"):
        for owner in (torch, torch._C._VariableFunctions):
            try:
                delattr(owner, name)
            except (AttributeError, TypeError):
                pass


def trajectory(cls, theta0, grads, hp: dict | None) -> np.ndarray:
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = cls([p]) if hp is None else cls([p], **hp)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def hyperparameters(row) -> dict:
    lr, b1, b2, eps, wd = (float(x) for x in row)
    return {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": wd}


def is_real_subclass(cls) -> np.ndarray:
    ok = (
        isinstance(cls, type)
        and issubclass(cls, torch.optim.Optimizer)
        and not issubclass(cls, (torch.optim.Adam, torch.optim.AdamW))
    )
    return np.array([1.0 if ok else 0.0])


def run_defaults(cls, x):
    return {"subclass": is_real_subclass(cls), "theta": trajectory(cls, x["theta0"], x["grads"], None)}


def run_settings(cls, x):
    return {
        f"theta_{i}": trajectory(cls, x["theta0"], x["grads"], hyperparameters(row))
        for i, row in enumerate(x["settings"])
    }


def run_groups(cls, x):
    pa = torch.tensor(x["theta_a"], dtype=torch.float64, requires_grad=True)
    pb = torch.tensor(x["theta_b"], dtype=torch.float64, requires_grad=True)
    opt = cls([{"params": [pa], "lr": 0.05, "betas": (0.5, 0.9)}, {"params": [pb], "weight_decay": 0.1}], lr=0.01)
    ta, tb = [], []
    for ga, gb in zip(x["grads_a"], x["grads_b"], strict=True):
        pa.grad, pb.grad = torch.tensor(ga, dtype=torch.float64), torch.tensor(gb, dtype=torch.float64)
        opt.step()
        ta.append(pa.detach().numpy().copy())
        tb.append(pb.detach().numpy().copy())
    lrs = np.array([float(g["lr"]) for g in opt.param_groups])
    return {"theta_a": np.array(ta), "theta_b": np.array(tb), "group_lrs": lrs}


STATE_NAMES = ("step", "exp_avg", "exp_avg_sq")


def run_state_dict(cls, x):
    """Both hand-overs, the student's side of each: train to the middle and give the state away
    (``ours_state``, loaded into ``torch.optim.Adam`` by the judge), and take torch's state at the
    middle (``x['torch_state']``, computed by the grader) and train on."""
    half = len(x["grads"]) // 2
    p = torch.tensor(x["theta0"], dtype=torch.float64, requires_grad=True)
    opt = cls([p], lr=0.05)
    before = []
    for g in x["grads"][:half]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        before.append(p.detach().numpy().copy())
    state = opt.state_dict()["state"]
    per_param = state.get(0, {}) if isinstance(state, dict) else {}
    ours = {}
    for name in STATE_NAMES:
        if name not in per_param:
            raise RuntimeError(
                f"your state_dict() has no '{name}' for the parameter (it has {sorted(map(str, per_param))}). "
                "Keep per-parameter state under torch's names 'step', 'exp_avg' (m) and 'exp_avg_sq' (v) so "
                "that state_dict() works both ways."
            )
        ours[name] = np.asarray(torch.as_tensor(per_param[name]).detach().double().numpy(), dtype=np.float64)

    given = x["torch_state"]
    p = torch.tensor(given["theta"], dtype=torch.float64, requires_grad=True)
    opt = cls([p], lr=0.05)
    saved = {
        "state": {0: {name: torch.tensor(np.asarray(given[name]), dtype=torch.float64) for name in STATE_NAMES}},
        "param_groups": [{**dict(given["group"]), "params": [0]}],
    }
    saved["state"][0]["step"] = saved["state"][0]["step"].float().reshape(())
    try:
        opt.load_state_dict(saved)
    except Exception as exc:
        raise RuntimeError(
            f"torch.optim.Adam's state_dict could not be loaded into your optimizer ({type(exc).__name__}: {exc}). "
            "Keep per-parameter state under torch's names 'step', 'exp_avg' (m) and 'exp_avg_sq' (v)."
        ) from None
    after = []
    for g in x["grads"][half:]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        after.append(p.detach().numpy().copy())
    return {"ours_before": np.array(before), "ours_state": ours, "ours_after": np.array(after)}


def mlp(hidden: int = 128) -> torch.nn.Module:
    """The network of the training check (adamlab.lab.training.mlp(hidden=128): 64 → hidden → 10)."""
    return torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))


def run_training(cls, x):
    seed = int(x["seed"][0])
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    x_train = torch.tensor(x["x_train"], dtype=torch.float32)
    y_train = torch.tensor(x["y_train"], dtype=torch.long)
    model = mlp()
    opt = cls(model.parameters(), lr=5e-3)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(int(x["epochs"][0])):
        order = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            opt.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    return {name: value.detach().double().numpy() for name, value in model.state_dict().items()}


def run_model(model, x):
    with torch.no_grad():
        model.eval()
        logits = model(torch.tensor(x["x_test"], dtype=torch.float32))
    return {"predictions": logits.argmax(dim=1).double().numpy()}


RUNS = {
    "adam_class:defaults": run_defaults,
    "adam_class:settings": run_settings,
    "adam_class:param_groups": run_groups,
    "adam_class:state_dict": run_state_dict,
    "adam_class:training": run_training,
    "trained_model:accuracy": run_model,
}


def run(target, request: dict):
    """In the jail: the motions of probe ``request['probe']`` on the student's ``target``."""
    if target is None:
        raise NameError("the object this check needs is not defined in the notebook")
    return RUNS[request["probe"]](target, request["inputs"])
