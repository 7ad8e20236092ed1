"""adamlab's readable Adam/AdamW are drop-in replacements for torch.optim's."""

import copy

import pytest
import torch

from adamlab.torch_adam import Adam, AdamW


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


@pytest.mark.parametrize("ours,theirs,kw", [
    (Adam, torch.optim.Adam, dict(lr=1e-2)),
    (Adam, torch.optim.Adam, dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1)),
    (AdamW, torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05)),
    (AdamW, torch.optim.AdamW, dict(lr=0.3, betas=(0.0, 0.99), weight_decay=0.5)),
])
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
    groups = lambda m: [  # noqa: E731
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


@pytest.mark.parametrize("kw,msg", [
    (dict(lr=-1.0), "learning rate"), (dict(betas=(1.0, 0.9)), "betas"),
    (dict(eps=-1e-8), "epsilon"), (dict(weight_decay=-0.1), "weight_decay"),
])
def test_rejects_bad_hyperparameters(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Adam([torch.zeros(2, requires_grad=True)], **kw)
