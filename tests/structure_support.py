"""Finding the project's modules and parsing their imports, for the architecture tests.

Nothing is imported: every module is parsed with :mod:`ast`, so a test can check a
module that would fail to import, and imports inside functions or under
``if TYPE_CHECKING:`` are seen and told apart. The rules themselves live in
``tests/test_structure.py``.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "retail_lake"
GENERATED_MARKERS = ("@generated", "do not edit")
"""A file whose first lines say this is written by a tool, not by a person."""


# -- finding files and modules -----------------------------------------------------------


def _is_environment(folder: Path) -> bool:
    """A virtualenv or a cache (``.rehearsal/``, ``__pycache__``): not project code."""
    return (
        folder.name.startswith(".")
        or folder.name == "__pycache__"
        or (folder / "pyvenv.cfg").exists()
    )


def _is_generated(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = "".join(handle.readline() for _ in range(5)).lower()
    return any(marker in head for marker in GENERATED_MARKERS)


def python_files(*folders: str) -> Iterator[Path]:
    """The project's own ``.py`` files under ``folders``.

    Symlinks are skipped (``retail_lake/resources/`` links the top-level
    ``glue_jobs/`` and ``lambdas/`` files, which are checked where they live), and
    so are environments and generated files.
    """
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(ROOT / folder):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not _is_environment(here / d))
            for name in sorted(filenames):
                path = here / name
                if name.endswith(".py") and not path.is_symlink() and not _is_generated(path):
                    yield path


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def package_modules() -> dict[str, Path]:
    """Every module of the ``retail_lake`` package, by dotted name."""
    return {module_name(p): p for p in python_files(PACKAGE)}


def within(name: str, part: str) -> bool:
    """Whether module ``name`` is ``part`` or inside it."""
    return name == part or name.startswith(part + ".")


# -- parsing imports ---------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One imported module: the most specific known module, else the name as written."""

    importer: str
    target: str
    line: int
    lazy: bool  # inside a function: runs on the first call, not on import
    typing_only: bool  # under ``if TYPE_CHECKING:``: never runs

    def __str__(self) -> str:
        where = " (in a function)" if self.lazy else " (typing only)" if self.typing_only else ""
        return f"{self.importer}:{self.line} imports {self.target}{where}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.module, self.is_package, self.known = module, is_package, known
        self.depth = 0
        self.typing = 0
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.stmt) -> None:
        self.found.append(Import(self.module, target, node.lineno, self.depth > 0, self.typing > 0))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self.typing += 1
        for child in node.body:
            self.visit(child)
        self.typing -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package = self.module.split(".")
            if not self.is_package:
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        if base == "__future__":
            return
        submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in self.known]
        for target in submodules:
            self._add(target, node)
        if len(submodules) < len(node.names):  # names defined in ``base`` itself
            self._add(base, node)


def parse_imports(module: str, source: str, is_package: bool, known: set[str]) -> list[Import]:
    collector = _Collector(module, is_package, known)
    collector.visit(ast.parse(source))
    return collector.found


@cache
def package_imports() -> tuple[Import, ...]:
    known = set(package_modules())
    found: list[Import] = []
    for name, path in package_modules().items():
        source = path.read_text(encoding="utf-8")
        found += parse_imports(name, source, path.name == "__init__.py", known)
    return tuple(found)


def top_level(name: str) -> str:
    return name.split(".", 1)[0]


# -- the import graph --------------------------------------------------------------------


def runs_on_import(imp: Import) -> list[str]:
    """The package modules whose code ``imp`` makes run: the target and its packages.

    Packages enclosing the importer are left out: they are already being imported
    when the importer runs (``from retail_lake.infra import alerts`` inside
    ``retail_lake.infra.template`` depends on ``alerts``, not on the package).
    """
    known = package_modules()
    parts = imp.target.split(".")
    chain = [".".join(parts[:i]) for i in range(1, len(parts))]
    ancestors = [p for p in chain if p in known and not within(imp.importer, p)]
    return [m for m in [*ancestors, imp.target] if m in known and m != imp.importer]


def import_graph(allowed_lazy: Collection[tuple[str, str]] = ()) -> dict[str, dict[str, Import]]:
    """Module -> modules it imports when it runs, with the import that does it.

    Function-level imports listed in ``allowed_lazy`` (importer, imported) are left out.
    """
    graph: dict[str, dict[str, Import]] = {name: {} for name in package_modules()}
    for imp in package_imports():
        if imp.typing_only:
            continue
        if imp.lazy and (imp.importer, imp.target) in allowed_lazy:
            continue
        for target in runs_on_import(imp):
            graph[imp.importer].setdefault(target, imp)
    return graph


def cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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
