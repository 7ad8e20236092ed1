"""Data sets that work offline: scikit-learn's bundled 8×8 digits."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


class Split(NamedTuple):
    """Train and test tensors: images flattened to 64 features scaled to [0, 1], integer labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def digits(test_size: float = 0.25, seed: int = 0, dtype: torch.dtype = torch.float32) -> Split:
    """scikit-learn's digits (1,797 images, 10 classes), split with stratification.

    Ships with scikit-learn, so it needs no network. Pixel values 0..16 become 0..1.
    """
    bunch = load_digits()
    x = bunch.data.astype(np.float64) / 16.0
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, bunch.target, test_size=test_size, random_state=seed, stratify=bunch.target
    )

    def as_x(a):
        return torch.as_tensor(a, dtype=dtype)

    def as_y(a):
        return torch.as_tensor(a, dtype=torch.long)

    return Split(as_x(x_tr), as_y(y_tr), as_x(x_te), as_y(y_te))
