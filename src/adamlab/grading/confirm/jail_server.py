"""The confirmation run's only code besides the student's: it runs their cells, then answers calls.

This file is copied into the jail and run there as ``python -I -S /opt/jail/server/jail_server.py``
with the standard library and NumPy alone on ``sys.path`` (torch too for the torch exercise):
it imports nothing of adamlab, and adamlab cannot be imported there. The grader's harness, in
its own process outside the jail, sends requests over one pipe and reads answers on another:

``describe``  what the student's object of that name is, with its signature;
``call``      call it with plain values; the answer is its result, the arguments as the call left
              them (so that in-place changes show), or the exception it raised with the student's lines;
``rollout``   call a step function for a whole rollout in one request (:func:`_rollout`): the calls the
              grader's rollout makes one at a time, each answered as ``call`` would, up to the first
              step at which the grader stops;
``drive``     run a function of a *driver* (a standalone module shipped beside this one, for
              exercises whose objects cannot cross: a ``torch.optim.Optimizer`` subclass).

Everything crosses in the *wire* format below: a JSON header and raw array bytes, never pickles,
never compressed; the harness checks every size before it reads (:func:`read_frame`). The same
functions encode and decode on both sides (the grader imports this module; the jail runs it).
"""

from __future__ import annotations

import inspect
import json
import linecache
import os
import re
import struct
import sys
import traceback

import numpy as np

MAX_FRAME = 256 * 2**20  # bytes: an answer larger than this is refused unread
_LEN = struct.Struct("<Q")
MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)  # IPython magics and shell lines: not Python


class WireError(ValueError):
    """A frame that is not what the protocol allows (too large, truncated, malformed)."""


# --- the wire format: plain values, arrays, tuples, NumPy generators ------------------------------------


def encode(value) -> bytes:
    """``value`` as one frame body: 8-byte header length, JSON header, then each array's raw bytes."""
    arrays: list[np.ndarray] = []

    def walk(x):
        if isinstance(x, np.random.Generator):
            return {"$": "rng", "state": x.bit_generator.state}
        if isinstance(x, (np.ndarray, np.generic)):
            arr = np.asarray(x)
            if arr.dtype.kind not in "biufc":
                return {"$": "opaque", "type": f"ndarray[{arr.dtype}]", "iter": True}
            arrays.append(np.ascontiguousarray(arr))
            tag = "scalar" if isinstance(x, np.generic) else "nd"
            return {"$": tag, "dtype": arr.dtype.str, "shape": list(arr.shape)}
        if isinstance(x, bool) or x is None or isinstance(x, str):
            return x
        if isinstance(x, int):
            return x if abs(x) < 2**63 else {"$": "bigint", "v": str(x)}
        if isinstance(x, float):
            return x if np.isfinite(x) else {"$": "float", "v": repr(x)}
        if isinstance(x, tuple):
            return {"$": "tuple", "v": [walk(v) for v in x]}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, dict) and all(isinstance(k, str) for k in x):
            return {"$": "dict", "k": list(x), "v": [walk(v) for v in x.values()]}
        return {"$": "opaque", "type": type(x).__name__, "iter": hasattr(x, "__next__")}

    header = json.dumps(walk(value)).encode()
    return b"".join([_LEN.pack(len(header)), header, *(a.tobytes() for a in arrays)])


