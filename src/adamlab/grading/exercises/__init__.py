"""The course's exercises: the one registry of what the grader checks.

Each module ``exNN_name.py`` holds one assignment: its specs and references, its mistake
catalogues, its probes, which probe confirms each autograded test cell, its grading policy and
its notebook's first cell, as one :class:`~adamlab.grading.engine.probes.Exercise` named ``EXERCISE``.
Adding an exercise adds one line here, its import (see CONTRIBUTING.md); the course's order is the
order of the names (``exNN_...``), as in the book's table of contents.
"""

from __future__ import annotations

from types import ModuleType

from ..engine.probes import Exercise, Probe
from . import (  # noqa: F401 (one line per exercise; EXERCISES reads them from the namespace)
    ex01_gradient_descent,
    ex02_sgd,
    ex03_momentum,
    ex04_adaptive,
    ex05_adam,
    ex06_variants,
    ex07_training,
    ex08_beyond,
)

# Every module imported above (a package's submodules are names in its namespace), as its EXERCISE.
EXERCISES: tuple[Exercise, ...] = tuple(
    sorted(
        (m.EXERCISE for m in list(globals().values()) if isinstance(m, ModuleType) and hasattr(m, "EXERCISE")),
        key=lambda e: e.name,
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
