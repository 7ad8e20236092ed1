"""The diagnosis census: do the checks name students' mistakes right, wrong, or not at all?

Runs every mistake of ``tests/grading/natural_mistakes.py`` (code as students write it, each with the
verdict it must get) through both paths a submission takes:

- the kernel's: the notebook's test cells in order, ``check``/``check_probe`` on the student's own
  function (visible suites on their fixed inputs, hidden ones on seeded random inputs);
- the grader's: each probe's ``run`` on a *proxy* of the student's function (arguments and results
  cross as plain trees, as they do from the jailed process: tuples come back as lists), then
  ``Probe.grader_verdict`` (``torch.optim`` as the reference).

A mistake is **named** when every failing check names the expected mistake (or, for ``unknown``, says
that it matches no known mistake), **wrong** when some failing check names another mistake, and
**silent** otherwise (it passes, or it fails without naming the mistake it is). ``caught_visibly``
counts the mistakes that some visible check catches. ``--json`` prints one machine-readable line
(``make bench`` reads it).

    .venv/bin/python tools/diagnosis_census.py [--json] [--verbose] [--only adam_step]
"""

from __future__ import annotations

import argparse
import inspect
import json
import linecache
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grading"))

from natural_mistakes import MISTAKES, Natural  # noqa: E402

from adamlab.grading.engine.transport import roundtrip  # noqa: E402
from adamlab.grading.exercises import EXERCISES  # noqa: E402

PROXY = True  # --direct: the grader's run gets the function itself (as the sandbox did before proxies)
HIDDEN_SEED = 20260  # the hidden suites' inputs, the same on every run of the census

_STRUCTURAL = (  # for engines without Probe.verdict: the message words of structural failures
    ("modified its input", "in_place"),
    ("dtype", "wrong_dtype"),
    (" as NoneType", "wrong_type"),
    ("must return a tuple", "wrong_return"),
    (" raised ", "raised"),
)


def _titles() -> dict[str, str]:
    out = {}
    for e in EXERCISES:
        for spec in (*e.step_specs, *e.function_specs):
            for m in spec.mistakes:
                out.setdefault(m.title, m.key)
    return out


def _parse(message: str | None) -> str | None:
    """The mistake a message names (engines without verdicts): its ``Most likely mistake:`` title, or structure."""
    if not message:
        return None
    found = re.search(r"Most likely mistake: (.*?)\. ", message + " ")
    if found:
        title = found.group(1)
        return next((k for t, k in _TITLES.items() if title == t or title.startswith(t)), "?" + title)
    if "matches none" in message or "No known slip" in message:
        return None
    return next((key for words, key in _STRUCTURAL if words in message), None)


def _verdict(probe, inputs, outputs, grader: bool) -> tuple[str | None, str | None]:
    if grader and hasattr(probe, "grader_verdict"):
        return probe.grader_verdict(inputs, outputs)
    if not grader and hasattr(probe, "verdict"):
        return probe.verdict(inputs, outputs)
    message = (probe.grader_judge if grader else probe.judge)(inputs, outputs)
    return message, _parse(message)


def _crossed(x):
    """``x`` as it comes back from the jail: a plain tree (tuples as lists, NumPy scalars as 0-d arrays,
    arrays copied). :func:`roundtrip`'s result, without its JSON, which would dominate the census's time."""
    if isinstance(x, np.ndarray | np.generic):
        return np.array(x)
    if isinstance(x, list | tuple):
        return [_crossed(v) for v in x]
    if isinstance(x, dict):
        return {k: _crossed(v) for k, v in x.items()}
    return x


def _proxy(fn):
    """What the grader's ``run`` is given: each call crosses to the student's process and back as plain trees."""

    def proxy(*args, **kwargs):
        return _crossed(fn(*_crossed(list(args)), **_crossed(kwargs)))

    proxy.__signature__ = inspect.signature(fn)
    proxy.__name__ = getattr(fn, "__name__", "proxy")
    return proxy


def _student(mistake: Natural):
    """The student's function, defined as a notebook cell defines it (its lines in linecache, as IPython's)."""
    filename = f"<cell: {mistake.function}, {abs(hash(mistake.code))}>"
    linecache.cache[filename] = (len(mistake.code), None, mistake.code.splitlines(True), filename)
    namespace = {"np": np, "__name__": "__student__"}
    exec(compile(mistake.code, filename, "exec"), namespace)  # noqa: S102
    return namespace[mistake.function]


