"""Checks of things that are not step functions: a probe runs, a judge decides.

A :class:`Probe` has three parts. ``make_inputs(rng)`` draws inputs (plain arrays);
``run(obj, inputs)`` exercises the student's object (a function or a class) and
returns plain arrays; ``judge(inputs, outputs)`` says what is wrong, or ``None``.
In the student's kernel all three run together (:func:`check_probe`). When grading,
``run`` happens in the sandbox with the student's object and ``judge`` in the
grader's own process, where no student code has run — so a judge may compute its
reference with ``torch.optim`` or NumPy, never with anything the student touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

Arrays = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Probe:
    name: str
    function: str  # the name of the student's object in the notebook
    make_inputs: Callable[[np.random.Generator], dict[str, np.ndarray]]
    run: Callable[[Any, Arrays], dict[str, np.ndarray]]
    judge: Callable[[Arrays, Arrays], str | None]
    visible_seed: int | None = 2015  # fixed inputs in the kernel; None: fresh entropy (hidden tests)


PROBES: dict[str, Probe] = {}


def register(probe: Probe) -> Probe:
    """Make ``probe`` known to the kernel-side checks, the sandbox and the grader."""
    if probe.name in PROBES and PROBES[probe.name] is not probe:
        raise ValueError(f"two probes are named {probe.name!r}")
    PROBES[probe.name] = probe
    return probe


def probe(name: str) -> Probe:
    _load_all()
    try:
        return PROBES[name]
    except KeyError:
        raise KeyError(f"no probe named {name!r}; known: {sorted(PROBES)}") from None


def as_arrays(outputs: Any, probe_name: str) -> dict[str, np.ndarray]:
    """Validate what ``run`` returned: a dict of names to float64 arrays (nothing else crosses the sandbox)."""
    if not isinstance(outputs, dict):
        raise TypeError(f"probe {probe_name} returned {type(outputs).__name__}, not a dict")
    return {str(k): np.asarray(v, dtype=np.float64) for k, v in outputs.items()}


def check_probe(name: str, obj: Any, *, seed: int | None = None) -> None:
    """Kernel side: run probe ``name`` on the student's ``obj``; raise ``AssertionError`` naming the problem."""
    p = probe(name)
    if seed is None:
        seed = p.visible_seed if p.visible_seed is not None else int.from_bytes(os.urandom(8), "little")
    inputs = p.make_inputs(np.random.default_rng(seed))
    try:
        outputs = as_arrays(p.run(obj, inputs), name)
    except NotImplementedError:
        raise AssertionError(f"{p.function} is not implemented yet (it raised NotImplementedError).") from None
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(f"{p.function} raised {type(exc).__name__}: {exc}") from None
    problem = p.judge(inputs, outputs)
    if problem:
        raise AssertionError("\n" + problem)
    print(f"✓ {p.function}: {name.split(':')[-1].replace('_', ' ')} — correct.")


def _load_all() -> None:
    """Import the modules that define probes (they register themselves)."""
    from .. import counterexample  # noqa: F401  (ex06's Reddi et al. probes)
    from . import optimizer_class  # noqa: F401
    try:
        from . import ladder_probes  # noqa: F401
    except ImportError:
        pass