def decode(body: bytes):
    """The inverse of :func:`encode`; every array's size is checked against the bytes that came."""
    if len(body) < _LEN.size:
        raise WireError("truncated frame")
    (n,) = _LEN.unpack_from(body)
    if n > len(body) - _LEN.size:
        raise WireError("truncated header")
    tree = json.loads(body[_LEN.size : _LEN.size + n])
    offset = _LEN.size + n

    def walk(x):
        nonlocal offset
        if isinstance(x, list):
            return [walk(v) for v in x]
        if not isinstance(x, dict):
            return x
        tag = x.get("$")
        if tag in ("nd", "scalar"):
            dtype = np.dtype(x["dtype"])
            if dtype.kind not in "biufc" or not all(isinstance(d, int) and d >= 0 for d in x["shape"]):
                raise WireError("an array of a kind the protocol does not carry")
            count = int(np.prod(x["shape"], dtype=np.int64)) * dtype.itemsize
            if offset + count > len(body):
                raise WireError("an array larger than the bytes that came")
            arr = np.frombuffer(body, dtype=dtype, count=count // dtype.itemsize, offset=offset).reshape(x["shape"])
            offset += count
            return arr[()] if tag == "scalar" else arr.copy()
        if tag == "tuple":
            return tuple(walk(v) for v in x["v"])
        if tag == "dict":
            return dict(zip(x["k"], (walk(v) for v in x["v"]), strict=True))
        if tag == "float":
            return float(x["v"])
        if tag == "bigint":
            return int(x["v"])
        if tag == "rng":
            rng = np.random.Generator(getattr(np.random, x["state"]["bit_generator"])())
            rng.bit_generator.state = x["state"]
            return rng
        if tag == "opaque":
            return Opaque(str(x["type"]), bool(x["iter"]))
        raise WireError(f"unknown tag {tag!r}")

    value = walk(tree)
    if offset != len(body):
        raise WireError("trailing bytes after the last array")
    return value


class Opaque:
    """Stands for a value that cannot cross (a generator, an object of the student's class)."""

    def __init__(self, type_name: str, iterator: bool):
        self.type_name, self.iterator = type_name, iterator

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def write_frame(fd: int, body: bytes) -> None:
    data = _LEN.pack(len(body)) + body
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int, limit: int = MAX_FRAME) -> bytes:
    """One frame from ``fd``; refuses (unread) a frame announced larger than ``limit``."""
    (n,) = _LEN.unpack(_read_exactly(fd, _LEN.size))
    if n > limit:
        raise WireError(f"a frame of {n} bytes, more than the {limit} allowed")
    return _read_exactly(fd, n)


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# --- inside the jail ----------------------------------------------------------------------------------


def _student_trace(exc: BaseException) -> str:
    """The frames of the student's own cells, with their lines (the grader's frames are not theirs)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    return "".join(traceback.format_list(frames))


def _describe(obj) -> dict:
    if obj is None:
        return {"kind": "missing"}
    kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "other"
    try:
        params = [
            [p.name, int(p.kind), p.default is not inspect.Parameter.empty, _plain_default(p.default)]
            for p in inspect.signature(obj).parameters.values()
        ]
    except (TypeError, ValueError):
        params = None
    return {"kind": kind, "params": params}


def _plain_default(value):
    return value if value is None or isinstance(value, (bool, int, float, str)) else Opaque(type(value).__name__, False)


def _call(fn, args: list, kwargs: dict) -> dict:
    try:
        with np.errstate(all="ignore"):
            result = fn(*args, **kwargs)
        answer = {"ok": result}
    except BaseException as exc:  # anything the student's code raised (SystemExit and KeyboardInterrupt too)
        answer = {
            "raised": type(exc).__name__,
            "builtin": type(exc).__module__ == "builtins",
            "message": str(exc)[:2000],
            "trace": _student_trace(exc)[-4000:],
        }
    answer["args_after"] = args
    answer["kwargs_after"] = kwargs
    return answer


def _rollout(fn, request: dict) -> dict:
    """The calls of one rollout of a step function, ``fn(theta, grad, *state[, t], **kwargs)`` for each row of
    ``grads``, the outputs fed back as the next inputs: what the grader's rollout
    (:func:`adamlab.grading.engine.steps.rollout`) does over ``call`` requests, in one request.

    Every call gets fresh copies of its arrays, as a ``call`` that crossed the wire would. It stops after the
    first call at which the grader's rollout stops (an exception, outputs that are not ``outputs`` float64
    arrays of theta's shape, an input changed in place): that step's answer carries everything a ``call``
    answer does; the others carry the result alone (their arguments came back unchanged). The grader answers
    its own rollout's calls from these, in order, and calls live beyond them.
    """
    theta, grads, state = request["theta0"], request["grads"], list(request["state0"])
    n, uses_t, kwargs = int(request["outputs"]), bool(request["uses_t"]), dict(request["kwargs"])
    steps: list[dict] = []
    for k in range(1, len(grads) + 1):
        args = [_fresh(theta), _fresh(grads[k - 1]), *(_fresh(x) for x in state), *([k] if uses_t else [])]
        before = [_fresh(a) for a in args]
        answer = _call(fn, args, dict(kwargs))
        outputs = _step_outputs(answer, n, before[0])
        if outputs is None or not all(_unchanged(a, b) for a, b in zip(args, before, strict=True)):
            try:
                encode(answer)
            except Exception as exc:  # what serve() would have answered to this call
                answer = {"raised": type(exc).__name__, "builtin": True, "message": str(exc)[:500], "trace": ""}
            steps.append(answer)
            break
        # a copy, as a call's answer is sent at once: the student's code may change what it returned later on
        outputs = tuple(_fresh(v) for v in outputs)
        steps.append({"ok": outputs[0] if n == 1 else outputs if isinstance(answer["ok"], tuple) else list(outputs)})
        theta, state = outputs[0], outputs[1:]
    return {"steps": steps}


def _fresh(x):
    """What an argument is after crossing the wire: an array becomes a plain C-ordered copy."""
    return np.array(x, order="C") if isinstance(x, np.ndarray) else x


def _step_outputs(answer: dict, n: int, theta: np.ndarray) -> tuple | None:
    """The outputs of a step, or ``None`` where the grader's rollout stops (the checks of its ``_as_outputs``)."""
    if "raised" in answer:
        return None
    out = answer["ok"]
    if n == 1:
        out = (out,)
    elif not isinstance(out, (tuple, list)) or len(out) != n:
        return None
    if not all(isinstance(v, np.ndarray) and v.shape == theta.shape and v.dtype == np.float64 for v in out):
        return None
    return tuple(out)


