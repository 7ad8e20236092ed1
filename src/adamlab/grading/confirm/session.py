"""The harness side of the confirmation run: a jailed process holding the student's objects, and proxies.

:class:`Session` starts :mod:`.jail_server` in the jail (:mod:`.jail`) with the student's cells, then
talks to it over two pipes. :meth:`Session.proxy` gives a callable that stands for the student's
function in the grader's process: calling it sends the arguments into the jail and brings back the
result, the arguments as the call left them (in-place changes show), or the exception with the
student's own lines (as a note). The probes' ``run`` functions drive these proxies exactly as they
drive a real function in the student's kernel; nothing of adamlab is ever importable in the jail.

Every answer's size is checked before it is read (:func:`.jail_server.read_frame`), a deadline
bounds the whole session, and the jail's process group is killed when the session ends.
"""

from __future__ import annotations

import builtins
import inspect
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import jail
from .jail_server import MAX_FRAME, Opaque, WireError, decode, encode

SERVER_DIR = "/opt/jail/server"
# Exceptions rebuilt as themselves in the grader (others become a plain Exception of the same name).
_REBUILT = {
    name: getattr(builtins, name)
    for name in (
        "ArithmeticError AssertionError AttributeError FloatingPointError IndexError KeyError LookupError "
        "NameError NotImplementedError OverflowError RecursionError RuntimeError TypeError UnboundLocalError "
        "ValueError ZeroDivisionError MemoryError OSError PermissionError FileNotFoundError"
    ).split()
}


