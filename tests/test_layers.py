"""Packages import one way: the layers below, declared once and drawn in the README.

Every module of the application is read (its source, not imported) and each of its
imports, at the top, inside a function or under ``TYPE_CHECKING``, is checked against
:data:`LAYERS`: a module may import its own layer and the layers below, never a layer
above, and no two parts may import each other (a cycle, even within one layer).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings import PROJECT_ROOT

# Bottom to top. A part is a package, a top-level module or one module of a package;
# the most specific name wins (auth.web is in "application", the rest of auth in "auth").
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("settings", "ids", "i18n")),
    ("geodata", ("geodata",)),
    ("lake", ("lake",)),
    ("queries", ("queries",)),
    ("presentation", ("presentation",)),
    ("auth", ("auth",)),
    ("ingest", ("ingest",)),
    ("export", ("export",)),
    ("components", ("components",)),
    ("application", ("services", "auth.web", "export.http", "geodata.http", "pages", "app",
                     "cli", "migrations")),
)
NOT_LAYERED = ("tests", "benchmarks")  # they may import anything; nothing imports them

Edge = tuple[str, str, str]  # importing module, imported module, where (file:line)


def modules() -> dict[str, Path]:
    """Return every Python module of the checkout (tracked or new): its file, by name."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=PROJECT_ROOT, check=True, capture_output=True, text=True).stdout.split()
    found = {}
    for name in listed:
        parts = Path(name).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = Path(name)
    return found


def imports(name: str, path: Path, known: set[str]) -> Iterator[Edge]:
    """Yield each import of a project module in module ``name`` (``path``: its file)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tops = {k.split(".")[0] for k in known}
    for node in ast.walk(ast.parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        where = f"{path}:{node.lineno}"
        yield from ((name, target, where) for target in targets
                    if target.split(".")[0] in tops)


def part_of(module: str) -> str:
    """Return the most specific part of :data:`LAYERS` that holds ``module``."""
    parts = [p for _, layer in LAYERS for p in layer
             if module == p or module.startswith(p + ".")]
    assert parts, f"{module} is in no layer: add it to LAYERS and to the README's diagram"
    return max(parts, key=len)


def layer_of(module: str) -> int:
    part = part_of(module)
    return next(i for i, (_, layer) in enumerate(LAYERS) if part in layer)


def edges() -> list[Edge]:
    """Return every import of a project module by a module of the application."""
    found = modules()
    return [edge for name, path in sorted(found.items())
            if name.split(".")[0] not in NOT_LAYERED
            for edge in imports(name, path, set(found))]


def upward(found: list[Edge]) -> list[str]:
    """Return each import of a layer above the importing module's, described."""
    return [f"{where}: {source} ({LAYERS[layer_of(source)][0]}) imports {target} "
            f"({LAYERS[layer_of(target)][0]})"
            for source, target, where in found if layer_of(target) > layer_of(source)]


def cycles(found: list[Edge]) -> list[list[str]]:
    """Return each cycle between parts, as the parts around it (each cycle once)."""
    graph: dict[str, set[str]] = {}
    for source, target, _ in found:
        if part_of(source) != part_of(target):
            graph.setdefault(part_of(source), set()).add(part_of(target))
    out: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                out.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # start each cycle at its least part
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return out


def test_every_module_is_in_a_layer() -> None:
    layered = [name for name in modules() if name.split(".")[0] not in NOT_LAYERED]
    assert {"app", "pages.map", "auth.web", "presentation.cells"} <= set(layered)
    assert [part_of(name) for name in layered]


def test_no_module_imports_a_layer_above_its_own() -> None:
    found = edges()
    assert len(found) > 300  # the walk sees the project's imports
    assert upward(found) == []


def test_no_two_parts_import_each_other() -> None:
    assert cycles(edges()) == []


def test_imports_inside_functions_and_for_type_checking_count(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from pages.map import layout\n"
                      "def f():\n    from components import shell\n    import cli\n")
    known = {"pages.map", "components", "components.shell", "cli"}
    assert [(target, where.rsplit(":", 1)[1])
            for _, target, where in imports("queries.probe", source, known)] == [
        ("pages.map", "3"), ("components.shell", "5"), ("cli", "6")]


@pytest.mark.parametrize(("edge", "named"), [
    (("export.tables", "components.status", "export/tables.py:1"),
     ["export/tables.py:1: export.tables (export) imports components.status (components)"]),
    (("queries.entry", "auth.scope", "queries/entry.py:1"),
     ["queries/entry.py:1: queries.entry (queries) imports auth.scope (auth)"]),
    (("geodata.registry", "auth.web", "geodata/registry.py:1"),
     ["geodata/registry.py:1: geodata.registry (geodata) imports auth.web (application)"]),
    (("auth.scope", "queries.schema", "auth/scope.py:1"), []),  # downward: allowed
])
def test_an_upward_import_is_named(edge: Edge, named: list[str]) -> None:
    assert upward([*edges(), edge]) == named


def test_a_cycle_within_a_layer_is_named() -> None:
    found = [*edges(), ("services", "pages.map", "services.py:1")]  # pages import services
    assert cycles(found) == [["pages", "services", "pages"]]


def test_a_module_in_no_layer_is_named() -> None:
    with pytest.raises(AssertionError, match="reports is in no layer"):
        upward([("reports", "queries.entry", "reports.py:1")])


def readme_layers() -> list[tuple[str, tuple[str, ...]]]:
    """Return the layer diagram of the README's "How it is built", bottom to top."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## How it is built\n", 1)[1].split("\n## ", 1)[0]
    diagram = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert diagram, "README, How it is built: no ```text block with the layers"
    rows = [line.split(None, 1) for line in diagram.group(1).splitlines() if line.strip()]
    return [(name, tuple(p.strip() for p in parts.split(","))) for name, parts in rows][::-1]


def test_readme_draws_the_declared_layers() -> None:
    assert readme_layers() == list(LAYERS)


@pytest.mark.parametrize(("module", "heavy"), [
    ("components.export", {"matplotlib", "geopandas"}),  # the pages' download links
    ("presentation.palettes", {"dash", "matplotlib", "geopandas"}),
    ("presentation.cells", {"dash", "matplotlib", "geopandas"}),
])
def test_light_modules_import_nothing_heavy(module: str, heavy: set[str]) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print(*sys.modules)"],
        cwd=PROJECT_ROOT, check=True, capture_output=True, text=True).stdout.split()
    assert module in loaded and heavy.isdisjoint(loaded), sorted(heavy & set(loaded))
