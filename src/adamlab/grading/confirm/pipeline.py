"""``make grade``: autograde every submission in a jail, confirm the scores, write feedback and grades.

1. **Before any student code runs**, read what grading trusts, once: ``nbgrader_config.py`` (loaded,
   never executed again), each assignment's source notebook in ``solutions/`` (kept as bytes), and
   their SHA-256 (:class:`TrustedCourse`). Register the assignments in the course gradebook, and
   make the template of the throwaway courses below: the sources and a gradebook that knows them.
2. **Per submission, in a worker** (:func:`grade_one`): copy the one notebook into a *throwaway course*
   (a private temporary folder with the trusted source and a copy of the template gradebook) and run
   ``nbgrader autograde`` there, its kernel jailed (:mod:`.kernel`): the student's messages. Then confirm
   every test cell in a second jail, NumPy only (:mod:`.verify`). Only the executed notebook, the
   kernel's scores and the confirmed verdicts come back; the throwaway course is deleted.
3. **In this process**, one submission at a time: write the *confirmed* scores into the course
   gradebook (kernel scores are only reported; manual scores of autograded cells are reset), copy the
   executed notebook where ``generate_feedback`` reads it. Then feedback (written by the workers, one
   ``generate_feedback`` run per assignment or share of one), ``_grading/grades.csv`` (nbgrader's CSV
   exporter on the gradebook that only this process writes) and the report.

A :class:`Supervisor` runs the workers: a worker that dies costs its one submission (retried once, then
scored 0 and named in the report), never the class. Where bubblewrap is missing, grading stops unless
the instructor passed ``UNSAFE=1`` (:func:`.sandbox.check_jail`).
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import jail

CHECK_HEADER = "Grader's independent check"
MAX_NOTEBOOK_BYTES = 20 * 2**20  # an executed notebook larger than this is not brought back


@dataclass
class SubmissionReport:
    student: str
    assignment: str
    kernel_score: float | None
    confirmed_score: float
    max_score: float
    autograde_ok: bool
    problems: list[str] = field(default_factory=list)
    failed_cells: dict[str, str] = field(default_factory=dict)
    overridden_cells: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    late_penalty: float = 0.0
    late_note: str = ""
    seconds: float = 0.0


# --- 1. what grading trusts, read once ---------------------------------------------------------------


@dataclass
class TrustedCourse:
    root: Path
    config: object  # traitlets Config, loaded from nbgrader_config.py before any student code ran
    sources: dict[str, bytes]  # assignment -> its source notebook
    digests: dict[str, str]  # path -> SHA-256 of what was read
    _cells: dict = field(default_factory=dict, repr=False)  # assignment -> source_cells, parsed once

    @classmethod
    def load(cls, root: Path, assignments: list[str]) -> TrustedCourse:
        from traitlets.config.loader import PyFileConfigLoader

        config_bytes = (root / "nbgrader_config.py").read_bytes()
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        sources, digests = {}, {"nbgrader_config.py": hashlib.sha256(config_bytes).hexdigest()}
        for a in assignments:
            path = root / "solutions" / a / f"{a}.ipynb"
            sources[a] = path.read_bytes()
            digests[str(path.relative_to(root))] = hashlib.sha256(sources[a]).hexdigest()
        return cls(root, config, sources, digests)

    def cells(self, assignment: str) -> tuple[dict[str, float], dict[str, str]]:
        """The trusted source's test cells ``{grade_id: points}`` and solution code ``{grade_id: source}``."""
        from .verify import source_cells

        if assignment not in self._cells:
            self._cells[assignment] = source_cells(io.BytesIO(self.sources[assignment]))
        return self._cells[assignment]

    def changed(self) -> list[str]:
        """The trusted files that differ now from what grading read (none can, with the jail)."""
        return [
            rel
            for rel, digest in self.digests.items()
            if not (self.root / rel).exists() or hashlib.sha256((self.root / rel).read_bytes()).hexdigest() != digest
        ]


def _api(config, root: Path, **coursedir):
    """An ``NbGraderAPI`` on ``root`` with the trusted configuration (copied, then ``coursedir`` overrides)."""
    import copy

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = copy.deepcopy(config)
    config.CourseDirectory.root = str(root)
    for key, value in coursedir.items():
        config.CourseDirectory[key] = value
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log_level = "WARN"
    return api


