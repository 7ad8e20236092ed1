"""Animated optimizer paths, embedded in a page as JavaScript (``FuncAnimation.to_jshtml``).

The frames are images inside the HTML, so keep them few and small: the defaults
(30 JPEG frames of 5 x 3.75 inches at 72 dpi) give about half a megabyte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from ..problems.landscapes import Landscape
from .plotting import plot_paths

if TYPE_CHECKING:
    from IPython.display import HTML

MAX_FRAMES = 60


def frame_indices(steps: int, frames: int) -> np.ndarray:
    """``frames`` path indices from 0 to ``steps``, evenly spaced (fewer if the path is shorter)."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}")
    return np.unique(np.linspace(0, steps, min(frames, steps + 1)).round().astype(int))


def path_animation(
    landscape: Landscape,
    paths: Mapping[str, np.ndarray],
    *,
    ax: Axes,
    frames: int = 30,
    interval: int = 100,
    title: str | None = None,
) -> FuncAnimation:
    """Draw ``landscape`` on ``ax`` and animate each path growing step by step.

    ``paths`` maps a label to an array of shape ``(steps + 1, 2)`` as returned by
    :func:`adamlab.lab.trajectory.run`; all paths must have the same length.
    A frame shows every path up to the same step, so speeds can be compared.

    The static part (contours, ticks, labels, legend) is rendered once into an
    image behind the axes; each frame then redraws only the paths, which makes
    rendering several times faster. Call ``ax.figure.tight_layout()`` (or otherwise
    fix the layout) *before* this function, not after.
    """
    if frames > MAX_FRAMES:
        raise ValueError(f"at most {MAX_FRAMES} frames keep the page small; got {frames}")
    lengths = {len(p) for p in paths.values()}
    if len(lengths) != 1:
        raise ValueError(f"all paths must have the same number of points, got lengths {sorted(lengths)}")
    steps = lengths.pop() - 1
    plot_paths(landscape, {}, ax=ax, levels=20, title=title)
    static = [*ax.collections, *ax.lines]
    lines = [ax.plot([], [], "-", marker=".", markersize=3, linewidth=1.4, label=label)[0] for label in paths]
    heads = [ax.plot([], [], "o", color=line.get_color(), markersize=6)[0] for line in lines]
    counter = ax.text(0.02, 0.97, "", transform=ax.transAxes, va="top", fontsize=9)
    legend = ax.legend(fontsize=7, loc="lower right")
    _freeze_background(ax, static=[*static, legend])
    indices = frame_indices(steps, frames)
    arrays = list(paths.values())

    def draw(frame: int):
        k = indices[frame]
        for line, head, path in zip(lines, heads, arrays):
            line.set_data(path[: k + 1, 0], path[: k + 1, 1])
            finite = path[: k + 1][np.isfinite(path[: k + 1]).all(axis=1)]
            head.set_data(finite[-1:, 0], finite[-1:, 1])
        counter.set_text(f"step {k}")
        return [*lines, *heads, counter]

    return FuncAnimation(ax.figure, draw, frames=len(indices), interval=interval, blit=False)


def _freeze_background(ax: Axes, static: list[Artist]) -> None:
    """Render the figure without the moving artists, show that image behind ``ax``, hide the originals."""
    fig = ax.figure
    moving = [a for a in (*ax.lines, *ax.texts) if a not in static]
    for artist in moving:
        artist.set_visible(False)
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba()).copy()
    for artist in moving:
        artist.set_visible(True)
    for artist in static:
        artist.set_visible(False)
    ax.set_title("")
    ax.set_axis_off()
    ax.patch.set_visible(False)
    backdrop = fig.add_axes((0.0, 0.0, 1.0, 1.0), zorder=-1)
    backdrop.imshow(image, aspect="auto", interpolation="nearest")
    backdrop.set_axis_off()


def animate_paths(
    landscape: Landscape,
    paths: Mapping[str, np.ndarray],
    *,
    frames: int = 30,
    interval: int = 100,
    figsize: tuple[float, float] = (5.0, 3.75),
    dpi: int = 72,
    title: str | None = None,
    frame_format: str = "jpeg",
) -> HTML:
    """Render :func:`path_animation` as an ``IPython.display.HTML`` player and close the figure.

    Use it as the last line of a notebook cell; the page then shows a player with
    play, pause and step buttons. The animation starts paused and plays once.
    Frames are embedded as JPEG by default: half the size of PNG for these pictures.
    """
    import matplotlib as mpl
    from IPython.display import HTML

    heading = title or (f"${landscape.latex}$" if landscape.latex else landscape.name)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    ax.set(xlim=landscape.xlim, ylim=landscape.ylim, xlabel="$x$", ylabel="$y$", title=heading)
    fig.tight_layout()  # fix the layout before the background is frozen
    try:
        anim = path_animation(landscape, paths, ax=ax, frames=frames, interval=interval, title=heading)
        with mpl.rc_context({"animation.frame_format": frame_format}):
            html = anim.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    # matplotlib's player links Font Awesome 4 from a CDN for its button icons; the book's theme
    # already ships Font Awesome, which draws the same `fa fa-play` icons: drop the link (offline pages).
    html = re.sub(r'<link rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/[^"]*">\s*', "", html)
    return HTML(html)
