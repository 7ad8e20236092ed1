"""The grading sandbox's child process: run a student's cells, then their functions on the grader's inputs.

Started by :mod:`adamlab.grading.sandbox` as ``python -I -m adamlab.grading._child DIR``
in a fresh process with resource limits. It reads ``DIR/cells.json`` (the code to
run) and ``DIR/request.npz`` (the inputs), and writes ``DIR/result.npz``. Nothing
it writes is trusted: the grader only reads plain arrays back (no pickles) and
compares them with ``torch.optim`` itself.
"""

import json
import re
import sys
import traceback

import numpy as np

from adamlab.grading.contract import Case, StudentError, rollout
from adamlab.grading.probes import _load_all, as_arrays, probe
from adamlab.grading.registry import contract

MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def main(workdir: str) -> None:
    cells = json.load(open(f"{workdir}/cells.json"))
    request = dict(np.load(f"{workdir}/request.npz", allow_pickle=False))
    plan = json.loads(str(request.pop("plan")))
    _load_all()  # every probe is imported before the student's code runs
    namespace = {"__name__": "__main__"}
    for i, source in enumerate(cells):
        try:
            exec(compile(MAGIC.sub("", source), f"<cell {i}>", "exec"), namespace)
        except BaseException:  # like a notebook run with errors allowed: report, go on
            traceback.print_exc()
    out, meta = {}, []
    for k, item in enumerate(plan):
        try:
            if item["kind"] == "probe":
                p = probe(item["probe"])
                inputs = {key.split("__", 1)[1]: request[key] for key in request if key.startswith(f"in{k}__")}
                fn = namespace.get(p.function)
                if fn is None:
                    meta.append({"error": "missing", "message": f"{p.function} is not defined"})
                    continue
                got = as_arrays(p.run(fn, inputs), p.name)
            else:
                fn = namespace.get(item["function"])
                if fn is None:
                    meta.append({"error": "missing", "message": f"{item['function']} is not defined"})
                    continue
                case = Case(item["label"], request[f"theta0_{k}"], request[f"grads_{k}"], item["hp"])
                with np.errstate(all="ignore"):
                    got = rollout(contract(item["function"]), fn, case, check_purity=item["pure"])
        except StudentError as err:
            meta.append({"error": err.key, "message": err.message})
            continue
        except NotImplementedError:
            meta.append({"error": "not_implemented", "message": "not implemented yet (NotImplementedError)"})
            continue
        except BaseException as exc:  # anything else the student's code did
            meta.append({"error": "crashed", "message": f"{type(exc).__name__}: {exc}"})
            continue
        meta.append({"error": None})
        for name, values in got.items():
            out[f"out{k}__{name}"] = np.asarray(values, dtype=np.float64)
    out["meta"] = np.array(json.dumps(meta))
    np.savez(f"{workdir}/result.npz", **out)


if __name__ == "__main__":
    main(sys.argv[1])