def load_api(root: Path, **coursedir_overrides):
    """An ``NbGraderAPI`` configured by ``root/nbgrader_config.py`` (for tools and tests; grading itself
    loads the configuration once, in :class:`TrustedCourse`)."""
    return _api(TrustedCourse.load(Path(root), []).config, Path(root), **coursedir_overrides)


def submissions(root: Path, assignments: list[str] | None = None, students: list[str] | None = None):
    """``(student, assignment)`` for every folder ``_grading/submitted/<student>/<assignment>/``."""
    base = root / "_grading" / "submitted"
    known = {p.name for p in (root / "solutions").iterdir() if p.is_dir()}
    found = []
    for student_dir in sorted(p for p in base.glob("*") if p.is_dir()):
        if students and student_dir.name not in students:
            continue
        for a_dir in sorted(p for p in student_dir.glob("*") if p.is_dir()):
            if a_dir.name in known and (assignments is None or a_dir.name in assignments):
                found.append((student_dir.name, a_dir.name))
    return found


def prepare_templates(trusted: TrustedCourse, assignments: list[str], where: Path) -> Path:
    """Register each assignment in the course gradebook (releasing into ``_grading/release``, never
    ``exercises/``), and make the template of the throwaway courses: the trusted sources and one gradebook
    that knows every assignment (one gradebook, so nbgrader stamps one new database, not one per assignment)."""
    api = _api(trusted.config, trusted.root, release_directory=os.path.join("_grading", "release"))
    course = where / "course"
    for a in assignments:
        result = api.generate_assignment(a, force=True)
        if not result.get("success"):
            raise RuntimeError(f"nbgrader generate_assignment {a} failed:\n{result.get('error') or result.get('log')}")
        (course / "source" / a).mkdir(parents=True)
        (course / "source" / a / f"{a}.ipynb").write_bytes(trusted.sources[a])
    template_api = _api(trusted.config, course, **_throwaway_dirs(course))
    for a in assignments:
        result = template_api.generate_assignment(a, force=True)
        if not result.get("success"):
            raise RuntimeError(f"template for {a} failed:\n{result.get('error') or result.get('log')}")
    from nbgrader.api import Gradebook

    from ..course import late

    with Gradebook(api.coursedir.db_url, "adamlab") as gb:
        late.sync_gradebook(gb, trusted.root)  # due dates and extensions from the instructor's files
    return course


