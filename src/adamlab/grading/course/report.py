"""The class report: what an instructor needs for the next lecture, as ``report.md`` and a self-contained
``report.html`` (plots inline as SVG, no script, nothing fetched).

Per assignment: a histogram of the confirmed scores, the pass rate of every check (autograded test cell) and the
mistakes the grader named most often; then every submission that needs a human (grader problems, scores the
confirmation changed, late work) and the similarity flags (:mod:`.similarity`), which never change a score.

Input: the per-submission records of ``_grading/report.json`` (``"submissions"``), each a dict with ``student``,
``assignment``, ``confirmed_score``, ``max_score``, ``kernel_score``, ``autograde_ok``, ``problems``,
``overridden_cells``, ``failed_cells``, ``cells`` (``grade_id``, ``points``, ``passed``, ``message``,
``mistake``), ``late_penalty`` (and optionally ``late_note``), ``seconds``.
"""

from __future__ import annotations

import html
import io
import os
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

TOP_MISTAKES = 5


# ---------------------------------------------------------------- what the report says (no formatting)


def by_assignment(records: Sequence[Mapping]) -> dict[str, list[Mapping]]:
    groups: dict[str, list[Mapping]] = {}
    for r in sorted(records, key=lambda r: (r["assignment"], r["student"])):
        groups.setdefault(r["assignment"], []).append(r)
    return groups


def score_summary(records: Sequence[Mapping]) -> dict:
    """Counts and statistics of one assignment's confirmed scores (before late penalties)."""
    scores = [float(r["confirmed_score"]) for r in records]
    top = max((float(r["max_score"]) for r in records), default=0.0)
    return {
        "submissions": len(scores),
        "max_score": top,
        "mean": statistics.fmean(scores) if scores else 0.0,
        "median": statistics.median(scores) if scores else 0.0,
        "min": min(scores, default=0.0),
        "max": max(scores, default=0.0),
        "full_marks": sum(1 for s in scores if top and abs(s - top) < 1e-9),
        "zero": sum(1 for s in scores if s == 0),
        "late": sum(1 for r in records if (r.get("late_penalty") or 0) > 0),
    }


def check_pass_rates(records: Sequence[Mapping]) -> list[dict]:
    """One row per check (``grade_id``, in notebook order): how many submissions passed it, and the mistake most
    often named when it failed."""
    rows: dict[str, dict] = {}
    for r in records:
        for cell in r.get("cells", []):
            row = rows.setdefault(
                cell["grade_id"],
                {"grade_id": cell["grade_id"], "points": float(cell["points"]), "passed": 0, "total": 0,
                 "mistakes": Counter(), "unnamed": 0},
            )  # fmt: skip
            row["total"] += 1
            if cell["passed"]:
                row["passed"] += 1
            elif cell.get("mistake"):
                row["mistakes"][cell["mistake"]] += 1
            else:
                row["unnamed"] += 1
    for row in rows.values():
        row["rate"] = row["passed"] / row["total"] if row["total"] else 0.0
    return list(rows.values())


def frequent_mistakes(records: Sequence[Mapping], top: int = TOP_MISTAKES) -> list[dict]:
    """The named mistakes of one assignment, most students first: ``{"mistake", "students", "checks"}``. A student
    counts once per mistake however many checks it failed."""
    students: dict[str, set[str]] = {}
    checks: dict[str, set[str]] = {}
    for r in records:
        for cell in r.get("cells", []):
            if not cell["passed"] and cell.get("mistake"):
                students.setdefault(cell["mistake"], set()).add(r["student"])
                checks.setdefault(cell["mistake"], set()).add(cell["grade_id"])
    ranked = sorted(students, key=lambda m: (-len(students[m]), m))[:top]
    return [{"mistake": m, "students": len(students[m]), "checks": sorted(checks[m])} for m in ranked]


def attention(record: Mapping) -> list[str]:
    """Why a submission needs a human (empty when it does not)."""
    reasons = [str(p) for p in record.get("problems", [])]
    if not record.get("autograde_ok", True) and not any("autograde" in p for p in reasons):
        reasons.append("nbgrader autograde failed")
    reasons += [f"score changed by the confirmation: {o}" for o in record.get("overridden_cells", [])]
    if (record.get("late_penalty") or 0) > 0:
        note = record.get("late_note") or ""
        reasons.append(f"late: {record['late_penalty']:g} point(s) off" + (f" — {note}" if note else ""))
    return reasons


