"""The architecture, checked without Spark: module size and which part may import which.

README.md § Architecture names the parts and what each may import; this test is
what keeps that description true. Imports are found by parsing every module with
:mod:`ast` (nothing is imported), including imports inside functions, so a lazy
import cannot hide a dependency the rules forbid.
"""

from __future__ import annotations

import ast
import sys

from tests.structure_support import (
    ROOT,
    Import,
    cycles,
    import_graph,
    package_imports,
    package_modules,
    parse_imports,
    python_files,
    runs_on_import,
    top_level,
    within,
)

MAX_LINES = 400
SIZE_CHECKED = ("retail_lake", "glue_jobs", "lambdas", "benchmarks", "tests")
"""Folders whose ``.py`` files must stay under :data:`MAX_LINES` lines."""

ONLY = {
    "retail_lake.transforms": ("pyspark", "retail_lake.contracts"),
}
"""Part -> everything it may import besides the standard library and itself.

Transforms are pure DataFrame functions: no I/O, no settings, no ports, so they
run on any frame in a test and inside any job."""

FORBIDDEN = {
    "retail_lake.contracts": ("retail_lake.jobs", "retail_lake.runner", "retail_lake.cli"),
    "retail_lake.storage": ("retail_lake.jobs", "retail_lake.runner", "retail_lake.cli"),
    "retail_lake.jobs": ("retail_lake.runner", "retail_lake.cli"),
    "retail_lake.runtime": ("retail_lake.jobs", "retail_lake.runner", "retail_lake.cli"),
}
"""Part -> parts it must never import (at module level, in a function or for typing).

Contracts and storage sit below everything that runs a step; the job bodies are
called by the runners (the local runner, the Glue/EMR scripts, the CLI) and never
call them back. The runtime builds what the jobs are given, so it knows no job."""

COMPOSITION_ROOT = "retail_lake.runtime.adapters"
"""The one module that opens the adapters of a run from the settings."""
JOB_ENTRY = "retail_lake.jobs.entry"
"""The Glue/EMR job entry: the only module under ``jobs`` that may open a run's adapters,
by calling the composition root (the local runner is the other caller)."""
OPENERS = frozenset(
    {
        "open_tracker",
        "open_notifier",
        "open_lineage",
        "open_catalog",
        "open_lake_storage",
        "open_storage",
        "open_adapters",
        "resolve_source",
    }
)
"""The factories that open an adapter: job bodies are handed adapters, never open one."""

ALLOWED_LAZY_IMPORTS: dict[tuple[str, str], str] = {}
"""(importer, imported) -> why: imports inside a function that may close a cycle.

Empty: no module needs one. A function-level import that closes a cycle only
postpones the cycle to the first call; add one here only with the reason it cannot
be a plain import of a module lower down."""


# -- the tests ---------------------------------------------------------------------------


def test_no_module_is_over_400_lines():
    too_long = []
    for path in python_files(*SIZE_CHECKED):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, f"split these by responsibility (max {MAX_LINES}): {too_long}"


def test_transforms_import_only_pyspark_the_contracts_and_the_standard_library():
    offending = []
    for imp in package_imports():
        for part, allowed in ONLY.items():
            if not within(imp.importer, part) or within(imp.target, part):
                continue
            if top_level(imp.target) in sys.stdlib_module_names:
                continue
            if not any(within(imp.target, a) for a in allowed):
                offending.append(str(imp))
    assert not offending, offending


def test_lower_parts_never_import_the_parts_that_run_them():
    offending = [
        str(imp)
        for imp in package_imports()
        for part, forbidden in FORBIDDEN.items()
        if within(imp.importer, part) and any(within(imp.target, f) for f in forbidden)
    ]
    assert not offending, offending


