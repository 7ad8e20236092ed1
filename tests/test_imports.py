"""The package's import structure: every module imports alone, and the import graph has no cycle.

Registration by import side effect (a module that must be imported for another to work) and import
cycles are what these two tests rule out; plugins are listed by whoever uses them.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import REPO

SRC = REPO / "src"


def modules() -> dict[str, object]:
    """``{module name: path}`` of every module of ``adamlab``."""
    found = {}
    for path in sorted((SRC / "adamlab").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path, known: set[str]) -> set[str]:
    """The adamlab modules that ``name`` imports anywhere in its code (lazy imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import sub` imports the submodule when there is one, else a name of pkg
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import adamlab.x.y` as a name: the module that defines it
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_import_graph_of_adamlab_has_no_cycle():
    found = modules()
    graph = {name: imports_of(name, path, set(found)) for name, path in found.items()}
    assert any(m.startswith("adamlab.grading.exercises.ex") for m in graph["adamlab.grading.exercises"]), (
        "the graph misses the registry's edges"
    )
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph))
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.slow
def test_every_module_imports_alone_in_a_fresh_interpreter():
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}

    def try_import(name):
        result = subprocess.run(
            [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, env=env, timeout=300
        )
        return name, result.returncode, result.stderr[-1500:]

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [(n, err) for n, code, err in pool.map(try_import, sorted(modules())) if code]
    assert not failures, "\n\n".join(f"{n}:\n{err}" for n, err in failures)
