"""The jail (adamlab.grading.confirm.jail, .session, .jail_server): what student code can and cannot do in it.

Each test runs real code in a real bubblewrap jail and asserts what it could not do; without bubblewrap
they are skipped (and `make grade` refuses, which is tested here too).
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
import time

import numpy as np
import pytest
from submissions import SIGNATURE

from adamlab.grading.confirm import jail, samples, sandbox
from adamlab.grading.confirm.jail_server import MAX_FRAME, WireError, decode, encode
from adamlab.grading.confirm.session import JailDied, Session
from adamlab.grading.confirm.verify import _dynamic_code, _imports
from adamlab.grading.engine import steps
from adamlab.grading.engine.steps import cases, diagnostic_cases
from adamlab.grading.exercises import probe
from conftest import REPO

needs_jail = pytest.mark.skipif(jail.unavailable() is not None, reason=f"no jail here: {jail.unavailable()}")


def jailed(code: str, profile: str = "numpy", timeout: float = 60, **limits) -> dict:
    """Run ``code`` as a student's cell in a jail; return what its function ``probe()`` returned."""
    with Session([code], profile=profile, timeout=timeout, limits=jail.Limits(**limits) if limits else None) as session:
        fn = session.proxy("probe")
        assert fn is not None, session.output_tail()
        return fn()


# --- the wire format: sizes are checked before anything is read -------------------------------------------
def test_the_wire_format_round_trips_plain_values_and_keeps_tuples_and_scalars():
    rng = np.random.default_rng(3)
    value = {"t": (np.arange(3.0), 2, None), "s": np.float64(1.5), "l": [True, "x", float("nan")], "rng": rng}
    back = decode(encode(value))
    assert isinstance(back["t"], tuple) and np.array_equal(back["t"][0], np.arange(3.0))
    assert isinstance(back["s"], np.float64) and back["s"] == 1.5
    assert np.isnan(back["l"][2]) and back["rng"].random() == np.random.default_rng(3).random()


def test_a_frame_announcing_more_than_it_holds_or_too_much_is_refused():
    body = bytearray(encode({"a": np.zeros(4)}))
    with pytest.raises(WireError):
        decode(bytes(body[:-8]))  # an array larger than the bytes that came
    with pytest.raises(WireError):
        decode(bytes(body) + b"\0" * 8)  # trailing bytes
    assert MAX_FRAME <= 256 * 2**20


# --- what a jailed cell sees ---------------------------------------------------------------------------------
@needs_jail
def test_the_confirmation_run_has_numpy_and_nothing_else():
    seen = jailed(
        "import importlib, os, sys\n"
        "def probe():\n"
        "    out = {{}}\n"
        "    for name in ('numpy', 'torch', 'adamlab', 'numba', 'nbgrader', 'IPython'):\n"
        "        try:\n"
        "            importlib.import_module(name); out[name] = True\n"
        "        except ImportError:\n"
        "            out[name] = False\n"
        "    out['uid'] = os.getuid(); out['cwd'] = os.getcwd(); out['home'] = os.environ['HOME']\n"
        "    out['course'] = os.path.exists({!r})\n"
        "    return out\n".format(str(REPO / "nbgrader_config.py"))
    )
    assert seen["numpy"] and not any(seen[m] for m in ("torch", "adamlab", "numba", "nbgrader", "IPython"))
    assert seen["uid"] not in (0, os.getuid()) and seen["cwd"] == seen["home"] == jail.WORK
    assert not seen["course"], "the course folder is visible in the jail"


@needs_jail
def test_the_torch_jail_has_torch_but_not_its_adam():
    seen = jailed(
        "import torch\n"
        "def probe():\n"
        "    out = {}\n"
        "    for name in ('Adam', 'AdamW'):\n"
        "        try:\n"
        "            getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])\n"
        "            out[name] = 'works'\n"
        "        except RuntimeError as exc:\n"
        "            out[name] = str(exc)\n"
        "    import importlib, sys; module = importlib.reload(sys.modules['torch.optim.adam'])\n"
        "    try:\n"
        "        module.Adam([torch.zeros(1, requires_grad=True)]); out['reloaded'] = 'works'\n"
        "    except RuntimeError:\n"
        "        out['reloaded'] = 'blocked'\n"
        "    out['sgd'] = type(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)).__name__\n"
        "    return out\n",
        profile="torch",
    )
    assert "not available" in seen["Adam"] and "not available" in seen["AdamW"]
    assert seen["reloaded"] == "blocked" and seen["sgd"] == "SGD"


