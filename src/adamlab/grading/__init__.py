"""Grading for adamlab's exercises: checks that name the mistake, and scores confirmed outside the kernel.

- :mod:`.engine`: one kind of check (a probe: inputs, a run, a judge), step-function and
  plain-function specs, the message formatter, the transport to the confirmation run;
- :mod:`.exercises`: ``EXERCISES``, one module per assignment (its checks, references, mistakes, policy);
- :mod:`.checks`: what notebook test cells call;
- :mod:`.confirm`: the grader's independent confirmation in a sandbox, ``make grade`` and its command line.
"""

from .checks import check, check_probe

__all__ = ["check", "check_probe"]
