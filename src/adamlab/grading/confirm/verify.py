"""Confirm a submission's scores where the student's code cannot reach.

For every autograded test cell of the (trusted) nbgrader source notebook, the
grader draws fresh inputs, has the student's functions evaluated in a fresh
sandbox process (:mod:`.sandbox`), and judges what comes back *in the grader's own
process*, where no student code has run (against ``torch.optim`` where torch has the rule).
A test cell's confirmed score is its points if every one of its checks passes,
else zero — whatever the student's kernel printed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import nbformat
import numpy as np

from ..exercises import exercise
from .sandbox import run_student_code

# The second layer (the jail is the first): any cell the student wrote may not reach into the module
# system, into functions' internals (``check.__globals__`` leads to the reference implementations) or
# run code it builds at run time.
INTROSPECTION = re.compile(
    r"\bsys\s*\.\s*modules\b|\bimportlib\b|__import__|__(globals|builtins|subclasses|dict|loader|spec|"
    r"closure|code|getattribute)__|\bgc\s*\.|\b_fused_adam"
)
DYNAMIC = frozenset({"exec", "eval", "compile", "__import__", "vars", "globals", "locals", "breakpoint"})
REFLECTIVE = frozenset({"getattr", "setattr", "delattr", "hasattr"})  # allowed only with a literal name
MODULE_SYSTEM = ("importlib", "inspect", "builtins", "ctypes", "gc", "imp", "pkgutil", "runpy", "marshal")
NOT_CONFIRMED = "not confirmed: the notebook uses a reference implementation or the module system"


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    function: str  # the student's object the check runs on
    probe: str  # the check ("adam_step:first_step")
    passed: bool
    message: str = ""
    mistake: str | None = None  # the key of the catalogued mistake the judge named, if any

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


def source_cells(source_path) -> tuple[dict[str, float], dict[str, str]]:
    """From the trusted source notebook (a path or a binary file): autograded test cells ``{grade_id: points}``
    and solution code ``{grade_id: source}``."""
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


def verify(
    assignment: str, student: str, source_path: str, submitted_path: str, rng: np.random.Generator
) -> Verification:
    """Confirm every autograded test cell of ``submitted_path`` (see the module docstring)."""
    ex = exercise(assignment)
    tests, solution_ids = source_cells(source_path)
    unmapped = set(tests) - set(ex.tests)
    if unmapped:
        raise KeyError(f"{assignment}: test cells {sorted(unmapped)} have no entry in its exercise module's tests")
    probes = [ex.probe(ex.tests[gid]) for gid in tests]
    result = Verification(assignment, student)
    result.cells = [
        CellVerdict(gid, tests[gid], p.function, p.name, passed=False) for gid, p in zip(tests, probes, strict=True)
    ]
    try:
        nb = nbformat.read(submitted_path, as_version=4)
        code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    except Exception as exc:
        result.problems.append(f"notebook unreadable ({type(exc).__name__}: {str(exc)[:200]}): scored 0")
        for v in result.cells:
            v.message = "the notebook file could not be read"
        return result
    runnable = [c.source for c in code_cells if _grade_id(c) not in tests]
    # Cells the student wrote or changed (anything but the instructor's own cells, verbatim) may not import
    # adamlab or use introspection; solution cells may not use the exercise's forbidden modules or code at all.
    # One offending cell voids every check of the submission.
    instructor_cells = _instructor_cells(source_path)
    offending = []
    for c in code_cells:
        if c.source.strip() in instructor_cells:
            continue
        code = _code_only(c.source)
        in_solution = _grade_id(c) in solution_ids
        if (
            _imports(c.source, ("adamlab", *MODULE_SYSTEM))
            or INTROSPECTION.search(code)
            or _dynamic_code(c.source)
            or in_solution
            and (
                _imports(c.source, ex.forbidden_imports)
                or _uses_names(c.source, ex.forbidden_imports)
                or (ex.forbidden_code is not None and ex.forbidden_code.search(code))
            )
        ):
            offending.append(c)
    if offending:
        first = (offending[0].source.strip().splitlines() or [""])[0][:80]
        what = ", ".join(ex.forbidden_imports) + (f"; {ex.forbidden_note}" if ex.forbidden_note else "")
        result.problems.append(
            f"{len(offending)} cell(s) written by the student use a reference implementation "
            f"({what}) or reach into the module system (first: {first!r}): every check scores 0"
        )

    plan = [(p.name, p.make_inputs(rng)) for p in probes]
    run = run_student_code(
        runnable,
        plan,
        timeout=ex.sandbox_timeout,
        profile=ex.jail_profile,
        driver=ex.driver,
        setup=ex.driver_setup() if ex.driver_setup else None,
    )
    if run.problem:
        result.problems.append(f"sandbox: {run.problem}")
        for v in result.cells:
            v.message = run.problem
        return result
    for v, p, (_, inputs), item in zip(result.cells, probes, plan, run.items, strict=True):
        if offending:
            v.message = NOT_CONFIRMED
        elif item["error"]:
            v.message = item["message"]
        else:
            try:
                message, v.mistake = _verdict(p, inputs, item["outputs"])
                v.message = message or ""
            except Exception as exc:  # what came back is not what this probe's run returns
                v.message = f"not confirmed: the sandbox returned malformed outputs ({type(exc).__name__})"
        v.passed = not v.message
    return result


def _verdict(p, inputs, outputs) -> tuple[str | None, str | None]:
    """The judge's message and the named mistake's key (None where the probe names none)."""
    if hasattr(p, "grader_verdict"):
        return p.grader_verdict(inputs, outputs)
    return p.grader_judge(inputs, outputs), None


def _dynamic_code(source: str) -> bool:
    """Whether ``source`` calls ``exec``/``eval``/``compile``/``__import__``/``globals``... or ``getattr`` and
    its kin with a computed name (``getattr(builtins, '__imp' + 'ort__')``)."""
    try:
        tree = ast.parse(MAGIC_LINE.sub("", source))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in DYNAMIC | {"__builtins__"}:  # called or aliased
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in REFLECTIVE
            and not (len(node.args) >= 2 and isinstance(node.args[1], ast.Constant))
        ):
            return True
    return False


MAGIC_LINE = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def _instructor_cells(source_path: str) -> set[str]:
    """The code of the source notebook's cells that are not solutions (setup, demonstrations, tests)."""
    nb = nbformat.read(source_path, as_version=4)
    return {
        c.source.strip()
        for c in nb.cells
        if c.cell_type == "code" and not c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


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
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return any(n == m or n.startswith(m + ".") for n in names for m in modules)
