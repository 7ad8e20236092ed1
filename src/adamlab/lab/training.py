"""A small, honest training loop: minibatches, a progress bar, per-epoch metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn
from tqdm.auto import tqdm

from ..problems.data import Split


class History(NamedTuple):
    """Per-epoch mean training loss and test accuracy."""

    train_loss: list[float]
    test_accuracy: list[float]


def mlp(in_features: int = 64, hidden: int = 64, classes: int = 10) -> nn.Module:
    """A one-hidden-layer perceptron."""
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def train(
    model: nn.Module,
    make_optimizer: Callable[[object], torch.optim.Optimizer],
    data: Split,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    seed: int = 0,
    progress: bool = True,
    label: str = "",
) -> History:
    """Train ``model`` with the optimizer ``make_optimizer(model.parameters())`` for ``epochs`` epochs.

    Minibatches are reshuffled each epoch from a seeded generator, so runs are repeatable.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    device = torch.device(device)
    model = model.to(device)
    optimizer = make_optimizer(model.parameters())
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    history = History([], [])
    bar = tqdm(range(epochs), desc=label or type(optimizer).__name__, disable=not progress, leave=False)
    for _ in bar:
        model.train()
        order = torch.randperm(len(x_train), generator=generator).to(device)
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            count += len(idx)
        history.train_loss.append(total / count)
        history.test_accuracy.append(accuracy(model, x_test, y_test))
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", acc=f"{history.test_accuracy[-1]:.3f}")
    return history


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``x`` that ``model`` classifies as ``y``."""
    model.eval()
    return (model(x).argmax(dim=1) == y).float().mean().item()
