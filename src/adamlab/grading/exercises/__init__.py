"""The course's exercises, in order: the one registry of what the grader checks.

Each module ``exNN_name.py`` holds one assignment: its specs and references, its mistake
catalogues, its probes, which probe confirms each autograded test cell, and its grading
policy, as one :class:`~adamlab.grading.engine.probes.Exercise` named ``EXERCISE``.
Adding an exercise adds its module here, once (see CONTRIBUTING.md).
"""

from __future__ import annotations

from ..engine.probes import Exercise, Probe
from . import (
    ex01_gradient_descent,
    ex02_sgd,
    ex03_momentum,
    ex04_adaptive,
    ex05_adam,
    ex06_variants,
    ex07_training,
    ex08_beyond,
)

EXERCISES: tuple[Exercise, ...] = tuple(
    m.EXERCISE
    for m in (
        ex01_gradient_descent,
        ex02_sgd,
        ex03_momentum,
        ex04_adaptive,
        ex05_adam,
        ex06_variants,
        ex07_training,
        ex08_beyond,
    )
)

PROBES: dict[str, Probe] = {}
for _exercise in EXERCISES:
    for _probe in _exercise.probes:
        if PROBES.setdefault(_probe.name, _probe) is not _probe:
            raise ValueError(f"two probes are named {_probe.name!r}")


def exercise(name: str) -> Exercise:
    """The exercise (assignment) called ``name``."""
    for e in EXERCISES:
        if e.name == name:
            return e
    raise KeyError(f"no exercise named {name!r}; known: {[e.name for e in EXERCISES]}")


def probe(name: str) -> Probe:
    """The probe called ``name`` (``"adam_step:first_step"``, ``"adam_class:defaults"``...), in any exercise."""
    try:
        return PROBES[name]
    except KeyError:
        raise KeyError(f"no probe named {name!r}; known: {sorted(PROBES)}") from None