@needs_jail
def test_nothing_written_in_the_jail_reaches_the_machine(tmp_path):
    marker = f"adamlab-jail-test-{os.getpid()}"
    seen = jailed(
        "import os, socket\n"
        "def probe():\n"
        "    out = {}\n"
        f"    open('/tmp/{marker}', 'w').write('x')\n"
        "    for path in ('/usr/evil', %r):\n"
        "        try:\n"
        "            open(path, 'w').write('x'); out[path] = 'written'\n"
        "        except OSError as exc:\n"
        "            out[path] = type(exc).__name__\n"
        "    try:\n"
        "        socket.create_connection(('1.1.1.1', 80), timeout=2); out['net'] = 'connected'\n"
        "    except OSError:\n"
        "        out['net'] = 'none'\n"
        "    return out\n" % str(tmp_path / "evil")
    )
    assert not os.path.exists(f"/tmp/{marker}") and not (tmp_path / "evil").exists()
    assert seen["/usr/evil"] != "written" and seen["net"] == "none"


@needs_jail
def test_limits_stop_memory_fork_and_disk_bombs():
    seen = jailed(
        "import os, numpy as np\n"
        "def probe():\n"
        "    out = {}\n"
        "    try:\n"
        "        blocks = [np.empty(2**27) for _ in range(40)]; out['memory'] = 'allocated'\n"  # 40 GiB
        "    except MemoryError:\n"
        "        out['memory'] = 'MemoryError'\n"
        "    try:\n"
        "        with open('big', 'wb') as f:\n"
        "            for _ in range(2048): f.write(b'0' * 2**20)\n"  # 2 GiB
        "        out['disk'] = 'written'\n"
        "    except OSError as exc:\n"
        "        out['disk'] = type(exc).__name__\n"
        "    children = 0\n"
        "    try:\n"
        "        for _ in range(5000):\n"
        "            if os.fork() == 0:\n"
        "                import time; time.sleep(30); os._exit(0)\n"
        "            children += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "    out['children'] = children\n"
        "    return out\n",
        timeout=120,
    )
    assert seen["memory"] == "MemoryError"
    assert seen["disk"] != "written"
    assert seen["children"] < jail.PROCESSES


@needs_jail
def test_a_process_left_running_dies_with_the_session():
    marker = f"adamlab-orphan-{os.getpid()}-{time.time_ns()}"
    with Session(
        [
            "import os, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', "
            f"'{marker}'], start_new_session=True)\n"
            "def probe():\n    return 1\n"
        ]
    ) as session:
        assert session.proxy("probe")() == 1
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in ps, "a process the student started outlived the confirmation run"


@needs_jail
def test_an_infinite_loop_times_out_and_killing_the_parent_ends_only_the_jail():
    with Session(["def probe():\n    while True:\n        pass\n"], timeout=3) as session:
        with pytest.raises(JailDied, match="timed out"):
            session.proxy("probe")()
    with Session(["import os, signal\ndef probe():\n    os.kill(os.getppid(), 9); os.kill(1, 9)\n"]) as session:
        with pytest.raises((JailDied, PermissionError)):  # not allowed, or it ends the jail: never the grader
            session.proxy("probe")()
    assert os.getpid() > 0  # the grader is still here


def _autograde_execute(cells: list[str], tmp_path, iopub_timeout="course"):
    """``cells`` run as nbgrader's autograde runs them: its ``Execute``, the course's configuration with a 1 s cell
    timeout (``iopub_timeout``: the course's, or this many seconds), the jailed kernel. Returns the notebook."""
    import nbformat
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    from adamlab.grading.confirm.kernel import JailedKernelManager

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    assert config.Execute.iopub_timeout >= config.Execute.timeout
    config.Execute.timeout = 1
    if iopub_timeout != "course":
        config.Execute.iopub_timeout = iopub_timeout
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    Execute(config=config, kernel_manager_class=JailedKernelManager).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}}
    )
    return nb


