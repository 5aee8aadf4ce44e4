"""The import rules docs/architecture.md states, read from the code: geo/ never imports server/;
server/lib/ imports no feature; a feature reaches another only through its service, schemas or
models (for joins), and no two features depend on each other, directly or around a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"
# Packages of server/ that are infrastructure, not features.
INFRASTRUCTURE = {"lib", "db", "web"}
# The features, lowest first (docs/architecture.md): each imports only features before it; a
# lower one learns what a higher one knows through a dependency given in create_app.
ORDER = (
    "municipalities",
    "datasets",
    "accounts",
    "health",
    "hazards",
    "facilities",
    "households",
    "roads",
    "imports",
    "shelters",
    "tiles",
    "packs",
    "safety",
    "alerts",
)
# What one feature may import of another (accounts.guards: how a route says who may call it).
PUBLIC_MODULES = {"service", "schemas", "models", "guards"}


def imports(path: Path) -> Iterator[str]:
    """Every module a file imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def features() -> list[str]:
    return sorted(p.name for p in SERVER.iterdir() if (p / "__init__.py").exists() and p.name not in INFRASTRUCTURE)


def feature_imports() -> dict[str, set[tuple[str, str, str]]]:
    """feature -> {(other feature, module imported, importing file)}."""
    known = set(features())
    found: dict[str, set[tuple[str, str, str]]] = {name: set() for name in known}
    for name in known:
        for path in (SERVER / name).rglob("*.py"):
            for module in imports(path):
                parts = module.split(".")
                if parts[0] == "server" and len(parts) > 1 and parts[1] in known and parts[1] != name:
                    found[name].add((parts[1], ".".join(parts[2:3]), str(path.relative_to(ROOT))))
    return found


def test_geo_never_imports_server() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "geo").rglob("*.py")
        for module in imports(path)
        if module == "server" or module.startswith("server.")
    ]
    assert offenders == []


def test_server_lib_imports_no_feature() -> None:
    known = set(features())
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (SERVER / "lib").rglob("*.py")
        for module in imports(path)
        if module.startswith("server.") and module.split(".")[1] in known
    ]
    assert offenders == []


def test_features_reach_each_other_only_through_service_schemas_and_models() -> None:
    offenders = sorted(
        f"{where} imports server.{other}.{module or '(package)'}"
        for edges in feature_imports().values()
        for other, module, where in edges
        if module not in PUBLIC_MODULES
    )
    assert offenders == []


def test_no_cycle_among_features() -> None:
    graph = {name: {other for other, _, _ in edges} for name, edges in feature_imports().items()}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == path[0]:
                cycles.append(" -> ".join([*path, nxt]))
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its smallest feature
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_features_import_only_those_below_them() -> None:
    assert sorted(ORDER) == features(), "add the feature to ORDER (and docs/architecture.md)"
    upward = sorted(
        f"{where} imports server.{other} (above {name})"
        for name, edges in feature_imports().items()
        for other, _, where in edges
        if ORDER.index(other) > ORDER.index(name)
    )
    assert upward == []
