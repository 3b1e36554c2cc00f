"""The pipeline's packages import each other in one direction only (issue 13).

A cycle between two packages means neither can be understood, tested or changed
alone: intake and scanned letters, intake and the resolution, the resolution and
review each used to import the other. The pure readers now live in
``pipeline/text``, the mail model in ``pipeline/mail`` and file readers in
``pipeline/documents``, below everything that uses them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "pipeline"


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "pipeline":
        return parts[1]
    return None


def package_imports() -> dict[str, set[str]]:
    """For each pipeline sub-package, the other sub-packages its modules import."""
    graph: dict[str, set[str]] = {}
    for path in PIPELINE.glob("*/**/*.py"):
        own = path.relative_to(PIPELINE).parts[0]
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                other = _package_of(name)
                if other and other != own and (PIPELINE / other).is_dir():
                    graph.setdefault(own, set()).add(other)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
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
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_pure_readers_import_no_workflow_package() -> None:
    graph = package_imports()
    workflow = {"intake", "scans", "resolution", "review", "cases", "outbound"}
    for low_level in ("text", "mail", "documents"):
        assert not graph.get(low_level, set()) & workflow, (low_level, graph.get(low_level))


def test_no_two_packages_import_each_other() -> None:
    assert cycles(package_imports()) == []


def test_cases_and_scans_open_cases_without_the_mail_intake() -> None:
    """A scan with no writing and a split mail open their case through pipeline/cases."""
    graph = package_imports()
    assert "intake" not in graph.get("scans", set())
    assert "intake" not in graph.get("cases", set())
