"""The package's own import graph: no cycles, and no private names imported across modules.

The graph is read from the source (``ast``), not by importing it, so a deferred import inside a
function counts as much as one at the top of a module: a cycle hidden behind a deferred import is
still a cycle. Imports under ``if TYPE_CHECKING:`` do not count (they never run).

An import of ``accessibility.a.b`` also runs ``accessibility/a/__init__.py``, so it makes an edge
to that package as well, unless the importing module lies inside it (the package is then already
being imported). ``from .pkg import name`` makes an edge to ``pkg/__init__.py`` when ``name`` is not
a submodule: a package whose ``__init__`` re-exports a module that imports back is a cycle.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "accessibility"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: all but the body of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports_in(child)
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` statement names."""
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    if node.level > 1:
        parts = parts[: len(parts) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def _targets(
    module: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]
) -> list[tuple[str, str]]:
    """``(module imported, name imported or "")`` for each module of the package a statement runs."""
    package = module.split(".")[0]
    if isinstance(node, ast.Import):
        return [(a.name, "") for a in node.names if a.name.split(".")[0] == package]
    base = _base(module, path, node)
    if base.split(".")[0] != package:
        return []
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append((sub, "") if sub in modules else (base, alias.name))
    return out


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """``{importer: {imported: [source lines]}}`` over the package's own modules."""
    modules = _modules(root)
    graph: dict[str, dict[str, list[str]]] = {m: {} for m in modules}
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        for node in _imports(ast.parse(source)):
            text = (ast.get_source_segment(source, node) or "").splitlines()[0]
            line = f"{path.relative_to(root.parent)}:{node.lineno}: {text}"
            for target, _name in _targets(module, path, node, modules):
                if target not in modules:
                    continue
                own = set(_ancestors(module))
                for dep in [*_ancestors(target), target]:
                    if dep == module or (dep in own and dep != target):
                        continue
                    lines = graph[module].setdefault(dep, [])
                    if line not in lines:
                        lines.append(line)
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """One shortest cycle through each strongly connected component with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)

    cycles = []
    for comp in components:
        inside = set(comp)
        start = comp[0]
        # breadth-first from start back to start, inside the component
        previous: dict[str, str] = {}
        frontier = [start]
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w not in inside:
                        continue
                    if w == start:
                        found = v
                        break
                    if w not in previous:
                        previous[w] = v
                        nxt.append(w)
                if found is not None:
                    break
            frontier = nxt
        path = [start]
        v = found
        while v is not None and v != start:
            path.append(v)
            v = previous.get(v)
        cycles.append([start, *reversed(path[1:]), start])
    return cycles


def _describe(cycle: list[str], graph: dict[str, dict[str, list[str]]]) -> str:
    lines = [" -> ".join(cycle)]
    for a, b in itertools.pairwise(cycle):
        lines.extend(f"    {a} -> {b}: {src}" for src in graph[a][b])
    return "\n".join(lines)


def test_graph_is_read():
    graph = import_graph()
    assert "accessibility.errors" in graph
    # a relative import is resolved: validate.roads imports errors and validate.problems
    assert "accessibility.errors" in graph["accessibility.validate.roads"]
    assert "accessibility.validate.problems" in graph["accessibility.validate.roads"]


def test_cycle_finder_reports_a_cycle():
    graph = {"a": {"b": ["a: import b"]}, "b": {"c": ["b: import c"]}, "c": {"a": ["c: import a"]}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b": []}, "b": {}}) == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "pkg"


def test_deferred_imports_count_and_type_checking_ones_do_not(tmp_path):
    files = {
        "__init__.py": "",
        "a.py": "def f():\n    from .b import g\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n",
    }
    graph = import_graph(_package(tmp_path, files))
    assert graph["pkg.a"] == {"pkg.b": ["pkg/a.py:2: from .b import g"]}
    assert graph["pkg.b"] == {}
    assert _cycles(graph) == []
    files["b.py"] += "def g():\n    from . import a\n"
    assert _cycles(import_graph(_package(tmp_path, files))) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_a_package_init_that_imports_back_is_a_cycle(tmp_path):
    # pkg.x imports pkg.sub.m, which runs pkg/sub/__init__.py, which imports pkg.sub.n -> pkg.x
    files = {
        "__init__.py": "",
        "x.py": "from .sub.m import h\ny = 1\n",
        "sub/__init__.py": "from .n import z\n",
        "sub/m.py": "def h():\n    return 1\n",
        "sub/n.py": "from ..x import y\nz = y\n",
    }
    cycles = _cycles(import_graph(_package(tmp_path, files)))
    assert cycles == [["pkg.sub", "pkg.sub.n", "pkg.x", "pkg.sub"]]


def test_private_names_across_modules_are_found(tmp_path):
    files = {
        "__init__.py": "",
        "a.py": "def _helper():\n    pass\n",
        "b.py": "from .a import _helper\nfrom . import _kernel\n",
        "_kernel.py": "",
    }
    assert _private_imports(_package(tmp_path, files)) == ["pkg/b.py:1: from pkg.a import _helper"]


def test_no_import_cycles():
    graph = import_graph()
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(_describe(c, graph) for c in cycles)


def _private_imports(root: Path = ROOT) -> list[str]:
    """``from module import _name`` across the package's own modules (private modules aside)."""
    modules = _modules(root)
    found = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        for node in _imports(ast.parse(source)):
            if not isinstance(node, ast.ImportFrom):
                continue
            for target, name in _targets(module, path, node, modules):
                if target == module:
                    continue
                # a private module (``from . import _kernel``) is the package's own business
                if name.startswith("_") and not name.startswith("__"):
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    found.append(f"{where}: from {target} import {name}")
    return found


def test_no_private_names_imported_across_modules():
    found = _private_imports()
    assert not found, "private names imported across modules:\n" + "\n".join(found)
