"""View definitions from ``retail_lake/sql/views/*.sql`` and the order to create them in.

Each file holds one Athena ``SELECT``; the view is named after the file (``v_*.sql``)
and both adapters wrap the body in ``CREATE OR REPLACE VIEW``. Views may read other
views, and some read tables that appear only later (``order_changes`` exists once
the order channel has written something), so creation is planned: views are sorted
so that a view comes after the views it reads, and a view whose sources are missing
is skipped with a reason instead of breaking the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from retail_lake.sql import referenced_tables, view_files

VIEW_PREFIX = "v_"


@dataclass(frozen=True)
class ViewDef:
    """One view: its name, Athena ``SELECT`` body and the relations it reads."""

    name: str
    sql: str
    sources: frozenset[str]

    def create_statement(self) -> str:
        """The Athena DDL; the body is used verbatim so Athena stores what is in git."""
        return f"CREATE OR REPLACE VIEW {self.name} AS\n{self.sql}"


@dataclass
class ViewReport:
    """What ``create_or_replace_views`` did: created in order, skipped with reasons."""

    created: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _body(text: str) -> str:
    body = text.strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return body


def load_view(name: str, text: str) -> ViewDef:
    if not name.startswith(VIEW_PREFIX):
        raise ValueError(f"view file {name}.sql must be named {VIEW_PREFIX}<name>.sql")
    body = _body(text)
    return ViewDef(name=name, sql=body, sources=frozenset(referenced_tables(body)))


def load_views(paths: Iterable[Path | str] | None = None) -> list[ViewDef]:
    """The views of the given files, or of every packaged ``views/*.sql`` file."""
    if paths is None:
        return [load_view(f.name[: -len(".sql")], f.read_text("utf-8")) for f in view_files()]
    out = []
    for path in map(Path, paths):
        out.append(load_view(path.stem, path.read_text("utf-8")))
    return out


def plan_views(
    views: Iterable[ViewDef], existing_tables: Iterable[str]
) -> tuple[list[ViewDef], dict[str, str]]:
    """Order views so that dependencies come first; skip those that cannot be created.

    ``existing_tables`` are the catalog's base tables. A view is creatable when each
    source is an existing table or a creatable view; a cycle is reported as skipped.
    """
    pending = {v.name: v for v in views}
    tables = set(existing_tables) - set(pending)
    ordered: list[ViewDef] = []
    skipped: dict[str, str] = {}
    progress = True
    while pending and progress:
        progress = False
        for name in sorted(pending):
            view = pending[name]
            missing = sorted(
                s for s in view.sources if s not in tables and s not in pending and s not in skipped
            )
            blocked = sorted(s for s in view.sources if s in skipped)
            if missing or blocked:
                what = f"missing tables {', '.join(missing)}" if missing else ""
                if blocked:
                    what = (
                        what + "; " if what else ""
                    ) + f"depends on skipped {', '.join(blocked)}"
                skipped[name] = what
                del pending[name]
                progress = True
            elif all(s in tables for s in view.sources):
                ordered.append(view)
                tables.add(name)
                del pending[name]
                progress = True
    for name in sorted(pending):
        skipped[name] = "circular dependency between views"
    return ordered, skipped
