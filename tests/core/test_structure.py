"""The shape of the code base: no import cycles between modules, no module past the size limit.

The import graph is built from the source (AST), not by importing. At import time only the
statements a module runs when it is imported count — top-level ``import`` / ``from … import``,
also inside top-level ``if`` / ``try`` / ``with`` blocks, but not inside functions or classes and
not under ``if TYPE_CHECKING:``. A second, stricter pass also counts imports inside functions:
deferring an import hides a cycle from Python but the two modules still need each other.
"""
from __future__ import annotations

import ast
from pathlib import Path

import chengyun

ROOT = Path(chengyun.__file__).resolve().parent
MAX_LINES = 900

# Known exceptions, each to be removed by the change that fixes it. There are none: keep it so.
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_LONG_MODULES: set[str] = set()


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _import_time_statements(body: list[ast.stmt]):
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name != "TYPE_CHECKING":
                yield from _import_time_statements(node.body)
            yield from _import_time_statements(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _import_time_statements(block)
        elif isinstance(node, ast.With):
            yield from _import_time_statements(node.body)


def _all_imports(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def import_graph(root: Path = ROOT, *, deferred: bool = False) -> dict[str, set[str]]:
    """module → the modules of the package at root that it imports when it is imported.

    With deferred, imports inside functions count too (those run on the first call).
    """
    modules = _modules(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _all_imports(tree) if deferred else _import_time_statements(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                # `from pkg import x` imports the submodule pkg.x when there is one, else a name of pkg
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_imports_at_import_time_only(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "from .sub import helper\n"
        "if TYPE_CHECKING:\n    from . import c\n"
        "try:\n    import pkg.d\nexcept ImportError:\n    pass\n"
        "def f():\n    from . import e\n")
    for name in "bcde":
        (pkg / f"{name}.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .helper import x\n")
    (pkg / "sub" / "helper.py").write_text("from ..sub import x\nfrom .. import b\n")
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.b", "pkg.sub.helper", "pkg.d"}
    assert graph["pkg.sub"] == {"pkg.sub.helper"}
    assert graph["pkg.sub.helper"] == {"pkg.sub", "pkg.b"}
    assert cycles(graph) == [["pkg.sub", "pkg.sub.helper"]]
    assert import_graph(pkg, deferred=True)["pkg.a"] == {"pkg.b", "pkg.c", "pkg.d", "pkg.e", "pkg.sub.helper"}


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_at_import_time():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" ↔ ".join(c) for c in found)


def test_no_import_cycles_through_deferred_imports():
    """A cycle hidden behind an import inside a function is still two modules that need each other."""
    found = [c for c in cycles(import_graph(deferred=True)) if frozenset(c) not in KNOWN_CYCLES]
    assert not found, "import cycles: " + "; ".join(" ↔ ".join(c) for c in found)


def test_known_cycles_are_still_cycles():
    """An exception that no longer applies must go, so it cannot hide a new cycle later."""
    current = {frozenset(c) for c in cycles(import_graph(deferred=True))}
    assert KNOWN_CYCLES <= current, f"remove from KNOWN_CYCLES: {KNOWN_CYCLES - current}"


def _long_modules() -> dict[str, int]:
    lengths = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            lengths[path.relative_to(ROOT).as_posix()] = n
    return lengths


def test_no_module_past_the_size_limit():
    long = {k: v for k, v in _long_modules().items() if k not in KNOWN_LONG_MODULES}
    assert not long, f"modules over {MAX_LINES} lines (split by concern): {long}"


def test_known_long_modules_are_still_long():
    assert KNOWN_LONG_MODULES <= set(_long_modules()), f"remove from KNOWN_LONG_MODULES: {KNOWN_LONG_MODULES - set(_long_modules())}"
