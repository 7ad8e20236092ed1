"""Bound over ``torch/optim/adam.py`` in the torch jail: torch's Adam is not available there."""

from torch.optim.optimizer import Optimizer

__all__ = ["Adam", "adam"]
WHY = "torch.optim.Adam is not available to the graded code: the exercise is to write Adam's update yourself."


class Adam(Optimizer):
    def __init__(self, *args, **kwargs):
        raise RuntimeError(WHY)


def adam(*args, **kwargs):
    raise RuntimeError(WHY)
