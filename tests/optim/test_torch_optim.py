"""adamlab's readable Adam/AdamW are drop-in replacements for torch.optim's."""

import copy

import pytest
import torch

from adamlab.optim.torch_optim import Adam, AdamW


def model_and_data(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    x, y = torch.randn(32, 5, dtype=torch.float64), torch.randint(0, 3, (32,))
    return model, x, y


def train(model, opt, x, y, steps):
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize(
    "ours,theirs,kw",
    [
        (Adam, torch.optim.Adam, dict(lr=1e-2)),
        (Adam, torch.optim.Adam, dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1)),
        (AdamW, torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05)),
        (AdamW, torch.optim.AdamW, dict(lr=0.3, betas=(0.0, 0.99), weight_decay=0.5)),
    ],
)
def test_matches_torch_over_100_steps(ours, theirs, kw):
    a, x, y = model_and_data()
    b = copy.deepcopy(a)
    train(a, ours(a.parameters(), **kw), x, y, 100)
    train(b, theirs(b.parameters(), **kw), x, y, 100)
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=1e-6)


def test_param_groups_and_state_dict_round_trip_with_torch():
    a, x, y = model_and_data()
    b = copy.deepcopy(a)

    def groups(m):
        return [
            {"params": m[0].parameters(), "lr": 0.05},
            {"params": m[2].parameters(), "weight_decay": 0.1},
        ]

    ours, theirs = Adam(groups(a), lr=0.01), torch.optim.Adam(groups(b), lr=0.01)
    train(a, ours, x, y, 10)
    train(b, theirs, x, y, 10)
    # Swap states across implementations, keep training: still identical.
    ours.load_state_dict(copy.deepcopy(theirs.state_dict()))
    theirs2 = torch.optim.Adam(groups(b), lr=0.01)
    theirs2.load_state_dict(copy.deepcopy(ours.state_dict()))
    train(a, ours, x, y, 10)
    train(b, theirs2, x, y, 10)
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "kw,msg",
    [
        (dict(lr=-1.0), "learning rate"),
        (dict(betas=(1.0, 0.9)), "betas"),
        (dict(eps=-1e-8), "epsilon"),
        (dict(weight_decay=-0.1), "weight_decay"),
    ],
)
def test_rejects_bad_hyperparameters(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Adam([torch.zeros(2, requires_grad=True)], **kw)


def test_adamw_is_adam_with_decoupled_weight_decay_in_its_param_groups():
    """As torch 2.13: the switch is a hyperparameter, so each group carries it and state_dict keeps it."""
    torch.manual_seed(0)
    weights, bias = torch.randn(5, 3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    opt = AdamW([{"params": [weights]}, {"params": [bias], "weight_decay": 0.0}], lr=0.1)
    assert [g["decoupled_weight_decay"] for g in opt.param_groups] == [True, True]
    assert opt.state_dict()["param_groups"][0]["decoupled_weight_decay"] is True
    same = Adam([weights.clone().requires_grad_()], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    theirs = torch.optim.AdamW([weights.clone().requires_grad_()], lr=0.1, weight_decay=0.5)
    l2 = Adam([weights.clone().requires_grad_()], lr=0.1, weight_decay=0.5)
    for _ in range(20):
        for o in (same, theirs, l2):
            p = o.param_groups[0]["params"][0]
            p.grad = torch.sin(p.detach())
            o.step()
    ours, ref, coupled = (o.param_groups[0]["params"][0].detach() for o in (same, theirs, l2))
    assert torch.allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(coupled, ref, rtol=1e-3)  # L2 through m and v is another rule
