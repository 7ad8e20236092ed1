"""Grading for adamlab's exercises: checks that name the mistake, and scores confirmed outside the kernel.

- :mod:`.contract`: the engine (rollouts, first departure, mistake diagnosis);
- :mod:`.adam_family` (and siblings): each exercise function's contract and mistake catalogue;
- :mod:`.checks`: what notebook test cells call;
- :mod:`.sandbox`, :mod:`.verify`: the grader's independent confirmation in a fresh process;
- :mod:`.pipeline`, :mod:`.cli`: ``make grade``.
"""

from .checks import check
from .probes import check_probe

__all__ = ["check", "check_probe"]