def _only_source_of(assignment: str):
    """A ``copytree`` filter: the template's gradebook and ``source/<assignment>``, nothing else."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        if Path(folder).name == "source":
            return [n for n in names if n != assignment]
        return [n for n in names if n in ("release", "autograded", "submitted", "feedback")]

    return ignore


def _throwaway_dirs(course: Path) -> dict:
    return {
        "source_directory": "source",
        "release_directory": "release",
        "submitted_directory": "submitted",
        "autograded_directory": "autograded",
        "feedback_directory": "feedback",
        "db_url": f"sqlite:///{course / 'gradebook.db'}",
    }


# --- 2. one submission, in a worker ------------------------------------------------------------------


def grade_one(job: dict) -> dict:
    """Autograde one submission in a throwaway course with a jailed kernel, then confirm it in a NumPy jail."""
    import numpy as np
    from nbgrader.api import Gradebook

    from .kernel import JailedKernelManager
    from .verify import CellVerdict, Verification, source_cells, verify

    start = time.perf_counter()
    student, assignment, template = job["student"], job["assignment"], Path(job["template"])
    nb_name = f"{assignment}.ipynb"
    submitted = Path(job["root"]) / "_grading" / "submitted" / student / assignment
    with tempfile.TemporaryDirectory(prefix=jail.scratch_prefix("course")) as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(template, course, ignore=_only_source_of(assignment))
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        for name in (nb_name, "timestamp.txt"):
            if (submitted / name).is_file() and (submitted / name).stat().st_size <= MAX_NOTEBOOK_BYTES:
                shutil.copy(submitted / name, target / name)
        config = job["config"]
        config.Execute.kernel_manager_class = JailedKernelManager
        if job.get("unsafe"):
            from jupyter_client.manager import AsyncKernelManager

            config.Execute.kernel_manager_class = AsyncKernelManager
        api = _api(config, course, **_throwaway_dirs(course))
        result = api.autograde(assignment, student, force=True, create=True)
        kernel_scores, notebook = {}, None
        executed = course / "autograded" / student / assignment / nb_name
        if result.get("success"):
            with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
                nb = gb.find_submission_notebook(assignment, assignment, student)
                kernel_scores = {g.name: g.auto_score for g in nb.grades}
            if executed.is_file() and executed.stat().st_size <= MAX_NOTEBOOK_BYTES:
                notebook = executed.read_text()
        source = course / "source" / assignment / nb_name
        try:
            verification = verify(
                assignment, student, str(source), str(target / nb_name), np.random.default_rng(job["seed"])
            )
        except Exception as exc:  # a grader-side problem must not stop the class: score 0, reported
            tests, _ = source_cells(str(source))
            verification = Verification(
                assignment,
                student,
                [CellVerdict(gid, pts, "?", "?", False, "not confirmed: grader error") for gid, pts in tests.items()],
            )
            verification.problems.append(
                f"the grader could not confirm this submission ({type(exc).__name__}: {exc}); scored 0 until fixed"
            )
    return {
        "student": student,
        "assignment": assignment,
        "autograde_ok": bool(result.get("success")),
        "autograde_error": "" if result.get("success") else autograde_failure(result),
        "kernel_scores": kernel_scores,
        "notebook": notebook,
        "cells": [asdict(c) | {"score": c.score} for c in verification.cells],
        "problems": verification.problems,
        "seconds": time.perf_counter() - start,
    }


def autograde_failure(result: dict) -> str:
    """Why ``nbgrader autograde`` failed, in one line: the last exception its log shows (nbgrader's own error
    only says "Please see the above traceback"), with nbclient's "The message was: ..." when it gives one."""
    lines = [line.strip() for line in (result.get("log") or "").splitlines()]
    exceptions = [
        i
        for i, line in enumerate(lines)
        if re.match(r"^[\w.]+(Error|Exception|Interrupt|Exit): ", line) and "NbGraderException" not in line
    ]
    if not exceptions:
        return ((result.get("error") or "").strip().splitlines() or ["no error message"])[-1][:300]
    i = exceptions[-1]
    message = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("The message was:") else ""
    return f"{lines[i]} {message}".strip()[:300]


def feedback_for(job: dict) -> dict:
    """``nbgrader generate_feedback`` of one assignment for the students of ``job["students"]``, in one run
    (its HTML template is compiled once, not once per student). Reads the course gradebook, which only the
    grader's process writes (grading is over by then)."""
    root, assignment = Path(job["root"]), job["assignment"]
    others = sorted({p.parent.name for p in root.glob(f"_grading/autograded/*/{assignment}")} - set(job["students"]))
    api = _api(job["config"], root, student_id_exclude=",".join(others))
    result = api.generate_feedback(assignment, "*", force=True)
    return {"success": bool(result.get("success")), "error": (result.get("error") or "").strip()[-300:]}


