"""Confirm a submission's scores where the student's code cannot reach.

For every autograded test cell of the (trusted) nbgrader source notebook, the
grader draws fresh inputs, has the student's functions evaluated in a fresh
sandbox process (:mod:`.sandbox`), and compares what comes back with
``torch.optim`` *in the grader's own process*, where no student code has run.
A test cell's confirmed score is its points if every one of its checks passes,
else zero — whatever the student's kernel printed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import nbformat
import numpy as np

from .contract import describe, diagnose, first_departure
from .probes import probe
from .registry import TESTS, contract
from .sandbox import run_student_code
from .suites import cases
from .torch_reference import torch_rollout

# Modules a solution cell may not import: they hold reference implementations.
FORBIDDEN_IMPORTS = {"default": ("adamlab", "torch"), "ex07_training": ("adamlab",)}
# Assignments whose sandbox needs longer than the default (ex07 imports torch and trains networks).
SANDBOX_TIMEOUT = {"ex07_training": 180.0}
# Source patterns a solution cell may not contain (ex07: torch's own Adam, or reaching into modules).
# Any cell the student wrote may not reach into the module system or into functions' internals
# (``check.__globals__`` leads to the reference implementations).
INTROSPECTION = re.compile(r"\bsys\s*\.\s*modules\b|\bimportlib\b|__import__|__(globals|builtins|subclasses|"
                           r"closure|code)__|\bgc\s*\.")
# Solution cells may not use torch's own optimizers in ex07 (matched against code without strings/comments).
SOLUTION_PATTERN = {
    "ex07_training": re.compile(r"optim\s*\.\s*(Adam|AdamW|adam|adamw|_functional)\b|import\s+(Adam|AdamW)\b"),
}


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    function: str
    suite: str
    passed: bool
    message: str = ""

    @property
    def score(self) -> float:
        return self.points if self.passed else 0.0


@dataclass
class Verification:
    assignment: str
    student: str
    cells: list[CellVerdict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.cells)


def source_cells(source_path: str) -> tuple[dict[str, float], dict[str, str]]:
    """From the trusted source notebook: autograded test cells ``{grade_id: points}``, solution code ``{grade_id: source}``."""
    nb = nbformat.read(source_path, as_version=4)
    tests, solutions = {}, {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or "grade_id" not in meta:
            continue
        if meta.get("grade") and not meta.get("solution"):
            tests[meta["grade_id"]] = float(meta.get("points", 0))
        elif meta.get("solution"):
            solutions[meta["grade_id"]] = cell.source
    return tests, solutions


def verify(assignment: str, student: str, source_path: str, submitted_path: str, rng: np.random.Generator) -> Verification:
    """Confirm every autograded test cell of ``submitted_path`` (see the module docstring)."""
    tests, solution_ids = source_cells(source_path)
    spec = TESTS.get(assignment, {})
    unmapped = set(tests) - set(spec)
    if unmapped:
        raise KeyError(f"{assignment}: test cells {sorted(unmapped)} have no entry in adamlab.grading.registry.TESTS")
    result = Verification(assignment, student)
    verdicts = [CellVerdict(gid, tests[gid], *spec[gid], passed=False) for gid in tests]
    result.cells = verdicts
    try:
        nb = nbformat.read(submitted_path, as_version=4)
        code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    except Exception as exc:
        result.problems.append(f"notebook unreadable ({type(exc).__name__}: {str(exc)[:200]}): scored 0")
        for v in verdicts:
            v.message = "the notebook file could not be read"
        return result
    runnable = [c.source for c in code_cells if _grade_id(c) not in tests]
    forbidden = FORBIDDEN_IMPORTS.get(assignment, FORBIDDEN_IMPORTS["default"])
    # Cells the student wrote or changed (anything but the instructor's own cells, verbatim) may not import
    # adamlab or use introspection; solution cells may not use the assignment's forbidden modules at all.
    # One offending cell voids every check of the submission.
    instructor_cells = _instructor_cells(source_path)
    offending = []
    for c in code_cells:
        if c.source.strip() in instructor_cells:
            continue
        code = _code_only(c.source)
        in_solution = _grade_id(c) in solution_ids
        if _imports(c.source, ("adamlab",)) or INTROSPECTION.search(code) or in_solution and (
                _imports(c.source, forbidden) or _uses_names(c.source, forbidden)
                or (assignment in SOLUTION_PATTERN and SOLUTION_PATTERN[assignment].search(code))):
            offending.append(c)
    flagged = {v.function for v in verdicts} if offending else set()
    if offending:
        first = (offending[0].source.strip().splitlines() or [""])[0][:80]
        result.problems.append(f"{len(offending)} cell(s) written by the student use a reference implementation "
                               f"({', '.join(forbidden)}; torch's own optimizers in ex07) or reach into the module "
                               f"system (first: {first!r}): every check scores 0")

    plan, owners = [], []
    for i, v in enumerate(verdicts):
        if v.suite.startswith("probe:"):
            p = probe(v.suite[len("probe:"):])
            plan.append(("probe", p.name, p.make_inputs(rng)))
            owners.append(i)
            continue
        c = contract(v.function)
        for case in cases(c, v.suite, rng):
            plan.append((v.function, case, v.suite == "pure"))
            owners.append(i)
    run = run_student_code(runnable, plan, timeout=SANDBOX_TIMEOUT.get(assignment))
    if run.problem:
        result.problems.append(f"sandbox: {run.problem}")
        for v in verdicts:
            v.message = run.problem
        return result
    failed: dict[int, str] = {}
    for planned, owner, item in zip(plan, owners, run.items):
        if owner in failed:
            continue
        if planned[0] == "probe":
            if verdicts[owner].function in flagged:
                failed[owner] = "not confirmed: the notebook uses a reference implementation or the module system"
            elif item["error"]:
                failed[owner] = item["message"]
            else:
                problem = probe(planned[1]).judge(planned[2], item["outputs"])
                if problem:
                    failed[owner] = problem
            continue
        function, case, pure = planned
        c = contract(function)
        if function in flagged:
            failed[owner] = "not confirmed: the notebook uses a reference implementation or the module system"
        elif item["error"]:
            failed[owner] = item["message"]
        elif not pure:  # the purity suite checks structure only; its values are not graded
            expected = torch_rollout(c, case)
            got = item["outputs"]
            shape_ok = set(got) == set(c.outputs) and all(got[n].shape == expected[n].shape for n in c.outputs)
            if not shape_ok:
                failed[owner] = "the sandbox returned outputs of the wrong shape"
                continue
            departure = first_departure(expected, got, c.outputs)
            if departure is not None:
                failed[owner] = describe(c, case, departure, diagnose(c, case, got))
    for i, v in enumerate(verdicts):
        v.passed = i not in failed
        v.message = failed.get(i, "")
    return result


def _instructor_cells(source_path: str) -> set[str]:
    """The code of the source notebook's cells that are not solutions (setup, demonstrations, tests)."""
    nb = nbformat.read(source_path, as_version=4)
    return {c.source.strip() for c in nb.cells if c.cell_type == "code"
            and not c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _defined_functions(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _code_only(source: str) -> str:
    """``source`` without its comments and string literals (docstrings included)."""
    import io
    import tokenize

    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return " ".join(t.string for t in tokens if t.type not in (tokenize.COMMENT, tokenize.STRING))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source


def _uses_names(source: str, modules: tuple[str, ...]) -> bool:
    """Whether ``source`` refers to a name ``modules`` would bind (``torch.optim...`` without importing it here)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Name) and n.id in modules for n in ast.walk(tree))


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def _imports(source: str, modules: tuple[str, ...]) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args \
                and isinstance(node.args[0], ast.Constant):
            names.append(str(node.args[0].value))
    return any(n == m or n.startswith(m + ".") for n in names for m in modules)