def _was_interrupted_then_went_on(nb) -> None:
    assert [o.get("ename") for o in nb.cells[0].outputs if o.output_type == "error"] == [
        "KeyboardInterrupt",  # the kernel's own report, which arrived
        "CellTimeoutError",  # nbgrader's note of the timeout
    ]
    assert nb.cells[1].outputs[0].text == "the next cell ran\n"


NEXT_CELL = "print('the next cell ran')"


@pytest.mark.slow  # nbgrader's autograde behaviour (the instructor flow), and it waits out timeouts
@needs_jail
@pytest.mark.parametrize("iopub_timeout", ["course", 4])
def test_a_cell_interrupted_at_its_timeout_has_time_to_report(tmp_path, iopub_timeout):
    """nbgrader interrupts a cell at its timeout, then waits ``iopub_timeout`` for the kernel to report, or fails
    the whole notebook (no executed notebook, no feedback). IPython can take longer than nbgrader's 4 s to
    format a traceback through torch on a loaded machine: the course gives it as long as a cell has to run."""
    from nbclient.exceptions import CellTimeoutError

    slow_to_report = "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    time.sleep(5)\n    raise\n"
    if iopub_timeout != "course":  # nbgrader's default
        with pytest.raises(CellTimeoutError, match="IOPub"):
            _autograde_execute([slow_to_report, NEXT_CELL], tmp_path, iopub_timeout)
        return
    _was_interrupted_then_went_on(_autograde_execute([slow_to_report, NEXT_CELL], tmp_path))


@pytest.mark.slow
@needs_jail
def test_a_busy_endless_loop_in_the_kernel_is_interrupted_at_its_timeout(tmp_path):
    """The jailed kernel takes nbgrader's interrupt as a message (not a signal to bwrap): a loop that never waits
    is stopped too. (The class's endless-loop submission sleeps in its loop; the confirmation run's deadline on
    a busy loop is test_an_infinite_loop_times_out_and_killing_the_parent_ends_only_the_jail.)"""
    _was_interrupted_then_went_on(_autograde_execute(["while True:\n    pass\n", NEXT_CELL], tmp_path))


@needs_jail
def test_a_huge_answer_is_refused_unread():
    with Session(["import numpy as np\ndef probe():\n    return np.zeros(40 * 2**20)\n"]) as session:
        with pytest.raises(JailDied, match="more than"):
            session.proxy("probe")()


@needs_jail
def test_the_student_sees_their_own_line_when_their_code_raises():
    inputs = probe("adam_step:first_step").make_inputs(None)
    result = sandbox.run_student_code(
        [SIGNATURE + "    raise ValueError('my own bug')\n"], [("adam_step:first_step", inputs)]
    )
    assert result.problem is None
    message = probe("adam_step:first_step").grader_judge(inputs, result.items[0]["outputs"])
    assert "my own bug" in message and "raise ValueError('my own bug')" in message


# --- a rollout in one request answers exactly as one call per step ---------------------------------------------
ROLLOUT_STUDENTS = {
    "correct": "",
    "raises at step 3": "    if t == 3:\n        raise ValueError('my bug at 3')\n",
    "changes m in place at step 2": "    if t == 2:\n        m *= 2\n",
    "a list at step 2": "    if t == 2:\n        return [theta, m, v]\n",
    "float32 at step 4": "    if t == 4:\n        return theta.astype(np.float32), m, v\n",
    "shape changed in place": "    if t == 2:\n        grad.shape = (1, -1)\n",
    "counts its calls": "    global CALLS\n    CALLS += 1\n    theta = theta + 1e-3 * CALLS\n",
    "changes what it returned before": (
        "    global KEPT\n    if KEPT is not None:\n        KEPT[...] = 7.0\n"
        "    KEPT = m = beta1 * m + (1 - beta1) * grad\n    return theta - lr * m, m, v\n"
    ),
}


