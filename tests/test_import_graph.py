"""relcheck's import graph: no module imports itself back, and each part of the package
imports only the parts below it.

The graph is read from the source with ``ast``: every import counts, those inside
functions too (they run, only later), except imports under ``if TYPE_CHECKING:``.
Importing ``a.b.c`` counts as importing ``a.b`` too, as Python runs its ``__init__``.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "relcheck"

# The parts of relcheck, lowest first, and the parts each may import (besides itself,
# the package ``relcheck`` and its ``_version``). A part lower down never imports one
# higher up: the engine runs runners and reporters, the command line drives the engine,
# and nothing but ``python -m relcheck`` imports the command line.
_FOUNDATION = {"errors", "models", "durations", "system", "api"}
_RECORDS = {"record", "record_format"}
MAY_IMPORT: dict[str, set[str]] = {
    "_version": set(),
    "relcheck": {"_version"},  # the package's __init__: the version, nothing else
    "errors": set(),  # so that every module may import it
    "durations": set(),
    "models": {"errors"},
    "system": {"errors", "models", "durations"},
    # The plugin API: plain data, and the process door a runner's commands go through.
    "api": {"errors", "models", "durations", "system"},
    "record_format": {"errors", "models", "durations", "system"},
    "record": {"errors", "models", "durations", "system", "record_format"},
    "git": _FOUNDATION | _RECORDS,
    "configdrift": _FOUNDATION | {"git"},
    "evidence": _FOUNDATION | _RECORDS | {"git"},
    "runners": _FOUNDATION | _RECORDS | {"git", "configdrift", "evidence"},
    "checklist": _FOUNDATION | _RECORDS | {"git", "runners"},
    "report": _FOUNDATION | _RECORDS | {"git", "evidence", "checklist"},
    "engine": _FOUNDATION
    | _RECORDS
    | {"git", "configdrift", "evidence", "runners", "checklist", "report"},
    "cli": _FOUNDATION
    | _RECORDS
    | {"git", "configdrift", "evidence", "runners", "checklist", "report", "engine"},
    "__main__": {"cli"},
}
ANYONE_MAY_IMPORT = {"relcheck", "_version"}

# Imports that break the layers: none. An entry here is a debt, named and to be paid.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for the package at ``root``."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _outside_type_checking(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, except in the body of ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                skipped.update(id(inner) for inner in ast.walk(statement))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped
    ]


def _targets(name: str, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    """The modules of the package that ``node``, in module ``name``, imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    base = node.module or ""
    if node.level:
        package = name.split(".")
        if known[name].name != "__init__.py":
            package = package[:-1]  # a module's relative imports start at its package
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    found = []
    for alias in node.names:
        if f"{base}.{alias.name}" in known:  # `from a import b` where b is a module
            found.append(f"{base}.{alias.name}")
        elif base in known:
            found.append(base)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports, packages on the way included."""
    known = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        imported: set[str] = set()
        for node in _outside_type_checking(tree):
            for target in _targets(name, node, known):
                parts = target.split(".")
                # `import a.b.c` runs a/b/__init__.py too (the root package is left out:
                # it only holds the version, and every module is inside it).
                imported.update(
                    ".".join(parts[:end])
                    for end in range(2, len(parts) + 1)
                    if ".".join(parts[:end]) in known
                )
        imported.discard(name)
        graph[name] = imported
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle ``[a, b, a]`` per group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_shortest_cycle(graph, group) for group in groups]


def _shortest_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    came_from: dict[str, str] = {}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start] if node != start else [start, start]
            if nxt not in came_from:
                came_from[nxt] = node
                todo.append(nxt)
    raise AssertionError(f"no cycle in {sorted(group)}")  # a strong component has one


def part(module: str) -> str:
    """``checklist`` for relcheck.checklist.load; ``errors`` for relcheck.errors."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_violations(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for module, imported in graph.items():
        own = part(module)
        allowed = MAY_IMPORT[own] | {own} | (set() if own == "errors" else ANYONE_MAY_IMPORT)
        wrong = {target for target in imported if part(target) not in allowed}
        # relcheck.engine.context also imports relcheck.engine: name the module only.
        found.update(
            (module, target)
            for target in wrong
            if not any(other.startswith(target + ".") for other in wrong)
        )
    return found


def test_relcheck_has_no_import_cycles() -> None:
    found = cycles(import_graph(PACKAGE))
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_every_part_of_relcheck_has_a_place_in_the_layers() -> None:
    assert {part(m) for m in modules(PACKAGE)} == set(MAY_IMPORT)


def test_each_part_imports_only_the_parts_below_it() -> None:
    new = layer_violations(import_graph(PACKAGE)) - KNOWN_VIOLATIONS
    assert not new, "imports against the layers (see MAY_IMPORT): " + ", ".join(
        f"{a} -> {b}" for a, b in sorted(new)
    )


def test_known_layer_violations_are_still_there() -> None:
    # A violation that was fixed comes off the list, so it cannot come back unseen.
    gone = KNOWN_VIOLATIONS - layer_violations(import_graph(PACKAGE))
    assert not gone, "fixed: remove from KNOWN_VIOLATIONS: " + ", ".join(map(str, sorted(gone)))


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_walk_counts_late_relative_and_package_imports_but_not_type_checking(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "def f():\n    from pkg.sub import deep\n",
            "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
            "else:\n    from . import c\n",
            "c.py": "import os\n",
            "sub/__init__.py": "",
            "sub/deep.py": "from ..c import x\nfrom . import other\n",
            "sub/other.py": "",
        },
    )
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.sub", "pkg.sub.deep"}
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.sub.deep"] == {"pkg.c", "pkg.sub", "pkg.sub.other"}
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        (
            {"a.py": "import pkg.b\n", "b.py": "def f():\n    from pkg import a\n"},
            ["pkg.a", "pkg.b", "pkg.a"],
        ),
        (  # through a package's __init__
            {"a.py": "from pkg.sub import leaf\n", "sub/__init__.py": "from pkg import a\n"},
            ["pkg.a", "pkg.sub", "pkg.a"],
        ),
    ],
)
def test_a_cycle_is_found_and_named(
    tmp_path: Path, files: dict[str, str], cycle: list[str]
) -> None:
    root = _package(tmp_path, {"__init__.py": "", "sub/leaf.py": "", **files})
    assert cycles(import_graph(root)) == [cycle]