def mistake_titles(assignment: str) -> dict[str, str]:
    """``{mistake key: title}`` from the exercise's catalogue (``{}`` for an assignment the registry lacks)."""
    try:
        from ..exercises import exercise

        e = exercise(assignment)
    except Exception:  # an assignment outside the registry, or a registry that fails to load: keys, not titles
        return {}
    return {m.key: m.title for spec in (*e.step_specs, *e.function_specs) for m in getattr(spec, "mistakes", ())}


# ---------------------------------------------------------------- plots


def _svg_figure(records: Sequence[Mapping], assignment: str) -> str:
    """Histogram of confirmed scores and pass rate per check, as one inline ``<svg>`` element."""
    import matplotlib
    from matplotlib.figure import Figure

    summary = score_summary(records)
    rates = check_pass_rates(records)
    top = summary["max_score"]
    with matplotlib.rc_context({"svg.hashsalt": assignment, "svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=(9, 2.2 + 0.22 * max(len(rates), 4)), layout="constrained")
        hist, bars = fig.subplots(1, 2, width_ratios=[1, 1.3])
        width = max(1.0, top / 20)
        edges = [-width / 2 + i * width for i in range(int(top / width) + 2)]
        hist.hist([float(r["confirmed_score"]) for r in records], bins=edges, color="#4c72b0", edgecolor="white")
        hist.set_xlabel(f"confirmed score (of {top:g})")
        hist.set_ylabel("submissions")
        hist.yaxis.get_major_locator().set_params(integer=True)
        hist.set_title(f"{assignment}: {summary['submissions']} submissions, mean {summary['mean']:.1f}")
        names = [row["grade_id"] for row in rates][::-1]
        values = [100 * row["rate"] for row in rates][::-1]
        colours = ["#55a868" if v >= 80 else "#dd8452" if v >= 50 else "#c44e52" for v in values]
        bars.barh(names, values, color=colours)
        bars.set_xlim(0, 100)
        bars.set_xlabel("passed (%)")
        bars.set_title("pass rate per check")
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


# ---------------------------------------------------------------- Markdown


def _md(text: object) -> str:
    return str(text).replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _text_histogram(records: Sequence[Mapping]) -> list[str]:
    top = score_summary(records)["max_score"]
    width = max(1.0, top / 20)
    counts = Counter(round(float(r["confirmed_score"]) / width) for r in records)
    most = max(counts.values(), default=1)
    return [
        f"{i * width:>6g} | {'█' * max(1, round(20 * counts[i] / most)) if counts[i] else ''} {counts[i] or ''}"
        for i in range(int(top / width) + 1)
    ]


def markdown(records: Sequence[Mapping], meta: Mapping) -> str:
    groups = by_assignment(records)
    titles = {a: {**mistake_titles(a), **meta.get("mistake_titles", {}).get(a, {})} for a in groups}
    lines = ["# Grading report", "", _headline(records, meta), ""]
    lines += ["## Scores", "", "| assignment | submissions | mean | median | min | max | full marks | zero | late |",
              "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for a, rs in groups.items():
        s = score_summary(rs)
        lines.append(
            f"| {_md(a)} | {s['submissions']} | {s['mean']:.1f} / {s['max_score']:g} | {s['median']:g} | "
            f"{s['min']:g} | {s['max']:g} | {s['full_marks']} | {s['zero']} | {s['late']} |"
        )
    for a, rs in groups.items():
        lines += ["", f"## {_md(a)}", "", "Confirmed scores (before late penalties):", "", "```",
                  *_text_histogram(rs), "```", "",
                  "| check | points | passed | rate | most frequent mistake when failed | failed, none named |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for row in check_pass_rates(rs):
            common = row["mistakes"].most_common(1)
            named = f"{titles[a].get(common[0][0], common[0][0])} ({common[0][1]})" if common else ""
            lines.append(
                f"| {_md(row['grade_id'])} | {row['points']:g} | {row['passed']}/{row['total']} | "
                f"{_pct(row['rate'])} | {_md(named)} | {row['unnamed'] or ''} |"
            )
        mistakes = frequent_mistakes(rs)
        lines += ["", "Most frequent named mistakes:", ""]
        lines += [
            f"{i}. {_md(titles[a].get(m['mistake'], m['mistake']))}: {m['students']} student(s) "
            f"(checks: {', '.join(m['checks'])})"
            for i, m in enumerate(mistakes, 1)
        ] or ["none named."]
    flagged = [(r, attention(r)) for r in sorted(records, key=lambda r: (r["assignment"], r["student"]))]
    flagged = [(r, why) for r, why in flagged if why]
    lines += ["", "## Needs your attention", ""]
    if not flagged:
        lines.append("Nothing: every submission was graded without a problem, on time.")
    for r, why in flagged:
        lines += [f"### {_md(r['student'])} / {_md(r['assignment'])}", "", *[f"- {_md(w)}" for w in why], ""]
    lines += ["", "## Similar solutions", "", _similarity_intro(meta), ""]
    flags = meta.get("similarity") or []
    if flags:
        lines += ["| assignment | submissions | similarity | verbatim |", "|---|---|---|---|"]
        lines += [
            f"| {_md(f['assignment'])} | {_md(_who(f))} | {_pct(f['similarity'])} | {'yes' if f['verbatim'] else ''} |"
            for f in flags
        ]
    else:
        lines.append("No flags.")
    lines += ["", "## Every submission", "",
              "| student | assignment | confirmed | max | late penalty | kernel said | attention |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in sorted(records, key=lambda r: (r["assignment"], r["student"])):
        kernel = "failed" if r.get("kernel_score") is None else f"{r['kernel_score']:g}"
        lines.append(
            f"| {_md(r['student'])} | {_md(r['assignment'])} | {r['confirmed_score']:g} | {r['max_score']:g} | "
            f"{(r.get('late_penalty') or 0):g} | {kernel} | {'yes' if attention(r) else ''} |"
        )
    return "\n".join(lines) + "\n"


def _headline(records: Sequence[Mapping], meta: Mapping) -> str:
    parts = [f"{len(records)} submissions", f"{len(by_assignment(records))} assignment(s)"]
    if meta.get("seconds") is not None:
        parts.append(f"graded in {float(meta['seconds']):.1f} s")
    if meta.get("workers"):
        parts.append(f"{meta['workers']} worker(s)")
    return ", ".join(parts) + "."


def _similarity_intro(meta: Mapping) -> str:
    threshold = meta.get("similarity_threshold")
    at = f" (similarity ≥ {_pct(float(threshold))})" if threshold is not None else ""
    return (
        f"Pairs of submissions whose solution code is near-identical after renaming every variable and "
        f"replacing every constant{at}, and submissions that match the public solution (solutions/). "
        "A flag for you to read the two notebooks, never a score change: short or standard code "
        "can match honestly."
    )


def _who(flag: Mapping) -> str:
    return " & ".join(flag["students"]) + (" ↔ public solution" if flag["kind"] == "public" else "")


# ---------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; }
svg { max-width: 100%; height: auto; }
.bad { color: #b00020; } .note { color: #555; }
"""


def html_page(records: Sequence[Mapping], meta: Mapping) -> str:
    e = html.escape
    groups = by_assignment(records)
    titles = {a: {**mistake_titles(a), **meta.get("mistake_titles", {}).get(a, {})} for a in groups}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>Grading report</title>",
           f"<style>{CSS}</style></head><body>", "<h1>Grading report</h1>", f"<p>{e(_headline(records, meta))}</p>",
           "<h2>Scores</h2>", "<table><tr><th>assignment</th><th>submissions</th><th>mean</th><th>median</th>"
           "<th>min</th><th>max</th><th>full marks</th><th>zero</th><th>late</th></tr>"]  # fmt: skip
    for a, rs in groups.items():
        s = score_summary(rs)
        cells = [s["submissions"], f"{s['mean']:.1f} / {s['max_score']:g}", f"{s['median']:g}", f"{s['min']:g}",
                 f"{s['max']:g}", s["full_marks"], s["zero"], s["late"]]  # fmt: skip
        out.append(f'<tr><td><a href="#{e(a)}">{e(a)}</a></td>' + "".join(f'<td class="num">{c}</td>' for c in cells))
    out.append("</table>")
    for a, rs in groups.items():
        out += [f'<h2 id="{e(a)}">{e(a)}</h2>', _svg_figure(rs, a),
                "<table><tr><th>check</th><th>points</th><th>passed</th><th>rate</th>"
                "<th>most frequent mistake when failed</th><th>failed, none named</th></tr>"]  # fmt: skip
        for row in check_pass_rates(rs):
            common = row["mistakes"].most_common(1)
            named = f"{titles[a].get(common[0][0], common[0][0])} ({common[0][1]})" if common else ""
            cls = ' class="num bad"' if row["rate"] < 0.5 else ' class="num"'
            out.append(
                f"<tr><td>{e(row['grade_id'])}</td><td class='num'>{row['points']:g}</td>"
                f"<td class='num'>{row['passed']}/{row['total']}</td><td{cls}>{_pct(row['rate'])}</td>"
                f"<td>{e(named)}</td><td class='num'>{row['unnamed'] or ''}</td></tr>"
            )
        out.append("</table><h3>Most frequent named mistakes</h3>")
        mistakes = frequent_mistakes(rs)
        if mistakes:
            out.append("<ol>")
            out += [
                f"<li>{e(titles[a].get(m['mistake'], m['mistake']))}: {m['students']} student(s) "
                f"<span class='note'>(checks: {e(', '.join(m['checks']))})</span></li>"
                for m in mistakes
            ]
            out.append("</ol>")
        else:
            out.append("<p>None named.</p>")
    out.append("<h2>Needs your attention</h2>")
    flagged = [(r, attention(r)) for r in sorted(records, key=lambda r: (r["assignment"], r["student"]))]
    flagged = [(r, why) for r, why in flagged if why]
    if not flagged:
        out.append("<p>Nothing: every submission was graded without a problem, on time.</p>")
    else:
        out.append("<table><tr><th>student</th><th>assignment</th><th>why</th></tr>")
        for r, why in flagged:
            items = "".join(f"<li>{e(w)}</li>" for w in why)
            out.append(f"<tr><td>{e(r['student'])}</td><td>{e(r['assignment'])}</td><td><ul>{items}</ul></td></tr>")
        out.append("</table>")
    out += ["<h2>Similar solutions</h2>", f"<p class='note'>{e(_similarity_intro(meta))}</p>"]
    flags = meta.get("similarity") or []
    if flags:
        out.append("<table><tr><th>assignment</th><th>submissions</th><th>similarity</th><th>verbatim</th></tr>")
        out += [
            f"<tr><td>{e(f['assignment'])}</td><td>{e(_who(f))}</td><td class='num'>{_pct(f['similarity'])}</td>"
            f"<td>{'yes' if f['verbatim'] else ''}</td></tr>"
            for f in flags
        ]
        out.append("</table>")
    else:
        out.append("<p>No flags.</p>")
    out += ["<h2>Every submission</h2>", "<table><tr><th>student</th><th>assignment</th><th>confirmed</th>"
            "<th>max</th><th>late penalty</th><th>kernel said</th><th>attention</th></tr>"]  # fmt: skip
    for r in sorted(records, key=lambda r: (r["assignment"], r["student"])):
        kernel = "failed" if r.get("kernel_score") is None else f"{r['kernel_score']:g}"
        out.append(
            f"<tr><td>{e(r['student'])}</td><td>{e(r['assignment'])}</td><td class='num'>{r['confirmed_score']:g}"
            f"</td><td class='num'>{r['max_score']:g}</td><td class='num'>{(r.get('late_penalty') or 0):g}</td>"
            f"<td class='num'>{kernel}</td><td>{'yes' if attention(r) else ''}</td></tr>"
        )
    out += ["</table>", "</body></html>"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- files


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)  # a reader never sees half a report


def write_reports(grading_dir: Path | str, records: Sequence[Mapping], meta: Mapping) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``grading_dir``; returns their paths.

    ``meta`` (all optional): ``seconds`` and ``workers`` of the run, ``similarity`` (the flags of
    :func:`.similarity.similar_pairs`), ``similarity_threshold``, and ``mistake_titles``
    (``{assignment: {key: title}}``, added to the exercise registry's titles).
    """
    grading_dir = Path(grading_dir)
    grading_dir.mkdir(parents=True, exist_ok=True)
    md, page = grading_dir / "report.md", grading_dir / "report.html"
    _write(md, markdown(records, meta))
    _write(page, html_page(records, meta))
    return md, page
