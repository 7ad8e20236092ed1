"""What every check is: a :class:`Probe` (inputs, a run where student code runs, a judge where it does not),
and what every exercise is: an :class:`Exercise` (its probes, which test cell runs which, its policy).

``make_inputs(rng)`` gives the inputs as a plain tree (:mod:`.transport`): the fixed, visible ones when
``rng`` is None, fresh random ones otherwise. ``run(obj, inputs)`` exercises the student's object and
returns a plain tree. ``judge(inputs, outputs)`` returns ``None`` or the message for the student; the
grader calls ``confirm`` instead when it is given (a reference it trusts more, ``torch.optim``). In the
student's kernel all of them run together (:func:`adamlab.grading.check_probe`); when grading, ``run``
happens in the sandbox and the judge in the grader's own process, where no student code has run.

A leaf module: it imports nothing of adamlab.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

DEFAULT_FORBIDDEN = ("adamlab", "torch")


@dataclass(frozen=True)
class Probe:
    name: str  # "function:suite"
    function: str  # the name of the student's object in the notebook
    make_inputs: Callable[[np.random.Generator | None], Any]
    run: Callable[[Any, Any], Any]
    judge: Callable[[Any, Any], str | None]
    confirm: Callable[[Any, Any], str | None] | None = None
    visible: bool = True  # fixed inputs in the kernel (rng None); False: fresh entropy (hidden tests)
    # (message, key of the named mistake) versions of judge and confirm, where the probe names mistakes
    judge_verdict: Callable[[Any, Any], tuple[str | None, str | None]] | None = None
    confirm_verdict: Callable[[Any, Any], tuple[str | None, str | None]] | None = None

    @property
    def suite(self) -> str:
        return self.name.split(":", 1)[1]

    def verdict(self, inputs: Any, outputs: Any) -> tuple[str | None, str | None]:
        """The kernel's verdict: the message (``None``: passed) and the key of the catalogued mistake it
        names (``None`` when it names none)."""
        if self.judge_verdict is not None:
            return self.judge_verdict(inputs, outputs)
        message = self.judge(inputs, outputs)
        return message, key_of(message)

    def grader_verdict(self, inputs: Any, outputs: Any) -> tuple[str | None, str | None]:
        """The grader's verdict (against ``confirm`` when given): the message and the named mistake's key,
        so that the instructor's report can count the most frequent mistakes."""
        if self.confirm is None:
            return self.verdict(inputs, outputs)
        if self.confirm_verdict is not None:
            return self.confirm_verdict(inputs, outputs)
        message = self.confirm(inputs, outputs)
        return message, key_of(message)

    def grader_judge(self, inputs: Any, outputs: Any) -> str | None:
        return self.grader_verdict(inputs, outputs)[0]


def key_of(message: Any) -> str | None:
    """The key a message carries (:class:`~.messages.Keyed`, made by the diagnosis formatter), else ``None``."""
    return getattr(message, "key", None) if message else None


def seeded(make_inputs: Callable[[np.random.Generator], Any], seed: int = 2015) -> Callable:
    """``make_inputs`` for a probe whose visible inputs are random draws from a fixed ``seed``."""
    return lambda rng: make_inputs(np.random.default_rng(seed) if rng is None else rng)


class NotebookSetup(NamedTuple):
    """An exercise notebook's first code cell (``tools/kit.py`` writes it): plain imports (standard library,
    NumPy), the imports that need the kit or another package (guarded: when they fail, the cell prints the
    install line), what runs once they succeeded, and the packages besides the kit it needs."""

    plain: tuple[str, ...] = ("import numpy as np",)
    guarded: tuple[str, ...] = ("from adamlab.grading import check",)
    after: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()


class Samples(NamedTuple):
    """Classic wrong submissions made from one solution cell of the source notebook
    (:mod:`adamlab.grading.confirm.samples`): ``make bench`` grades a class made of them, and the
    instructor-flow tests check the score and the diagnosis each one gets."""

    cell: str  # the grade_id of the solution cell
    edits: Mapping[str, tuple[tuple[str, str], ...]]  # name -> (old, new) text replacements, applied in order
    rewrites: Mapping[str, str]  # name -> body under the solution's signature line (the whole function rewritten)


@dataclass(frozen=True)
class Exercise:
    """One assignment: which probe confirms each autograded test cell (``tests``: grade_id → probe name),
    the probes, the grader's policy for its solution cells, and its notebook's first cell."""

    name: str
    tests: Mapping[str, str]
    probes: tuple[Probe, ...]
    forbidden_imports: tuple[str, ...] = DEFAULT_FORBIDDEN  # modules that hold reference implementations
    forbidden_code: re.Pattern | None = None  # matched against solution code without strings and comments
    forbidden_note: str = ""  # words for what forbidden_code forbids
    sandbox_timeout: float | None = None  # seconds; None: the sandbox's default
    jail_profile: str = "numpy"  # what the confirmation run may import (adamlab.grading.confirm.jail)
    driver: str | None = None  # a standalone module beside the exercise that runs its probes inside the jail
    driver_setup: Callable[[], Any] | None = None  # what the driver's prepare() gets (plain values)
    step_specs: tuple = field(default=())  # the step functions' specs (for tests and tools)
    function_specs: tuple = field(default=())  # the plain functions' specs
    setup: NotebookSetup = NotebookSetup()  # the notebook's first code cell (default: NumPy and ``check``)
    samples: Samples | None = None  # set by one exercise: the sample class made of its solution

    def probe(self, name: str) -> Probe:
        for p in self.probes:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no probe {name!r}")