def _unchanged(after, before) -> bool:
    if not isinstance(before, np.ndarray):
        return True
    if not isinstance(after, np.ndarray) or after.shape != before.shape or after.dtype != before.dtype:
        return False
    return bool(np.all((after == before) | (np.isnan(after) & np.isnan(before))))


def serve(namespace: dict, requests: int, answers: int) -> None:
    drivers: dict = {}
    while True:
        try:
            request = decode(read_frame(requests))
        except EOFError:
            return
        op = request["op"]
        if op == "describe":
            answer = _describe(namespace.get(request["name"]))
        elif op == "call":
            answer = _call(namespace.get(request["name"]), list(request["args"]), dict(request["kwargs"]))
        elif op == "rollout":
            answer = _rollout(namespace.get(request["name"]), request)
        elif op == "drive":
            module = drivers.get(request["driver"])
            if module is None:
                answer = {"raised": "RuntimeError", "builtin": True, "message": "unknown driver", "trace": ""}
            else:
                target = namespace.get(request["name"])
                fn = getattr(module, request["function"])
                answer = _call(fn, [target, request["inputs"]], {})
        elif op == "load_driver":
            answer = {"ok": None}
            drivers[request["driver"]] = _load_driver(request["driver"])
        else:
            answer = {"raised": "RuntimeError", "builtin": True, "message": f"unknown op {op!r}", "trace": ""}
        try:
            body = encode(answer)
        except Exception as exc:  # e.g. a result the student's code made unencodable
            body = encode({"raised": type(exc).__name__, "builtin": True, "message": str(exc)[:500], "trace": ""})
        write_frame(answers, body)


def _load_driver(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(__file__), f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cells(cells: list[str], namespace: dict) -> None:
    """Each cell in turn, like a notebook run with errors allowed: an error is reported and the next cell runs."""
    for i, source in enumerate(cells):
        name = f"<cell {i}>"
        code = MAGIC.sub("", source)
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        try:
            exec(compile(code, name, "exec"), namespace)
        except BaseException:
            traceback.print_exc()


def main(requests: int, answers: int, cells_path: str, prelude: str | None) -> None:
    with open(cells_path) as f:
        cells = json.load(f)
    os.unlink(cells_path)
    # What the student prints goes to a file, never into the answers' pipe.
    out = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.stdout = open(1, "w", closefd=False, buffering=1)
    sys.stderr = open(2, "w", closefd=False, buffering=1)
    namespace = {"__name__": "__main__"}
    if prelude:  # e.g. remove torch's fused Adam and give the notebook its data, before any student code
        setup = decode(read_frame(requests))
        _load_driver(prelude).prepare(namespace, setup)
    run_cells(cells, namespace)
    sys.stdout.flush()
    serve(namespace, requests, answers)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
