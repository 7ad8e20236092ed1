"""Bound over ``torch/optim/adamw.py`` in the torch jail: torch's AdamW is not available there."""

from .adam import WHY, Adam

__all__ = ["AdamW", "adamw"]


class AdamW(Adam):
    pass


def adamw(*args, **kwargs):
    raise RuntimeError(WHY)