def _opener_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Lines that import ``boto3`` or import or call one of :data:`OPENERS`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if top_level(a.name) == "boto3"]
        elif isinstance(node, ast.ImportFrom):
            if top_level(node.module or "") == "boto3":
                found.append((node.lineno, node.module or ""))
            found += [(node.lineno, a.name) for a in node.names if a.name in OPENERS]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in OPENERS:
                found.append((node.lineno, f"{name}()"))
    return found


def test_job_bodies_open_no_client_adapter_or_server():
    """Only the composition root opens adapters; a job body gets them as parameters.

    No module under ``retail_lake/jobs`` imports ``boto3`` or an ``open_*`` factory,
    and only the job entry reaches the composition root.
    """
    offending = []
    for name, path in package_modules().items():
        if not within(name, "retail_lake.jobs"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {"open_adapters", "open_adapters()"} if name == JOB_ENTRY else set()
        offending += [
            f"{name}:{line} uses {what}" for line, what in _opener_uses(tree) if what not in allowed
        ]
    offending += [
        str(imp)
        for imp in package_imports()
        if within(imp.importer, "retail_lake.jobs")
        and imp.importer != JOB_ENTRY
        and within(imp.target, COMPOSITION_ROOT)
    ]
    assert not offending, offending


def test_the_opener_check_sees_imports_and_calls():
    source = """
import boto3.session
from retail_lake.tracker import open_tracker
def f(settings):
    return notify.open_notifier(settings), resolve_source(settings)
"""
    found = _opener_uses(ast.parse(source))
    assert sorted(found) == [
        (2, "boto3.session"),
        (3, "open_tracker"),
        (5, "open_notifier()"),
        (5, "resolve_source()"),
    ]


def test_no_import_cycles_among_package_modules():
    graph = import_graph(ALLOWED_LAZY_IMPORTS)
    found = cycles(graph)
    described = [
        [str(graph[a][b]) for a in component for b in component if b in graph[a]]
        for component in found
    ]
    assert not found, f"import cycles (import lower-level modules instead): {described}"


def test_allowed_lazy_imports_are_still_lazy_imports():
    """An entry for an import that no longer exists, or is not lazy, is stale."""
    lazy = {(i.importer, i.target) for i in package_imports() if i.lazy}
    assert set(ALLOWED_LAZY_IMPORTS) <= lazy


def test_the_parser_sees_relative_function_level_and_typing_only_imports():
    """The rules are only as good as the parser: check it on a module of every kind."""
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import pyspark.sql
from . import sibling
from .sibling import NAME
from .. import helpers
if TYPE_CHECKING:
    from retail_lake.cli import app
def f():
    from retail_lake.runner.local import run_pipeline
class C:
    async def g(self):
        import retail_lake.jobs.extract_mysql
"""
    known = {"pkg", "pkg.sub", "pkg.sub.mod", "pkg.sub.sibling", "pkg.helpers"}
    found = parse_imports("pkg.sub.mod", source, False, known)
    assert [(i.target, i.lazy, i.typing_only) for i in found] == [
        ("typing", False, False),
        ("pyspark.sql", False, False),
        ("pkg.sub.sibling", False, False),
        ("pkg.sub.sibling", False, False),
        ("pkg.helpers", False, False),
        ("retail_lake.cli", False, True),
        ("retail_lake.runner.local", True, False),
        ("retail_lake.jobs.extract_mysql", True, False),
    ]


def test_the_graph_knows_what_runs_on_import():
    """A submodule depends on what it imports, not on the package enclosing it."""
    inside = Import("retail_lake.infra.template", "retail_lake.infra.alerts", 1, False, False)
    outside = Import("retail_lake.artifacts", "retail_lake.infra.alerts", 1, False, False)
    assert runs_on_import(inside) == ["retail_lake.infra.alerts"]
    assert runs_on_import(outside) == ["retail_lake.infra", "retail_lake.infra.alerts"]
    assert "retail_lake.jobs.extract_mysql" in package_modules()
    assert "retail_lake.resources" in package_modules()