class JailDied(RuntimeError):
    """The jailed process ended, timed out or broke the protocol; ``why`` says which, for the report."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class Session:
    """One jailed process holding one submission's objects (see the module docstring)."""

    def __init__(
        self,
        cells: list[str],
        *,
        profile: str = "numpy",
        timeout: float = 60.0,
        driver: Path | None = None,
        setup=None,
        unsafe: bool = False,
        limits: jail.Limits | None = None,
    ):
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.tmp = Path(tempfile.mkdtemp(prefix=jail.scratch_prefix("jail")))  # 0700: only the grader enters
        work, server = self.tmp / "work", self.tmp / "server"
        uid = jail.prepare_work(work)
        server.mkdir()
        shutil.copy(Path(__file__).with_name("jail_server.py"), server / "jail_server.py")
        prelude = None
        if driver is not None:  # a standalone module that runs probes inside the jail; it prepares it first
            shutil.copy(driver, server / driver.name)
            prelude = driver.stem
        (work / "cells.json").write_text(json.dumps(cells))
        if os.getuid() == 0 and not unsafe:
            os.chown(work / "cells.json", uid, uid)
        req_r, self._req_w = os.pipe()
        self._ans_r, ans_w = os.pipe()
        if unsafe:  # no jail (the instructor said UNSAFE=1): the same server, paths of this machine
            site = self.tmp / "site"
            site.mkdir()
            for entry in jail._profile_entries(profile):
                (site / entry.name).symlink_to(entry)
            paths, server_dir, cells_path, cwd = [str(site), str(server)], str(server), str(work / "cells.json"), work
        else:
            paths, server_dir, cells_path, cwd = [jail.SITE, SERVER_DIR], SERVER_DIR, f"{jail.WORK}/cells.json", None
        # The same interpreter flags as the jailed kernel's (-I), and the student's code sees the argv a kernel
        # has: the cheap ways of telling the two runs apart (sys.flags, sys.argv, HOME, cwd, limits) say nothing.
        kernel_argv = [jail.kernel_launcher(), "-f", f"/tmp/adamlab-kernel-{os.urandom(4).hex()}/runtime/kernel.json"]
        code = (
            f"import sys; sys.path[:0] = {paths!r}; sys.argv[:] = {kernel_argv!r}; import jail_server; "
            f"jail_server.main({req_r}, {ans_w}, {cells_path!r}, {prelude!r})"
        )
        command = [jail.interpreter(), "-I", "-c", code]
        self.cgroup = jail.Cgroup() if not unsafe else None
        if not unsafe:
            command = jail.argv(
                command, profile=profile, work=work, extra_ro=((str(server), server_dir),), limits=limits
            )
        if self.cgroup is not None:
            command = self.cgroup.wrap(command)
        self._stderr = open(self.tmp / "jail-stderr", "wb")
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=jail.jail_environment() if unsafe else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stdin=subprocess.DEVNULL,
            stdout=self._stderr,
            stderr=self._stderr,
            pass_fds=(req_r, ans_w),
            start_new_session=True,
            preexec_fn=jail.unjailed_limits(limits) if unsafe else None,
        )
        os.close(req_r)
        os.close(ans_w)
        self.work = work
        if driver is not None:
            self._send(encode(setup))  # the driver's prepare(namespace, setup) runs before the student's cells

    # --- the protocol --------------------------------------------------------------------------------
    def request(self, message: dict):
        try:
            self._send(encode(message))
            return decode(self._receive())
        except WireError as exc:
            self.kill()
            raise JailDied(f"the confirmation run answered outside the protocol ({exc})") from None

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.kill()
            raise JailDied(f"timed out after {self.timeout:.0f} s (an infinite loop?)")
        return left

    def _send(self, body: bytes) -> None:
        data = memoryview(len(body).to_bytes(8, "little") + body)
        while data:
            _, ready, _ = select.select([], [self._req_w], [], self._left())
            if not ready:
                continue
            try:
                data = data[os.write(self._req_w, data[: 1 << 16]) :]
            except BrokenPipeError:
                raise JailDied(self._why_ended()) from None

    def _receive(self) -> bytes:
        size = int.from_bytes(self._read(8), "little")
        if size > MAX_FRAME:
            self.kill()
            raise JailDied(f"the confirmation run sent {size} bytes, more than the {MAX_FRAME} allowed")
        return self._read(size)

    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            ready, _, _ = select.select([self._ans_r], [], [], self._left())
            if not ready:
                continue
            chunk = os.read(self._ans_r, min(left, 1 << 20))
            if not chunk:
                raise JailDied(self._why_ended())
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _why_ended(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "the student's code closed the grader's pipe"
        how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return f"the student's code ended the process before any result ({how})"

    # --- what the probes use ------------------------------------------------------------------------
    def proxy(self, name: str):
        """A callable standing for the student's ``name``, or ``None`` when the notebook defines none."""
        described = self.request({"op": "describe", "name": name})
        if described["kind"] == "missing":
            return None
        return StudentFunction(self, name, described)

    def drive(self, driver: str, function: str, name: str, inputs):
        """``driver.function(student's name, inputs)`` run inside the jail (objects that cannot cross)."""
        self.request({"op": "load_driver", "driver": driver})
        answer = self.request({"op": "drive", "driver": driver, "function": function, "name": name, "inputs": inputs})
        if "raised" in answer:
            raise _rebuilt(answer)
        return answer["ok"]

    def output_tail(self, n: int = 2000) -> str:
        """The end of what the student's code printed (stdout and stderr) in the confirmation run."""
        path = self.work / "output.txt"
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - n))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        try:
            text += (self.tmp / "jail-stderr").read_text(errors="replace")[-500:]
        except OSError:
            pass
        return text

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # bwrap leads its session; its PID namespace dies with it
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def close(self) -> None:
        self.kill()
        for fd in (self._req_w, self._ans_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()
        if self.cgroup is not None:
            self.cgroup.remove()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StudentFunction:
    """The student's function, seen from the grader: calls cross into the jail (see :class:`Session`)."""

    def __init__(self, session: Session, name: str, described: dict):
        self._session, self.__name__ = session, name
        self.kind = described["kind"]
        if described["params"] is not None:
            self.__signature__ = inspect.Signature(
                [
                    inspect.Parameter(
                        pname,
                        inspect._ParameterKind(kind),
                        default=default if has_default else inspect.Parameter.empty,
                    )
                    for pname, kind, has_default, default in described["params"]
                ]
            )

    def __call__(self, *args, **kwargs):
        answer = self._session.request({"op": "call", "name": self.__name__, "args": list(args), "kwargs": kwargs})
        return self._answered(answer, args, kwargs)

    def rollout_calls(self, *, theta0, state0, grads, uses_t: bool, outputs: int, hp) -> Callable:
        """A stand-in for this function in one rollout of a step function
        (:func:`adamlab.grading.engine.steps.rollout`): the whole rollout runs in the jail in one request
        (``rollout`` of :mod:`.jail_server`), and the stand-in answers the rollout's calls in order from what
        came back, each exactly as a call would have been answered. Past the calls the jail made (where the
        jail stopped and the rollout did not), it calls the student's function live."""
        answer = self._session.request(
            {
                "op": "rollout",
                "name": self.__name__,
                "theta0": theta0,
                "state0": list(state0),
                "grads": grads,
                "uses_t": uses_t,
                "outputs": outputs,
                "kwargs": dict(hp),
            }
        )
        steps = answer.get("steps") if isinstance(answer, dict) else None
        if not isinstance(steps, list) or len(steps) > len(grads) or not all(isinstance(s, dict) for s in steps):
            self._session.kill()
            raise JailDied("the confirmation run answered outside the protocol (a rollout)")
        steps = iter(steps)

        def call(*args, **kwargs):
            step = next(steps, None)
            if step is None:
                return self(*args, **kwargs)
            return self._answered(step, args, kwargs)

        return call

    def _answered(self, answer: dict, args: tuple, kwargs: dict):
        """What a call with ``args`` and ``kwargs`` returns, given the jail's ``answer`` to it."""
        for before, after in zip(args, answer.get("args_after", ()), strict=False):
            _copy_back(before, after)
        for key, before in kwargs.items():
            _copy_back(before, answer.get("kwargs_after", {}).get(key))
        if "raised" in answer:
            raise _rebuilt(answer)
        return answer["ok"]

    def __repr__(self) -> str:
        return f"<the student's {self.__name__}>"


def _copy_back(before, after) -> None:
    """Make an argument show what the student's call did to it (an array changed in place, a generator drawn)."""
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray) and after.shape == before.shape:
        if before.flags.writeable and not np.array_equal(before, after, equal_nan=True):
            before[...] = after
    elif isinstance(before, np.random.Generator) and isinstance(after, np.random.Generator):
        before.bit_generator.state = after.bit_generator.state


def _rebuilt(answer: dict) -> Exception:
    name, message = str(answer["raised"]), str(answer["message"])
    cls = _REBUILT.get(name) if answer.get("builtin") else None
    if cls is None:
        cls = type(name if name.isidentifier() else "StudentError", (Exception,), {})
    exc = cls(message)
    if answer.get("trace"):
        exc.student_trace = "Your code raised it here:\n" + str(answer["trace"]).rstrip()
        exc.add_note(exc.student_trace)
    return exc


__all__ = ["JailDied", "Opaque", "Session", "StudentFunction"]
