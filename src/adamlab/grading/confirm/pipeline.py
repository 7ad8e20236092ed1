"""``make grade``: autograde every submission in parallel, confirm the scores, write feedback and grades.

1. Register each assignment from ``solutions/`` in the gradebook (``generate_assignment``
   into ``_grading/release``, so ``exercises/`` is never touched).
2. In ``workers`` processes: ``nbgrader autograde`` one submission (its kernel
   run gives the student their test output and messages), then confirm every
   test cell in a fresh sandbox against ``torch.optim`` (:mod:`.verify`).
3. Back in this process, write the confirmed scores into the gradebook, one
   submission at a time (an interrupted run keeps every submission already
   recorded; a re-run recomputes the same scores).
4. ``generate_feedback`` (in parallel), then export ``_grading/grades.csv`` with
   nbgrader's CSV columns, and write ``_grading/report.md`` / ``report.json``.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHECK_HEADER = "Grader's independent check"
_worker: dict = {}


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
    seconds: float = 0.0


def load_api(root: Path, **coursedir_overrides):
    """An ``NbGraderAPI`` configured by the repository's ``nbgrader_config.py``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    for key, value in coursedir_overrides.items():
        config.CourseDirectory[key] = value
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log_level = "WARN"
    return api


def submissions(root: Path, assignments: list[str] | None = None) -> list[tuple[str, str]]:
    """``(student, assignment)`` for every folder ``_grading/submitted/<student>/<assignment>/``."""
    base = root / "_grading" / "submitted"
    known = {p.name for p in (root / "solutions").iterdir() if p.is_dir()}
    found = []
    for student_dir in sorted(p for p in base.glob("*") if p.is_dir()):
        for a_dir in sorted(p for p in student_dir.glob("*") if p.is_dir()):
            if a_dir.name in known and (assignments is None or a_dir.name in assignments):
                found.append((student_dir.name, a_dir.name))
    return found


def _init_worker(root: str) -> None:
    os.chdir(root)
    _worker["root"] = Path(root)
    _worker["api"] = load_api(Path(root))
    importlib.import_module("torch")  # once per worker, not per submission


def _grade_one(student: str, assignment: str, seed: int) -> dict:
    """Autograde one submission, then confirm it; runs in a worker process."""
    import numpy as np

    from .verify import verify

    start = time.perf_counter()
    root, api = _worker["root"], _worker["api"]
    result = {"success": False}
    for attempt in range(5):  # sqlite may be briefly locked by the other workers
        result = api.autograde(assignment, student, force=True, create=True)
        text = (result.get("error") or "") + (result.get("log") or "")
        if result.get("success") or "database is locked" not in text:
            break
        time.sleep(0.5 * (attempt + 1))
    nb_name = f"{assignment}.ipynb"
    source = str(root / "solutions" / assignment / nb_name)
    try:
        verification = verify(
            assignment,
            student,
            source,
            str(root / "_grading" / "submitted" / student / assignment / nb_name),
            np.random.default_rng(seed),
        )
    except Exception as exc:  # a grader-side problem must not stop the class: score 0, reported
        from .verify import CellVerdict, Verification, source_cells

        tests, _ = source_cells(source)
        verification = Verification(
            assignment,
            student,
            [
                CellVerdict(gid, points, "?", "?", passed=False, message="not confirmed: grader error")
                for gid, points in tests.items()
            ],
        )
        verification.problems.append(
            f"the grader could not confirm this submission ({type(exc).__name__}: {exc}); scored 0 until fixed"
        )
    return {
        "student": student,
        "assignment": assignment,
        "autograde_ok": bool(result.get("success")),
        "autograde_error": (result.get("error") or "")[-1500:],
        "cells": [asdict(c) | {"score": c.score} for c in verification.cells],
        "problems": verification.problems,
        "seconds": time.perf_counter() - start,
    }


def _feedback_one(student: str, assignment: str) -> tuple[str, str, bool, str]:
    result = _worker["api"].generate_feedback(assignment, student, force=True)
    return student, assignment, bool(result.get("success")), (result.get("error") or "")[-800:]


