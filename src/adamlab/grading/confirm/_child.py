"""The grading sandbox's child process: run a student's cells, then the grader's probes on their objects.

Started by :mod:`adamlab.grading.confirm.sandbox` as ``python -I -m adamlab.grading.confirm._child DIR``
in a fresh process with resource limits. It reads ``DIR/cells.json`` (the code to run) and
``DIR/request.npz`` (each probe's name and inputs), and writes ``DIR/result.npz`` (each probe's
outputs, or the error it met), both through :mod:`..engine.transport`. Nothing it writes is
trusted: the grader reads plain values back (no pickles) and judges them itself.
"""

import json
import re
import sys
import traceback

import numpy as np

from adamlab.grading.engine import transport
from adamlab.grading.exercises import probe

MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def main(workdir: str) -> None:
    with open(f"{workdir}/cells.json") as f:
        cells = json.load(f)
    request = transport.read(f"{workdir}/request.npz")["items"]
    probes = [probe(item["probe"]) for item in request]  # looked up before the student's code runs
    namespace = {"__name__": "__main__"}
    for i, source in enumerate(cells):
        try:
            exec(compile(MAGIC.sub("", source), f"<cell {i}>", "exec"), namespace)
        except BaseException:  # like a notebook run with errors allowed: report, go on
            traceback.print_exc()
    results = []
    for p, item in zip(probes, request, strict=True):
        obj = namespace.get(p.function)
        if obj is None:
            results.append({"error": "missing", "message": f"{p.function} is not defined"})
            continue
        try:
            with np.errstate(all="ignore"):
                outputs = transport.roundtrip(p.run(obj, item["inputs"]))  # plain values only
        except NotImplementedError:
            results.append({"error": "not_implemented", "message": "not implemented yet (NotImplementedError)"})
        except AssertionError as exc:  # a check's own words (a wrong signature, a wrongly shaped result)
            results.append({"error": "failed", "message": str(exc)})
        except BaseException as exc:  # anything else the student's code did
            results.append({"error": "crashed", "message": f"{type(exc).__name__}: {exc}"})
        else:
            results.append({"error": None, "outputs": outputs})
    transport.write(f"{workdir}/result.npz", {"items": results})


if __name__ == "__main__":
    main(sys.argv[1])
