"""The class report from per-submission records: what it counts, what it flags, and that the page stands alone."""

from __future__ import annotations

import re

from adamlab.grading.confirm.samples import ASSIGNMENT  # a real exercise: the report titles its mistakes
from adamlab.grading.course.report import check_pass_rates, frequent_mistakes, score_summary, write_reports

CHECKS = [("test_adam_first_step", 1.0), ("test_adam_trajectory", 2.0), ("test_adam_settings_hidden", 3.0)]


def record(student, failed=(), mistake=None, assignment=ASSIGNMENT, **extra):
    cells = [
        {"grade_id": g, "points": p, "passed": g not in failed, "message": "wrong" if g in failed else "",
         "mistake": mistake if g in failed else None}
        for g, p in CHECKS
    ]  # fmt: skip
    score = sum(c["points"] for c in cells if c["passed"])
    base = {"student": student, "assignment": assignment, "confirmed_score": score, "max_score": 6.0,
            "kernel_score": score, "autograde_ok": True, "problems": [], "overridden_cells": [],
            "failed_cells": {c["grade_id"]: c["message"] for c in cells if not c["passed"]}, "cells": cells,
            "late_penalty": 0.0, "seconds": 1.0}  # fmt: skip
    return base | extra


CLASS = [
    record("ann"),
    record("ben", failed=["test_adam_trajectory", "test_adam_settings_hidden"], mistake="no_bias_correction"),
    record("cat", failed=["test_adam_settings_hidden"], mistake="no_bias_correction"),
    record("dan", failed=["test_adam_first_step"], mistake="eps_inside_sqrt"),
    record("eve", failed=["test_adam_first_step", "test_adam_trajectory", "test_adam_settings_hidden"]),
    record(
        "fay",
        failed=["test_adam_trajectory"],
        overridden_cells=["test_adam_trajectory: kernel 2 → confirmed 0"],
        kernel_score=6.0,
        problems=["<img src=x onerror=alert(1)> | a grader problem"],
    ),  # fmt: skip
    record("gus", late_penalty=1.5, late_note="submitted 3.0 h after the due date"),
    record("ann", assignment="hw2", failed=["test_adam_first_step"]),
]


def test_counts():
    sample = [r for r in CLASS if r["assignment"] == ASSIGNMENT]
    summary = score_summary(sample)
    assert (summary["submissions"], summary["full_marks"], summary["zero"], summary["late"]) == (7, 2, 1, 1)
    rates = {row["grade_id"]: (row["passed"], row["total"], row["unnamed"]) for row in check_pass_rates(sample)}
    assert rates == {"test_adam_first_step": (5, 7, 1), "test_adam_trajectory": (4, 7, 2),
                     "test_adam_settings_hidden": (4, 7, 1)}  # fmt: skip
    # ben failed two checks with the same mistake: one student, counted once
    assert frequent_mistakes(sample) == [
        {"mistake": "no_bias_correction", "students": 2,
         "checks": ["test_adam_settings_hidden", "test_adam_trajectory"]},
        {"mistake": "eps_inside_sqrt", "students": 1, "checks": ["test_adam_first_step"]},
    ]  # fmt: skip


def test_report_files(tmp_path):
    flags = [{"assignment": ASSIGNMENT, "kind": "pair", "students": ["ben", "cat"], "similarity": 0.97,
              "verbatim": False, "tokens": 60}]  # fmt: skip
    md_path, html_path = write_reports(tmp_path / "_grading", CLASS, {"seconds": 12.5, "workers": 2,
                                                                      "similarity": flags})  # fmt: skip
    md, page = md_path.read_text(), html_path.read_text()
    # mistakes by their catalogue titles (the exercise registry's)
    assert "1. no bias correction: 2 student(s)" in md and "ε inside the square root" in md
    assert "| test_adam_settings_hidden | 3 | 4/7 | 57% | no bias correction (2) | 1 |" in md
    for who in (f"fay / {ASSIGNMENT}", f"gus / {ASSIGNMENT}"):
        assert f"### {who}" in md
    assert "score changed by the confirmation: test_adam_trajectory" in md and "late: 1.5 point(s) off" in md
    assert "### ann / " not in md and "### dan / " not in md  # a wrong answer alone is not a flag
    assert f"| {ASSIGNMENT} | ben & cat | 97% |  |" in md
    assert "7 | 6 / 6" not in md and "## hw2" in md
    # Student-controlled text is escaped in both files; the page needs nothing from outside.
    assert "<img" not in md and "<img" not in page and "&lt;img" in page
    assert page.count("<svg") == 2 and "<script" not in page
    assert not re.findall(r"(?:src|href)=[\"']?(?:https?:)?//", page)
    assert not list((tmp_path / "_grading").glob("*.partial"))


def test_no_flags(tmp_path):
    md_path, html_path = write_reports(tmp_path, [record("ann")], {})
    assert "Nothing: every submission was graded without a problem, on time." in md_path.read_text()
    assert "No flags." in html_path.read_text()
