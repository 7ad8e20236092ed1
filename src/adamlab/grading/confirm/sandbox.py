"""Run a student's code where it can reach nothing, and bring back only plain values: the confirmation run.

:func:`run_student_code` starts a jailed :class:`~.session.Session` (bubblewrap, NumPy only: see
:mod:`.jail`) holding the student's cells, then runs each probe's ``run`` *here*, in the grader's
process, on a proxy of the student's object, so that only the student's own function runs in the
jail. Exercises whose objects cannot cross (a ``torch.optim.Optimizer`` subclass) name a *driver*
that runs the same motions inside the jail instead. What comes back is judged by :mod:`.verify`.

Where bubblewrap is missing, grading refuses to run unless the instructor asked for ``unsafe``
(``make grade UNSAFE=1``): the same run then happens in a plain child process with limits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import exercises
from ..engine import transport
from ..exercises import probe
from . import jail
from .session import JailDied, Session

TIMEOUT_S = float(os.environ.get("ADAMLAB_SANDBOX_TIMEOUT", "60"))  # seconds of wall clock


@dataclass
class SandboxResult:
    """The student's outputs per request item (dict of arrays, or an error dict), and what went wrong."""

    items: list  # per plan item: {"error": None, "outputs": tree} or {"error": key, "message": str}
    problem: str | None  # None, or why the run produced no result (timeout, killed, crashed...)
    stderr_tail: str


def unsafe_requested() -> bool:
    return os.environ.get("ADAMLAB_UNSAFE") == "1"


def check_jail() -> None:
    """Raise :class:`jail.JailUnavailable` (with the reason) unless jailed runs work or unsafe was asked for."""
    why = jail.unavailable()
    if why and not unsafe_requested():
        raise jail.JailUnavailable(
            f"{why}.\nStudent code must not run unjailed: it could rewrite the gradebook, the configuration or "
            "other students' work. Install bubblewrap, or grade anyway at your own risk with `make grade UNSAFE=1`."
        )


def run_student_code(
    cells: list[str],
    plan: list[tuple[str, object]],
    timeout: float | None = None,
    *,
    profile: str = "numpy",
    driver: str | None = None,
    setup=None,
) -> SandboxResult:
    """Execute ``cells`` in the jail, then run each ``(probe name, inputs)`` of ``plan`` on the student's objects."""
    check_jail()
    timeout = TIMEOUT_S if timeout is None else timeout
    unsafe = jail.unavailable() is not None
    driver_file = Path(exercises.__file__).with_name(f"{driver}.py") if driver else None
    with Session(cells, profile=profile, timeout=timeout, driver=driver_file, setup=setup, unsafe=unsafe) as session:
        items = []
        try:
            for name, inputs in plan:
                items.append(_run_probe(session, name, inputs, driver))
        except JailDied as died:
            return SandboxResult([], died.why, session.output_tail())
        return SandboxResult(items, None, session.output_tail())


def _run_probe(session: Session, name: str, inputs, driver: str | None) -> dict:
    p = probe(name)
    try:
        with np.errstate(all="ignore"):
            if driver:
                outputs = session.drive(driver, "run", p.function, {"probe": p.name, "inputs": inputs})
            else:
                obj = session.proxy(p.function)
                if obj is None:
                    return {"error": "missing", "message": f"{p.function} is not defined"}
                outputs = p.run(obj, inputs)
            outputs = transport.roundtrip(outputs)  # plain values only
    except JailDied:
        raise
    except NotImplementedError:
        return {"error": "not_implemented", "message": "not implemented yet (NotImplementedError)"}
    except AssertionError as exc:  # a check's own words (a wrong signature, a wrongly shaped result)
        return {"error": "failed", "message": _with_notes(exc)}
    except Exception as exc:  # anything else the student's code did
        return {"error": "crashed", "message": _with_notes(exc, f"{type(exc).__name__}: ")}
    return {"error": None, "outputs": outputs}


def _with_notes(exc: BaseException, prefix: str = "") -> str:
    notes = "".join(f"\n{n}" for n in getattr(exc, "__notes__", ()))
    return f"{prefix}{exc}{notes}"[:3000]
