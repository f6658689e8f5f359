"""sqlglot's Athena -> DuckDB translation of the constructs the view SQL relies on.

Each case runs the translated SQL on DuckDB and checks the value Athena (Trino)
returns for the original text, so a sqlglot upgrade that changes a translation
fails here rather than in a view.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from retail_lake.catalog import load_views
from retail_lake.sql import athena_to_duckdb, parse_athena, referenced_tables

CASES = [
    # window ranking with ties (v_top_products_by_week)
    (
        "SELECT k, RANK() OVER (ORDER BY v DESC) AS r FROM (VALUES (1, 5.0), (2, 7.0), (3, 5.0)) AS t (k, v) ORDER BY k",
        [(1, 2), (2, 1), (3, 2)],
    ),
    # CTE + GROUP BY + HAVING
    (
        "WITH t AS (SELECT * FROM (VALUES (1, 2.0), (1, 3.0), (2, 0.0)) AS x (k, v)) "
        "SELECT k, SUM(v) AS s FROM t GROUP BY k HAVING SUM(v) > 0",
        [(1, 5.0)],
    ),
    # NULLIF + CAST AS DOUBLE division (v_daily_franchise_sales)
    (
        "SELECT 60.0 / CAST(NULLIF(3, 0) AS DOUBLE), 1.0 / CAST(NULLIF(0, 0) AS DOUBLE)",
        [(20.0, None)],
    ),
    # integer division: typed integers keep Athena's truncation
    ("SELECT CAST(7 AS BIGINT) / CAST(2 AS BIGINT)", [(3,)]),
    # COUNT(DISTINCT) and UNION ALL (v_data_quality_summary)
    (
        "SELECT 'a' AS d, COUNT(DISTINCT f) AS n FROM (VALUES ('x'), ('x'), ('y')) AS t (f) "
        "UNION ALL SELECT 'b', COUNT(*) FROM (VALUES ('x')) AS t (f)",
        [("a", 2), ("b", 1)],
    ),
    # boolean literal in a join predicate
    ("SELECT COUNT(*) FROM (VALUES (TRUE), (FALSE)) AS t (f) WHERE f = TRUE", [(1,)]),
    # Presto date functions
    ("SELECT date_format(DATE '2024-01-07', '%Y-%m-%d')", [("2024-01-07",)]),
    ("SELECT date_add('day', 7, DATE '2024-01-01')", None),
    ("SELECT date_diff('day', DATE '2024-01-01', DATE '2024-01-08')", [(7,)]),
    # JSON and ISO timestamps, as the order-change views use them
    ('SELECT json_extract_scalar(\'{"qty": 3, "id": "o1"}\', \'$.id\')', [("o1",)]),
    ("SELECT CAST(json_extract_scalar('{\"qty\": 3}', '$.qty') AS BIGINT)", [(3,)]),
    ("SELECT max_by(k, v) FROM (VALUES ('a', 1), ('b', 2)) AS t (k, v)", [("b",)]),
    ("SELECT approx_distinct(x) FROM (VALUES (1), (1), (2)) AS t (x)", [(2,)]),
    ("SELECT count_if(x > 1) FROM (VALUES (1), (2), (3)) AS t (x)", [(2,)]),
]


@pytest.mark.parametrize(("athena", "expected"), CASES)
def test_translation_runs_on_duckdb_with_athenas_result(athena, expected):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    result = con.execute(athena_to_duckdb(athena)).fetchall()
    if expected is not None:
        assert result == expected


def test_date_add_translates_to_interval_arithmetic():
    con = duckdb.connect()
    (value,) = con.execute(
        athena_to_duckdb("SELECT date_add('day', 7, DATE '2024-01-01')")
    ).fetchone()
    assert str(value)[:10] == "2024-01-08"


def test_pitfall_untyped_integer_division():
    """Athena: 7 / 2 = 3. sqlglot leaves ``/`` alone when it cannot see the types."""
    translated = athena_to_duckdb("SELECT a / b FROM t")
    assert translated == "SELECT a / b FROM t"
    (value,) = duckdb.connect().execute("SELECT a / b FROM (VALUES (7, 2)) AS t (a, b)").fetchone()
    assert value == 3.5  # which is why view SQL casts to DOUBLE before every division


def test_pitfall_iso_timestamp_with_offset():
    """``from_iso8601_timestamp`` becomes a TIMESTAMPTZ cast; a plain TIMESTAMP cast drops the offset."""
    assert "TIMESTAMPTZ" in athena_to_duckdb("SELECT from_iso8601_timestamp(s) FROM t")
    con = duckdb.connect()
    (plain,) = con.execute("SELECT CAST('2024-01-05T12:30:00+02:00' AS TIMESTAMP)").fetchone()
    assert str(plain) == "2024-01-05 12:30:00"


@pytest.mark.parametrize("view", load_views(), ids=lambda v: v.name)
def test_every_view_translates_and_reparses_as_duckdb(view):
    translated = athena_to_duckdb(view.sql)
    reparsed = sqlglot.parse_one(translated, read="duckdb")
    # the same statement with the same output columns, only in DuckDB's dialect
    assert type(reparsed) is type(parse_athena(view.sql))
    assert reparsed.named_selects == parse_athena(view.sql).named_selects
    assert view.sources, "a view reads at least one table"


@pytest.mark.parametrize("view", load_views(), ids=lambda v: v.name)
def test_every_division_in_view_sql_is_explicitly_double(view):
    for div in parse_athena(view.sql).find_all(exp.Div):
        operands = [div.this, div.expression]
        assert any(isinstance(o, exp.Cast) and o.to.is_type("double") for o in operands), div.sql()


def test_referenced_tables_ignores_cte_names():
    sql = "WITH w AS (SELECT * FROM dim_calendar) SELECT * FROM w JOIN dim_store s ON TRUE"
    assert referenced_tables(sql) == {"dim_calendar", "dim_store"}


def test_one_statement_per_file():
    with pytest.raises(ValueError, match="exactly one"):
        parse_athena("SELECT 1; SELECT 2")
