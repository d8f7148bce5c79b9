"""The package import graph (issue 19 §8): no cycle between the packages of koppontren, and nothing
below the app root imports it (``koppontren/__init__.py`` builds the app: it imports every page and
the API). import-linter checks the same and the layers (setup.cfg); this proves it with grimp's
graph directly, for whatever packages exist when the test runs."""

from __future__ import annotations

import grimp
import pytest

ROOT = "koppontren"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT)


def _package(module: str) -> str:
    """``koppontren.shop.services`` -> ``koppontren.shop``; the root stays the root."""
    return ".".join(module.split(".")[:2])


def package_graph(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        importer = _package(module)
        edges.setdefault(importer, set())
        for imported in graph.find_modules_directly_imported_by(module):
            if _package(imported) != importer:
                edges[importer].add(_package(imported))
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles_and_only_them():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"a"}, "a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_the_package_graph_has_no_cycle(graph):
    edges = package_graph(graph)
    assert {"koppontren.ledger", "koppontren.tenancy", "koppontren.members", "koppontren.api"} <= set(edges)
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_the_ledger_and_tenancy_import_no_domain_package(graph):
    edges = package_graph(graph)
    domains = {"koppontren.members", "koppontren.savings", "koppontren.shop", "koppontren.shu", "koppontren.wallet",
               "koppontren.cashbank", "koppontren.statements", "koppontren.membership", "koppontren.api", "koppontren.shell"}
    assert not edges["koppontren.ledger"] & domains, edges["koppontren.ledger"]
    assert not edges["koppontren.tenancy"] & (domains | {"koppontren.ledger", "koppontren.auth"}), edges["koppontren.tenancy"]


def test_nothing_below_the_app_root_imports_it(graph):
    importers = graph.find_modules_that_directly_import(ROOT) - {ROOT}
    assert not importers, sorted(importers)
    # and the root is imported by no package indirectly either: no chain leads back to it
    assert not any(graph.chain_exists(importer=module, imported=ROOT) for module in graph.modules if module != ROOT)
