"""Contours with optimizer paths, and loss curves."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from ..problems.landscapes import Landscape
from .trajectory import losses


def plot_paths(landscape: Landscape, paths: Mapping[str, np.ndarray], ax=None, levels: int = 30, title=None):
    """Draw ``landscape``'s contours (log-spaced levels) and each named path on them.

    ``paths`` maps a label to an array of shape ``(steps + 1, 2)``, e.g. from
    :func:`adamlab.lab.trajectory.run`. Returns the axes.
    """
    if landscape.dim != 2:
        raise ValueError(f"plot_paths draws 2-D landscapes; {landscape.name} has dimension {landscape.dim}")
    ax = ax or plt.subplots(figsize=(6, 4.5))[1]
    xs = np.linspace(*landscape.xlim, 300)
    ys = np.linspace(*landscape.ylim, 300)
    X, Y = np.meshgrid(xs, ys)
    Z = landscape.f(np.stack([X, Y]))
    shifted = Z - Z.min() + 1e-3
    ax.contour(
        X,
        Y,
        shifted,
        levels=np.geomspace(shifted.min() + 1e-3, shifted.max(), levels),
        cmap="Greys",
        linewidths=0.6,
        alpha=0.8,
    )
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], "-", marker=".", markersize=3, linewidth=1.2, label=label)
    ax.plot(*landscape.start, "ko", markersize=5)
    ax.plot(*landscape.minimum, "r*", markersize=12, label="minimum")
    ax.set_xlim(*landscape.xlim)
    ax.set_ylim(*landscape.ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(title or (f"${landscape.latex}$" if landscape.latex else landscape.name))
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_losses(
    curves: Mapping[str, np.ndarray],
    ax=None,
    log: bool = True,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
):
    """Plot each named loss curve against its index; log scale on y by default."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    for label, curve in curves.items():
        ax.plot(np.arange(len(curve)), curve, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_path_losses(landscape: Landscape, paths: Mapping[str, np.ndarray], ax=None, log: bool = True):
    """Loss curves of paths on one landscape (the value of ``f`` along each path)."""
    curves = {label: losses(landscape, path) for label, path in paths.items()}
    return plot_losses(curves, ax=ax, log=log, ylabel=f"$f$ on {landscape.name}")
