"""Near-identical solutions: a flag for a human, never a score change.

Each submission's solution cells are normalised so that renaming variables, editing comments or changing
constants does not hide a copy:

1. parse with :mod:`ast` and drop docstrings (comments are already gone);
2. rename every identifier (variables, arguments, functions, imports, keywords) to ``_0, _1, ...`` by first
   appearance, and replace every number by ``_N`` and every string by ``_S``;
3. unparse and tokenize, so the result is a token stream; a cell that does not parse is tokenized directly,
   with the same renaming.

The parts every student receives — the function signatures and stubs of the release (the public solution
with its ``### BEGIN SOLUTION`` regions cleared) — are subtracted, so blank submissions never match. Two
streams are compared with :class:`difflib.SequenceMatcher` (the ratio ``2·matches / total length``); a pair at
or above ``threshold`` is flagged, and so is a submission that matches the public solution. Streams shorter than
``min_tokens`` are never flagged: a three-line ``gd_step`` written twice the same way proves nothing. Pairs
are compared on what they do not share with the public solution (runs of ``MIN_PUBLIC_RUN`` tokens and more):
many students write the textbook Adam update the same way, and each of them is flagged as matching the public
solution, not as a pair with every other.
"""

from __future__ import annotations

import ast
import difflib
import io
import itertools
import keyword
import re
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*", re.M | re.S)
MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
STUB = "raise NotImplementedError()"
SEPARATOR = "<cell>"
STATEMENT_START = ("<newline>", "<indent>", "<dedent>")
MIN_SUBTRACTED_RUN = 3  # a shorter run shared with the scaffold is a coincidence (a bracket, a comma)
MIN_PUBLIC_RUN = 6  # about half a statement: what a pair shares with the public solution is no evidence


class _Canonical(ast.NodeTransformer):
    """Identifiers → ``_0, _1, ...`` by first appearance (``names`` is shared across a submission's cells);
    numbers → ``_N``, strings → ``_S``; docstrings and other bare strings dropped."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def name(self, identifier: str | None) -> str | None:
        if identifier is None:
            return None
        return self.names.setdefault(identifier, f"_{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.name(node.arg)
        node.annotation = None
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.keyword:
        node.arg = self.name(node.arg)
        self.generic_visit(node)
        return node

    def visit_alias(self, node: ast.alias) -> ast.alias:
        node.asname = self.name(node.asname or node.name.split(".")[0])
        return node

    def _definition(self, node):
        node.name = self.name(node.name)
        node.body = [s for s in node.body if not _bare_string(s)] or [ast.Pass()]
        if hasattr(node, "returns"):
            node.returns = None
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition

    def visit_Global(self, node: ast.Global) -> ast.Global:
        node.names = [self.name(n) for n in node.names]
        return node

    visit_Nonlocal = visit_Global

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or node.value is None or node.value is Ellipsis:
            return node
        if isinstance(node.value, (str, bytes)):
            return ast.Name(id="_S", ctx=ast.Load())
        return ast.Name(id="_N", ctx=ast.Load())

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return ast.Name(id="_S", ctx=ast.Load())


def _bare_string(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _tokens(code: str, names: dict[str, str] | None = None) -> list[str]:
    """Token strings of ``code`` without comments and blank lines; identifiers renamed through ``names`` when
    given (the fallback for a cell that does not parse)."""
    out: list[str] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER, tokenize.ENCODING):
                continue
            text = tok.string
            if tok.type == tokenize.NAME and names is not None and not keyword.iskeyword(text) and previous != ".":
                text = names.setdefault(text, f"_{len(names)}")
            elif tok.type == tokenize.NUMBER and names is not None:
                text = "_N"
            elif tok.type == tokenize.STRING and names is not None:
                text = "_S"
            elif tok.type == tokenize.INDENT:
                text = "<indent>"
            elif tok.type == tokenize.DEDENT:
                text = "<dedent>"
            elif tok.type == tokenize.NEWLINE:
                text = "<newline>"
            out.append(text)
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # the tokens read so far are still comparable
    if names is not None:  # bare strings (docstrings) are statements of their own: drop them, as the AST path does
        out = [
            t
            for i, t in enumerate(out)
            if not (t == "_S" and out[i + 1 : i + 2] == ["<newline>"] and (i == 0 or out[i - 1] in STATEMENT_START))
            and not (t == "<newline>" and i > 0 and out[i - 1] == "_S" and (i == 1 or out[i - 2] in STATEMENT_START))
        ]
    return out


def normalise(cells: Sequence[str]) -> list[str]:
    """The normalised token stream of one submission's solution cells (see the module docstring)."""
    names: dict[str, str] = {}
    stream: list[str] = []
    for source in cells:
        code = _strip_magics(source)
        try:
            tree = ast.parse(code)
        except SyntaxError:
            stream += _tokens(code, names)
        else:
            tree.body = [s for s in tree.body if not _bare_string(s)]
            tree = ast.fix_missing_locations(_Canonical(names).visit(tree))
            stream += _tokens(ast.unparse(tree))
        stream.append(SEPARATOR)
    return stream


