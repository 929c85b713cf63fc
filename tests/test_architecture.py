"""The shape of the code: no import cycles among the project's own modules, and views imported only by the
package that registers them. (Which package may import which is held by ruff's banned-api, per package.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.servers import REPO_ROOT

PACKAGES = ("auth", "portal_app", "emulator")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in (REPO_ROOT / package).rglob("*.py")
            if "templates" not in path.parts}


def _imported(node: ast.AST, module: str, path: Path, known: set[str]) -> set[str]:
    """Project modules an import statement names (function-level imports count: they run too)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if not isinstance(node, ast.ImportFrom):
        return set()
    if node.level:  # relative: from the module's own package
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    found = {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known}
    if base in known and len(found) < len(node.names):
        found.add(base)  # names defined in the module (or package __init__) itself
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set().union(*(_imported(node, module, path, known) for node in ast.walk(tree))) - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_project_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    """Guards the test above against a finder that can never fail."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("views", ["portal_app.signin.views", "portal_app.catalogue.views"])
def test_views_are_imported_only_by_the_package_that_registers_them(views):
    importers = {module for module, targets in import_graph().items() if views in targets}
    assert importers == {views.rsplit(".", 1)[0]}


def test_every_project_module_is_seen():
    graph = import_graph()
    assert {"auth.tokens", "portal_app.signin.views", "emulator.app", "portal_app.data.models"} <= set(graph)
    assert "portal_app.signin.gate" in graph["portal_app.signin.views"]