def _rollout_student(body: str) -> str:
    return (
        "import numpy as np\nCALLS, KEPT = 0, None\n"
        + SIGNATURE
        + body
        + "    m = beta1 * m + (1 - beta1) * grad\n    v = beta2 * v + (1 - beta2) * grad**2\n"
        + "    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v\n"
    )


def _rollouts(code: str, batched: bool) -> tuple[list, int]:
    """Each case of the diagnosis and the hidden default suite, rolled out on the jailed ``code``: the outputs or
    the error of each, and the number of requests it took."""
    spec = next(s for s in samples.SAMPLE.step_specs if s.name == samples.GRADE_ID)
    all_cases = [*diagnostic_cases(spec).values(), *cases(spec, "default", np.random.default_rng(5))]
    with Session([code]) as session:
        fn, requests, send = session.proxy("adam_step"), [], session.request
        session.request = lambda message: requests.append(message["op"]) or send(message)
        if not batched:
            fn = functools.partial(fn)  # a plain callable: one call request per step
        results = []
        for case in all_cases:
            try:
                results.append(steps.rollout(spec, fn, case))
            except steps.StudentError as exc:
                results.append((exc.step, exc.key, exc.message))
            except Exception as exc:
                results.append((type(exc).__name__, str(exc), steps.student_lines(exc)))
    return results, len(requests)


@needs_jail
@pytest.mark.parametrize("student", ROLLOUT_STUDENTS)
def test_a_rollout_in_one_request_answers_as_one_call_per_step(student):
    code = _rollout_student(ROLLOUT_STUDENTS[student])
    (one_request, n_batched), (per_call, n_calls) = _rollouts(code, True), _rollouts(code, False)
    assert len(one_request) == len(per_call) == 9
    for a, b in zip(one_request, per_call, strict=True):
        if isinstance(a, dict):
            assert isinstance(b, dict) and a.keys() == b.keys()
            assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a), student
        else:
            assert a == b, student
    assert n_batched < n_calls
    if student in ("correct", "counts its calls", "changes what it returned before"):
        assert n_batched == 9  # one request per rollout


# --- the second layer: code that builds code --------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        'exec("import torch as T", globals())',
        "T = __import__('to' + 'rch')",
        "import builtins\nT = getattr(builtins, '__imp' + 'ort__')('torch')",
        "f = eval\n",
        "g = globals()['__builtins__']",
        "import importlib\nT = importlib.import_module('to' + 'rch')",
        "import inspect\nref = inspect.getmodule(check)",
    ],
)
def test_dynamic_code_and_the_module_system_are_refused(source):
    assert _dynamic_code(source) or _imports(source, ("importlib", "inspect", "builtins"))


def test_ordinary_code_passes_the_second_layer():
    assert not _dynamic_code("import numpy as np\ndef f(x):\n    return getattr(np, 'sqrt')(x)\n")


# --- no bubblewrap: refuse, unless the instructor says UNSAFE=1 ------------------------------------------------
def test_without_bubblewrap_grading_refuses_unless_unsafe(monkeypatch):
    monkeypatch.setattr(jail, "unavailable", lambda: "bubblewrap (`bwrap`) is not installed")
    monkeypatch.delenv("ADAMLAB_UNSAFE", raising=False)
    with pytest.raises(jail.JailUnavailable, match="UNSAFE=1"):
        sandbox.check_jail()
    monkeypatch.setenv("ADAMLAB_UNSAFE", "1")
    sandbox.check_jail()  # no error: the instructor asked for it


def test_what_a_killed_grader_left_is_removed_and_a_living_graders_is_not():
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid no process has any more
    stale = tempfile.mkdtemp(prefix=f"adamlab-course-{dead.pid}-")
    living = tempfile.mkdtemp(prefix=jail.scratch_prefix("course"))
    try:
        removed = jail.remove_stale()
        assert stale in removed and not os.path.exists(stale)
        assert os.path.isdir(living) and living not in removed
    finally:
        os.rmdir(living)