def _probes(function: str):
    return [p for e in EXERCISES for p in e.probes if p.function == function]


def _run_path(mistake: Natural, grader: bool) -> list[dict]:
    """Each probe of the function, in notebook order, on one fresh copy of the student's code."""
    fn = _student(mistake)
    obj = _proxy(fn) if grader and PROXY else fn
    rng = np.random.default_rng(HIDDEN_SEED)
    results = []
    for p in _probes(mistake.function):
        inputs = roundtrip(p.make_inputs(None if (p.visible and not grader) else rng))
        try:
            outputs = roundtrip(p.run(obj, inputs))
        except NotImplementedError:
            results.append({"probe": p.name, "message": "not implemented", "key": "not_implemented"})
            continue
        except AssertionError as err:
            results.append({"probe": p.name, "message": str(err), "key": "signature"})
            continue
        except Exception as exc:  # noqa: BLE001 - what the kernel's check_probe would report
            results.append({"probe": p.name, "message": f"raised {type(exc).__name__}: {exc}", "key": "raised"})
            continue
        message, key = _verdict(p, inputs, outputs, grader)
        results.append({"probe": p.name, "visible": p.visible, "message": message, "key": key})
    return results


# Keys that say what happened, not which mistake it is: neutral in any verdict (a NaN reported as NaN,
# an exception shown with the student's line).
STRUCTURAL = {"raised", "not_finite", "not_implemented", "signature", "wrong_shape", "wrong_return"}


def classify(mistake: Natural, results: list[dict]) -> str:
    """``named``: some failing check names the expected mistake (for ``unknown``: says it matches none
    of those known) and none names another; ``wrong``: some failing check names another; else ``silent``."""
    failing = [r for r in results if r["message"]]
    want = None if mistake.expected == "unknown" else mistake.expected
    if any(r["key"] not in STRUCTURAL and r["key"] is not None and r["key"] != want for r in failing):
        return "wrong"
    if mistake.words and not any(mistake.words in r["message"] for r in failing):
        return "silent"
    if want is None:
        none_known = ("matches none", "No known slip", "matches no")
        ok = any(r["key"] is None and any(w in r["message"] for w in none_known) for r in failing)
        return "named" if ok else "silent"
    return "named" if any(r["key"] == want for r in failing) else "silent"


def census(only: str | None = None, verbose: bool = False) -> dict:
    counts = {"named": 0, "wrong": 0, "silent": 0}
    caught_visibly, rows = 0, []
    start = time.perf_counter()
    for mistake in MISTAKES:
        if only and mistake.function != only:
            continue
        kernel, grader = _run_path(mistake, grader=False), _run_path(mistake, grader=True)
        verdict = classify(mistake, kernel + grader)
        counts[verdict] += 1
        visible = any(r["message"] and r.get("visible") for r in kernel)
        caught_visibly += visible
        rows.append((mistake, verdict, kernel, grader, visible))
        if verbose or verdict != "named":
            print(f"[{verdict:6s}] {mistake.function} expected {mistake.expected} ({mistake.note})", file=sys.stderr)
            if verbose or verdict == "wrong":
                for path, res in (("kernel", kernel), ("grader", grader)):
                    for r in res:
                        if r["message"]:
                            first = r["message"].strip().splitlines()
                            print(f"    {path} {r['probe']}: key={r['key']}", file=sys.stderr)
                            for line in first[:8]:
                                print(f"        {line}", file=sys.stderr)
    total = sum(counts.values())
    return {
        "mistakes": total,
        **counts,
        "caught_visibly": caught_visibly,
        "seconds": round(time.perf_counter() - start, 1),
    }


_TITLES = _titles()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line (for make bench)")
    parser.add_argument("--verbose", action="store_true", help="print every failing check's message")
    parser.add_argument("--only", help="one exercise function, e.g. adam_step")
    parser.add_argument("--direct", action="store_true", help="no proxy on the grader's side")
    args = parser.parse_args(argv)
    global PROXY
    PROXY = not args.direct
    result = census(args.only, args.verbose)
    if args.json:
        print(json.dumps({"diagnosis_census": result}))
    else:
        print(
            f"{result['mistakes']} natural mistakes: {result['named']} named correctly, {result['wrong']} wrong, "
            f"{result['silent']} silent; {result['caught_visibly']} caught by a visible check ({result['seconds']} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