def _strip_magics(source: str) -> str:
    """IPython lines (``%timeit``, ``!pip``) are not Python: drop them before parsing."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def scaffold(public_cells: Sequence[str]) -> list[str]:
    """What every student receives: the public solution's cells with each solution region replaced by the stub,
    as ``nbgrader generate_assignment`` releases them (normalised)."""

    def clear(source: str) -> str:
        def stub(match: re.Match) -> str:
            indent = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
            return indent + STUB

        return SOLUTION_REGION.sub(stub, source)

    return normalise([clear(c) for c in public_cells])


def solution_code(public_cells: Sequence[str]) -> list[str]:
    """The public solution's cells with the ``### BEGIN/END SOLUTION`` marker lines removed."""
    return [MARKER_LINE.sub("", c) for c in public_cells]


def own_tokens(stream: list[str], given: list[str], min_run: int = MIN_SUBTRACTED_RUN) -> list[str]:
    """``stream`` without the runs (of at least ``min_run`` tokens) it shares with ``given``."""
    if not given:
        return [t for t in stream if t != SEPARATOR]
    keep = [True] * len(stream)
    matcher = difflib.SequenceMatcher(None, given, stream, autojunk=False)
    for block in matcher.get_matching_blocks():
        if block.size >= min_run:
            keep[block.b : block.b + block.size] = [False] * block.size
    return [t for t, k in zip(stream, keep) if k and t != SEPARATOR]


def ratio(a: list[str], b: list[str]) -> float:
    """``2·matches / (len(a) + len(b))`` of :class:`difflib.SequenceMatcher`, 0 for two empty streams."""
    if not a and not b:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio()


def _verbatim(cells: Sequence[str]) -> str:
    return "\n".join(" ".join(c.split()) for c in cells)


def similar_pairs(
    submissions: Mapping[tuple[str, str], Sequence[str]],
    public_solutions: Mapping[str, Sequence[str]],
    threshold: float = 0.95,
    min_tokens: int = 25,
) -> list[dict]:
    """Flags for a human: pairs of submissions of one assignment whose normalised solution code is at least
    ``threshold`` similar, and submissions that match the assignment's public solution.

    Args:
        submissions: ``{(student, assignment): [source of each solution cell, in notebook order]}``.
        public_solutions: ``{assignment: [source of each solution cell]}`` from ``solutions/``, with their
            ``### BEGIN/END SOLUTION`` markers (used both as the scaffold to subtract and as the solution).
        threshold: the similarity (0–1) from which a pair is flagged.
        min_tokens: a submission with fewer tokens of its own (after subtracting the scaffold) is never flagged.

    Returns:
        One dict per flag, most similar first: ``{"assignment", "kind": "pair" | "public", "students": [..],
        "similarity": float, "verbatim": bool (the raw code is the same but for whitespace), "tokens": int}``.
    """
    by_assignment: dict[str, list[str]] = {}
    for student, assignment in submissions:
        by_assignment.setdefault(assignment, []).append(student)
    flags: list[dict] = []
    for assignment, students in sorted(by_assignment.items()):
        public = public_solutions.get(assignment, [])
        given = scaffold(public) if public else []
        streams = {s: own_tokens(normalise(submissions[s, assignment]), given) for s in sorted(students)}
        raw = {s: _verbatim(submissions[s, assignment]) for s in streams}
        distinct = streams
        if public:
            reference_cells = solution_code(public)
            reference = own_tokens(normalise(reference_cells), given)
            # Pairs are compared on what they do *not* share with the public solution: two students who both
            # wrote the textbook update (or copied it) are flagged once each below, not as a pair.
            distinct = {s: own_tokens(stream, reference, MIN_PUBLIC_RUN) for s, stream in streams.items()}
            for s, stream in streams.items():
                if len(stream) < min_tokens:
                    continue
                r = ratio(stream, reference)
                if r >= threshold:
                    verbatim = raw[s] == _verbatim(reference_cells)
                    flags.append(_flag(assignment, "public", [s], r, verbatim, len(stream)))
        for (s1, a), (s2, b) in itertools.combinations(distinct.items(), 2):
            if min(len(a), len(b)) < min_tokens:
                continue
            matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            r = matcher.ratio()
            if r >= threshold:
                flags.append(_flag(assignment, "pair", [s1, s2], r, raw[s1] == raw[s2], min(len(a), len(b))))
    flags.sort(key=lambda f: (-f["similarity"], f["assignment"], f["students"]))
    return flags


def _flag(assignment: str, kind: str, students: list[str], r: float, verbatim: bool, tokens: int) -> dict:
    return {
        "assignment": assignment,
        "kind": kind,
        "students": students,
        "similarity": round(r, 4),
        "verbatim": verbatim,
        "tokens": tokens,
    }


def solution_cells(notebook: Path | str) -> list[str]:
    """The sources of a notebook's nbgrader solution code cells, in order (``[]`` if it cannot be read)."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:  # a corrupted submission: nothing to compare
        return []
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]


def scan(root: Path | str, pairs: Iterable[tuple[str, str]], threshold: float = 0.95) -> list[dict]:
    """:func:`similar_pairs` for ``(student, assignment)`` submissions under ``root/_grading/submitted``, against
    the public solutions in ``root/solutions``."""
    root = Path(root)
    pairs = list(pairs)
    submissions = {(s, a): solution_cells(root / "_grading" / "submitted" / s / a / f"{a}.ipynb") for s, a in pairs}
    public = {a: solution_cells(root / "solutions" / a / f"{a}.ipynb") for a in {a for _, a in pairs}}
    return similar_pairs(submissions, public, threshold)