def feedback_jobs(root: Path, trusted: TrustedCourse, todo: list[tuple[str, str]], workers: int) -> list[dict]:
    """The feedback to write, as jobs for the workers: one per assignment, a large one split in ``workers``
    parts so that every worker has a share."""
    graded = [(s, a) for s, a in todo if (root / "_grading" / "autograded" / s / a).is_dir()]
    share = max(1, -(-len(graded) // workers))
    jobs = []
    for a in sorted({a for _, a in graded}):
        students = [s for s, b in graded if b == a]
        for i in range(0, len(students), share):
            jobs.append(
                {
                    "kind": "feedback",
                    "assignment": a,
                    "students": students[i : i + share],
                    "root": str(root),
                    "config": trusted.config,
                }
            )
    return sorted(jobs, key=lambda job: -len(job["students"]))


def _quiet_nbgrader() -> None:
    """nbgrader's gradebook makes SQLAlchemy warn about its own session use on every submission: noise."""
    import warnings

    warnings.filterwarnings("ignore", message=r".*not in session.*")


def _worker_main(conn, root: str) -> None:
    """A worker: grade the jobs that arrive on ``conn`` until told to stop."""
    os.chdir(root)
    _quiet_nbgrader()
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(("ok", feedback_for(job) if job.get("kind") == "feedback" else grade_one(job)))
        except Exception as exc:  # reported to the supervisor, which retries once
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


# What every worker imports, loaded once by the fork server the workers are forked from (about 4 s of CPU per
# worker when each imported them itself): nbgrader, the confirmation run, and torch (the confirmation judges
# compare with torch.optim, whose first optimizer imports torch._dynamo: 2 s more).
WORKER_PRELOAD = [__name__, "nbgrader.apps", f"{__package__}.kernel", f"{__package__}.verify", "torch", "torch._dynamo"]


class Supervisor:
    """``workers`` processes grading jobs; a worker that dies is replaced and its job retried once.

    The workers are forked from a fork server that has imported :data:`WORKER_PRELOAD` (a fresh, single-purpose
    process: never a fork of this one, which holds gradebook connections)."""

    def __init__(self, root: Path, workers: int):
        self.root, self.size = root, workers
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload(WORKER_PRELOAD)
        self.idle: list = []
        self.busy: dict = {}  # connection -> (process, job, attempt)
        for _ in range(workers):
            self.idle.append(self._start())

    def _start(self):
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, str(self.root)), daemon=True)
        proc.start()
        child.close()
        return parent, proc

    def run(self, jobs: list[dict]):
        """Yield ``(job, outcome or None, why)`` as jobs finish (``None``: the worker died twice)."""
        from multiprocessing.connection import wait

        queue = [(job, 1) for job in jobs]
        while queue or self.busy:
            while queue and self.idle:
                (conn, proc), (job, attempt) = self.idle.pop(), queue.pop(0)
                conn.send(job)
                self.busy[conn] = (proc, job, attempt)
            ready = wait(list(self.busy) + [p.sentinel for p, _, _ in self.busy.values()], timeout=5)
            for conn in list(self.busy):
                proc, job, attempt = self.busy[conn]
                message = None
                if conn in ready or proc.sentinel in ready:
                    try:
                        message = conn.recv() if conn.poll() else None
                    except (EOFError, OSError):
                        message = None
                    if message is None and proc.is_alive():
                        continue
                else:
                    continue
                del self.busy[conn]
                if message is not None and message[0] == "ok":
                    self.idle.append((conn, proc))
                    yield job, message[1], ""
                    continue
                why = message[1] if message else f"the grading worker died (exit code {proc.exitcode})"
                if message is None:
                    conn.close()
                    proc.join(timeout=1)
                    self.idle.append(self._start())
                else:
                    self.idle.append((conn, proc))
                if attempt == 1:
                    queue.insert(0, (job, 2))
                else:
                    yield job, None, why

    def close(self) -> None:
        for conn, proc in self.idle:
            try:
                conn.send(None)
            except OSError:
                pass
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


# --- 3. back in the grader's process ------------------------------------------------------------------


