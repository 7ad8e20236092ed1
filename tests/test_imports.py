"""The package's import structure: every module imports alone, and the import graph has no cycle.

Registration by import side effect (a module that must be imported for another to work) and import
cycles are what these two tests rule out; plugins are listed by whoever uses them.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

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


def third_party_imports() -> set[str]:
    """The modules outside adamlab and the standard library that adamlab's modules import (``torch.nn``, and for
    ``from a.b import c`` both ``a.b`` and ``a.b.c``, which may be a module)."""
    out = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
    stdlib = set(sys.stdlib_module_names) | {"adamlab", "__future__"}
    return {name for name in out if name.split(".")[0] not in stdlib}


# One interpreter imports the third-party packages once (torch alone takes seconds), checks that no adamlab module
# is loaded, then forks a child per module: each child imports its one module into an interpreter that has
# never seen adamlab, so a module that works only after another one was imported fails here.
IMPORT_EACH_ALONE = r"""
import importlib, os, sys, traceback
for module in sys.argv[2:]:
    try:
        importlib.import_module(module)
    except ImportError:
        pass  # not a module (a name in one), or an optional package that is not installed
assert not [m for m in sys.modules if m.split(".")[0] == "adamlab"], "adamlab was imported before the forks"
failed = 0
for name in sys.argv[1].split(","):
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            print(f"--- {name}:\n{traceback.format_exc()[-1500:]}", flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    failed += status != 0
sys.exit(1 if failed else 0)
"""


@pytest.mark.slow
def test_every_module_imports_alone():
    names = sorted(modules())
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_ALONE, ",".join(names), *sorted(third_party_imports())],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_a_module_that_needs_another_imported_first_fails(tmp_path):
    """The check above can fail: a package whose module relies on a sibling having been imported before it."""
    package = tmp_path / "adamlab_probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "registry.py").write_text("ENTRIES = []\n")
    (package / "plugin.py").write_text(
        "import adamlab_probe_pkg.registry\nadamlab_probe_pkg.registry.ENTRIES.append(1)\n"
    )
    (package / "user.py").write_text("import adamlab_probe_pkg\nassert adamlab_probe_pkg.registry.ENTRIES\n")
    names = ["adamlab_probe_pkg.plugin", "adamlab_probe_pkg.user"]
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_ALONE, ",".join(names)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 1 and "--- adamlab_probe_pkg.user:" in result.stdout
    assert "--- adamlab_probe_pkg.plugin:" not in result.stdout