def record(root: Path, outcome: dict) -> SubmissionReport:
    """Write one submission's confirmed scores (and the grader's comments) into the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from .verify import _defined_functions, source_cells

    student, assignment = outcome["student"], outcome["assignment"]
    _, solutions = source_cells(str(root / "solutions" / assignment / f"{assignment}.ipynb"))
    owner = {fn: gid for gid, src in solutions.items() for fn in _defined_functions(src)}
    report = SubmissionReport(
        student,
        assignment,
        None,
        0.0,
        0.0,
        outcome["autograde_ok"],
        list(outcome["problems"]),
        seconds=outcome["seconds"],
    )
    if not outcome["autograde_ok"]:
        last_line = (outcome["autograde_error"].strip().splitlines() or ["no error message"])[-1]
        report.problems.append(f"nbgrader autograde failed ({last_line}); scores come from the independent check")
    with Gradebook(load_api(root).coursedir.db_url, "adamlab") as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        kernel_total = 0.0
        notes: dict[str, list[str]] = {}
        for cell in outcome["cells"]:
            grade = gb.find_grade(cell["grade_id"], assignment, assignment, student)
            kernel = grade.auto_score
            kernel_total += kernel or 0.0
            if kernel is not None and abs(kernel - cell["score"]) > 1e-9:
                report.overridden_cells.append(f"{cell['grade_id']}: kernel {kernel:g} → confirmed {cell['score']:g}")
            grade.auto_score = cell["score"]
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
    return report


def export_grades(root: Path) -> Path:
    """Export the gradebook with nbgrader's CSV exporter to ``_grading/grades.csv``.

    Called only at the end of a complete run, after every submission's confirmed scores are recorded.
    """
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    path = root / "_grading" / "grades.csv"
    partial = path.with_suffix(".csv.partial")
    plugin = CsvExportPlugin(to=str(partial))
    with Gradebook(load_api(root).coursedir.db_url, "adamlab") as gb:
        plugin.export(gb)
    os.replace(partial, path)  # atomic: an interrupted run never leaves a half-written grades.csv
    return path


def register_assignments(root: Path, assignments: list[str]) -> None:
    """Record each assignment's cells in the gradebook, releasing into ``_grading/release`` (not ``exercises/``)."""
    api = load_api(root, release_directory=os.path.join("_grading", "release"))
    for a in assignments:
        result = api.generate_assignment(a, force=True)
        if not result.get("success"):
            raise RuntimeError(f"nbgrader generate_assignment {a} failed:\n{result.get('error') or result.get('log')}")


def grade(
    root: Path | str,
    workers: int = 2,
    assignments: list[str] | None = None,
    seed: int | None = None,
    feedback: bool = True,
    echo=print,
) -> list[SubmissionReport]:
    """Grade everything under ``_grading/submitted`` (see the module docstring); returns one report per submission."""
    root = Path(root).resolve()
    os.chdir(root)
    # nbgrader's gradebook shells out to `alembic`, which lives beside this interpreter.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    (root / "_grading" / "submitted").mkdir(parents=True, exist_ok=True)
    todo = submissions(root, assignments)
    if not todo:
        echo("Nothing to grade: put notebooks in _grading/submitted/<student>/<assignment>/")
        return []
    register_assignments(root, sorted({a for _, a in todo}))
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "little")
    start = time.perf_counter()
    reports = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(str(root),)
    ) as pool:
        futures = [pool.submit(_grade_one, s, a, seed + i) for i, (s, a) in enumerate(todo)]
        for fut in futures:
            report = record(root, fut.result())
            reports.append(report)
            flag = (
                "  ⚠ " + "; ".join(report.problems + report.overridden_cells)
                if (report.problems or report.overridden_cells)
                else ""
            )
            echo(f"{report.student:>20s} {report.assignment}: {report.confirmed_score:g}/{report.max_score:g}{flag}")
        graded_at = time.perf_counter()
        if feedback:
            for s, a, ok, err in pool.map(_feedback_one, *zip(*todo, strict=True)):
                if not ok:
                    echo(f"feedback for {s}/{a} failed: {err.strip()[-300:]}")
    csv_path = export_grades(root)
    elapsed = graded_at - start
    write_report(root, reports, elapsed, workers)
    echo(
        f"Graded {len(reports)} submissions in {elapsed:.1f} s with {workers} worker(s) "
        f"({60 * len(reports) / max(elapsed, 1e-9):.1f} per minute). Grades: {csv_path.relative_to(root)}; "
        f"feedback: _grading/feedback/; report: _grading/report.md"
    )
    return reports


def write_report(root: Path, reports: list[SubmissionReport], elapsed: float, workers: int) -> None:
    """``_grading/report.json`` (everything) and ``report.md`` (a table, then every problem)."""
    out = root / "_grading"
    (out / "report.json").write_text(
        json.dumps({"seconds": elapsed, "workers": workers, "submissions": [asdict(r) for r in reports]}, indent=1)
    )
    lines = [
        "# Grading report",
        "",
        f"{len(reports)} submissions, {elapsed:.1f} s, {workers} worker(s).",
        "",
        "| student | assignment | confirmed | max | kernel said | attention |",
        "|---|---|---|---|---|---|",
    ]
    for r in reports:
        kernel = "failed" if r.kernel_score is None else f"{r.kernel_score:g}"
        attention = "yes" if (r.problems or r.overridden_cells) else ""
        lines.append(
            f"| {r.student} | {r.assignment} | {r.confirmed_score:g} | {r.max_score:g} | {kernel} | {attention} |"
        )
    for r in reports:
        if r.problems or r.overridden_cells:
            lines += [
                "",
                f"## {r.student} / {r.assignment}",
                *[f"- {p}" for p in r.problems],
                *[f"- score changed: {o}" for o in r.overridden_cells],
            ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
