"""What a book run may vary: its base seed and its size, read from the environment.

Every sentence a chapter prints about a training, sampling or timing run must hold on any
machine. The portability check (``tests/tools/test_portability.py``) re-executes those chapters
with another CPU kernel width, one thread and another base seed; these two switches are
how a chapter learns which seed and which size it is run with.

- ``ADAMLAB_SEED`` (default 0): the base seed; a chapter derives all its seeds from it.
- ``ADAMLAB_LARGE=1``: run the larger configuration meant for a GPU, even on a CPU (slow,
  but it checks the GPU configuration's prose on a machine without one). On a CUDA device
  the larger configuration is the default; ``ADAMLAB_LARGE=0`` turns it off.
"""

from __future__ import annotations

import os

SEED_VAR = "ADAMLAB_SEED"
LARGE_VAR = "ADAMLAB_LARGE"


def book_seed() -> int:
    """The base seed of this run: ``$ADAMLAB_SEED``, or 0."""
    raw = os.environ.get(SEED_VAR, "0").strip() or "0"
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_VAR} must be a non-negative integer, got {raw!r}") from None
    if seed < 0:
        raise ValueError(f"{SEED_VAR} must be a non-negative integer, got {seed}")
    return seed


def large_run(device_type: str) -> bool:
    """Whether to run the larger (GPU) configuration on a device of this type ("cpu", "cuda", "mps")."""
    raw = os.environ.get(LARGE_VAR, "").strip()
    if raw not in ("", "0", "1"):
        raise ValueError(f"{LARGE_VAR} must be 0 or 1, got {raw!r}")
    if raw:
        return raw == "1"
    return device_type == "cuda"