def record(root: Path, trusted: TrustedCourse, outcome: dict) -> SubmissionReport:
    """Write one submission's confirmed scores (and the grader's comments) into the course gradebook, and
    its executed notebook where ``generate_feedback`` reads it."""
    from nbgrader.api import Gradebook, MissingEntry

    from .verify import _defined_functions

    student, assignment = outcome["student"], outcome["assignment"]
    nb_name = f"{assignment}.ipynb"
    _, solutions = trusted.cells(assignment)
    owner = {fn: gid for gid, src in solutions.items() for fn in _defined_functions(src)}
    report = SubmissionReport(
        student,
        assignment,
        None,
        0.0,
        0.0,
        outcome["autograde_ok"],
        list(outcome["problems"]),
        cells=outcome["cells"],
        seconds=outcome["seconds"],
    )
    if not outcome["autograde_ok"]:
        why = outcome["autograde_error"] or "no error message"
        report.problems.append(f"nbgrader autograde failed ({why}); scores come from the independent check")
    autograded = root / "_grading" / "autograded" / student / assignment
    shutil.rmtree(autograded, ignore_errors=True)
    if outcome.get("notebook"):
        autograded.mkdir(parents=True)
        (autograded / nb_name).write_text(outcome["notebook"])
    from ..course import late

    db_url = _api(trusted.config, root).coursedir.db_url
    with Gradebook(db_url, "adamlab") as gb:
        gb.update_or_create_student(student)
        when = late.submitted_at(root, student, assignment)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        if when is not None:
            gb.update_or_create_submission(assignment, student, timestamp=when)
        kernel_scores = outcome.get("kernel_scores") or {}
        kernel_total = 0.0
        notes: dict[str, list[str]] = {}
        for cell in outcome["cells"]:
            grade = gb.find_grade(cell["grade_id"], assignment, assignment, student)
            kernel = kernel_scores.get(cell["grade_id"])
            kernel_total += kernel or 0.0
            if kernel is not None and abs(kernel - cell["score"]) > 1e-9:
                report.overridden_cells.append(f"{cell['grade_id']}: kernel {kernel:g} → confirmed {cell['score']:g}")
            grade.auto_score = cell["score"]
            grade.manual_score = None  # manual points for autograded cells come only from the instructor
            grade.needs_manual_grade = False
            report.confirmed_score += cell["score"]
            report.max_score += cell["points"]
            if not cell["passed"]:
                report.failed_cells[cell["grade_id"]] = cell["message"]
                notes.setdefault(owner.get(cell["function"], ""), []).append(
                    f"- {cell['grade_id']} ({cell['points']:g} points): {cell['message']}"
                )
        for gid in solutions:
            comment = gb.find_comment(gid, assignment, assignment, student)
            kept = re.split(rf"\n*### {CHECK_HEADER}", comment.auto_comment or "")[0]
            lines = notes.get(gid)
            if lines:
                kept += (
                    f"\n\n### {CHECK_HEADER}\nYour functions were run again on fresh inputs, "
                    "outside your notebook, and compared with torch.optim:\n" + "\n".join(lines)
                )
            comment.auto_comment = kept.strip() or None
        gb.db.commit()
        report.kernel_score = kernel_total if outcome["autograde_ok"] else None
        penalty, note = late.late_penalty(root, student, assignment, report.confirmed_score, trusted.config)
        late.record_penalty(gb, student, assignment, penalty)
        report.late_penalty = penalty
        if penalty:
            report.problems.append(f"late: {note}")
        report.late_note = note
    return report


def failed_outcome(trusted: TrustedCourse, student: str, assignment: str, why: str) -> dict:
    """The outcome of a submission whose worker died twice: every test cell scores 0, and the report says why."""
    tests, _ = trusted.cells(assignment)
    cells = [
        {"grade_id": g, "points": p, "function": "?", "probe": "?", "passed": False, "message": why, "score": 0.0}
        for g, p in tests.items()
    ]
    return {
        "student": student,
        "assignment": assignment,
        "autograde_ok": False,
        "autograde_error": why,
        "kernel_scores": {},
        "notebook": None,
        "cells": cells,
        "problems": [f"not graded: {why} (twice); scored 0: regrade with `make grade S={student}`"],
        "seconds": 0.0,
    }


