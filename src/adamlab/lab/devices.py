"""Pick where tensors live: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import os

import torch

ENV_VAR = "ADAMLAB_DEVICE"


def device(verbose: bool = True) -> torch.device:
    """Return the best available device, or the one named by ``$ADAMLAB_DEVICE``.

    ``ADAMLAB_DEVICE=cpu`` (or ``cuda``, ``cuda:1``, ``mps``) forces a choice; asking
    for a device this machine lacks is an error, not a silent fallback.
    With ``verbose`` it prints what it chose and why.
    """
    forced = os.environ.get(ENV_VAR, "").strip()
    if forced:
        chosen = torch.device(forced)
        if not _available(chosen):
            raise RuntimeError(f"{ENV_VAR}={forced!r}, but no such device is available on this machine")
        reason = f"forced by {ENV_VAR}"
    elif torch.cuda.is_available():
        chosen, reason = torch.device("cuda"), torch.cuda.get_device_name(0)
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        chosen, reason = torch.device("mps"), "Apple GPU"
    else:
        chosen, reason = torch.device("cpu"), f"no GPU found; {torch.get_num_threads()} CPU threads"
    if verbose:
        print(f"adamlab: using device {chosen} ({reason})")
    return chosen


def _available(d: torch.device) -> bool:
    if d.type == "cpu":
        return True
    if d.type == "cuda":
        return torch.cuda.is_available() and (d.index is None or d.index < torch.cuda.device_count())
    if d.type == "mps":
        return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    return False
