"""Version-controlled Athena SQL (``views/*.sql``) and its translation for DuckDB.

The SQL files are written once, in Athena's (Trino) dialect, because Athena is what
analysts and Superset query on AWS. Locally the very same text runs on DuckDB after
a mechanical sqlglot translation; nothing is rewritten by hand, so a view that
works locally is the view that is deployed.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

import sqlglot
from sqlglot import exp

ATHENA = "athena"
DUCKDB = "duckdb"


def views_dir() -> Traversable:
    """The packaged ``views/`` folder (also inside the wheel: package data ``**/*.sql``)."""
    return resources.files("retail_lake.sql").joinpath("views")


def view_files() -> list[Traversable]:
    """Every ``*.sql`` file of the views folder, sorted by name; one view per file."""
    return sorted(
        (f for f in views_dir().iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
    )


def parse_athena(sql: str) -> exp.Expression:
    """Parse one Athena statement; a file holding several statements is an error."""
    statements = [s for s in sqlglot.parse(sql, read=ATHENA) if s is not None]
    if len(statements) != 1:
        raise ValueError(f"expected exactly one SQL statement, found {len(statements)}")
    return statements[0]


def athena_to_duckdb(sql: str) -> str:
    """Translate one Athena statement to DuckDB's dialect with sqlglot.

    Known gap: Athena divides two integers with integer division while DuckDB's ``/``
    returns a double; sqlglot only bridges that when it can see both operands are
    integers (casts, literals). View SQL therefore casts to DOUBLE before dividing.
    """
    return parse_athena(sql).sql(dialect=DUCKDB)


def referenced_tables(sql: str) -> set[str]:
    """Names of the tables and views a statement reads, without its own CTE names."""
    tree = parse_athena(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}