def export_grades(root: Path, trusted: TrustedCourse | None = None) -> Path:
    """Export the course gradebook with nbgrader's CSV exporter to ``_grading/grades.csv`` (atomically)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    trusted = trusted or TrustedCourse.load(root, [])
    path = root / "_grading" / "grades.csv"
    partial = path.with_suffix(".csv.partial")
    plugin = CsvExportPlugin(to=str(partial))
    with Gradebook(_api(trusted.config, root).coursedir.db_url, "adamlab") as gb:
        plugin.export(gb)
    os.replace(partial, path)  # an interrupted run never leaves a half-written grades.csv
    return path


def grade(
    root: Path | str,
    workers: int = 2,
    assignments: list[str] | None = None,
    seed: int | None = None,
    feedback: bool = True,
    echo=print,
    students: list[str] | None = None,
) -> list[SubmissionReport]:
    """Grade everything under ``_grading/submitted`` (see the module docstring); one report per submission."""
    from .sandbox import check_jail, unsafe_requested

    check_jail()  # refuses without bubblewrap unless UNSAFE=1
    jail.remove_stale()  # what a grader killed with SIGKILL left behind
    _quiet_nbgrader()
    root = Path(root).resolve()
    os.chdir(root)
    bin_dir = str(Path(sys.executable).parent)  # nbgrader's gradebook shells out to `alembic`
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    (root / "_grading" / "submitted").mkdir(parents=True, exist_ok=True)
    todo = submissions(root, assignments, students)
    if not todo:
        who = f" for {', '.join(students)}" if students else ""
        echo(f"Nothing to grade{who}: put notebooks in _grading/submitted/<student>/<assignment>/")
        return []
    names = sorted({a for _, a in todo})
    trusted = TrustedCourse.load(root, names)
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "little")
    reports = []
    with tempfile.TemporaryDirectory(prefix=jail.scratch_prefix("templates")) as templates_dir:
        template = prepare_templates(trusted, names, Path(templates_dir))
        jobs = [
            {
                "student": s,
                "assignment": a,
                "template": str(template),
                "root": str(root),
                "config": trusted.config,
                "seed": seed + i,
                "unsafe": unsafe_requested() and _jail_missing(),
            }
            for i, (s, a) in enumerate(todo)
        ]
        start = time.perf_counter()
        supervisor = Supervisor(root, workers)
        try:
            for k, (job, outcome, why) in enumerate(supervisor.run(jobs), start=1):
                if outcome is None:
                    outcome = failed_outcome(trusted, job["student"], job["assignment"], why)
                report = record(root, trusted, outcome)
                reports.append(report)
                issues = report.problems + report.overridden_cells
                flag = "  ⚠ " + "; ".join(issues) if issues else ""
                elapsed = time.perf_counter() - start
                left = elapsed / k * (len(jobs) - k)
                echo(
                    f"[{k}/{len(jobs)}, {_clock(elapsed)} elapsed, about {_clock(left)} left] "
                    f"{report.student} {report.assignment}: {report.confirmed_score:g}/{report.max_score:g}{flag}"
                )
            graded_at = time.perf_counter()  # the rate counts the grading phase (autograde + confirm), not feedback
            if feedback:
                for job, outcome, why in supervisor.run(feedback_jobs(root, trusted, todo, workers)):
                    if outcome is None or not outcome["success"]:
                        who = ", ".join(job["students"])
                        echo(f"feedback for {job['assignment']} ({who}) failed: {why or outcome['error']}")
        finally:
            supervisor.close()
    csv_path = export_grades(root, trusted)
    changed = trusted.changed()
    elapsed = graded_at - start
    from ..course import similarity

    flags = similarity.scan(root, todo)  # a flag for a human: never a change of score
    write_report(root, reports, elapsed, workers, changed, flags)
    if changed:
        echo(f"⚠ files grading trusts changed during the run: {', '.join(changed)} (see report.md)")
    echo(
        f"Graded {len(reports)} submissions in {elapsed:.1f} s with {workers} worker(s) "
        f"({60 * len(reports) / max(elapsed, 1e-9):.1f} per minute). Grades: {csv_path.relative_to(root)}; "
        f"feedback: _grading/feedback/; report: _grading/report.md"
    )
    return reports


def _jail_missing() -> bool:
    from . import jail

    return jail.unavailable() is not None


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def write_report(
    root: Path,
    reports: list[SubmissionReport],
    elapsed: float,
    workers: int,
    changed: list[str] | None = None,
    similarity_flags: list[dict] | None = None,
) -> None:
    """``_grading/report.json`` (everything), ``report.md`` and ``report.html`` (:mod:`..course.report`)."""
    from ..course.report import write_reports

    out = root / "_grading"
    records = [asdict(r) for r in reports]
    meta = {
        "seconds": elapsed,
        "workers": workers,
        "changed_trusted_files": changed or [],
        "similarity": similarity_flags or [],
        "similarity_threshold": 0.95,
    }
    (out / "report.json").write_text(json.dumps({**meta, "submissions": records}, indent=1))
    write_reports(out, records, meta)
