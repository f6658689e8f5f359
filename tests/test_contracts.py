"""Dataset contracts: the single source of every schema, and how schemas may evolve."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from retail_lake.catalog import lake_tables
from retail_lake.config import build_settings
from retail_lake.contracts import (
    ROW_RULE_REASONS,
    RULE_ORDER,
    ContractError,
    contracts,
    contracts_overridden,
    dataset,
)
from retail_lake.contracts._model import _shipped
from retail_lake.jobs.errors import StepError
from retail_lake.jobs.extract_files import raw_schema
from retail_lake.jobs.validate import validated_schema
from retail_lake.runner.local import run_pipeline
from retail_lake.storage import layout
from retail_lake.transforms.rules import ROW_RULES, row_rules
from tests.frames import calendar_rows, write_landing

REPO = Path(__file__).resolve().parents[1]
SCANNED = ["retail_lake", "glue_jobs", "lambdas"]


def _string_literals(node: ast.AST) -> set[str]:
    return {
        e.value
        for e in getattr(node, "elts", [])
        if isinstance(e, ast.Constant) and isinstance(e.value, str)
    }


def test_no_column_list_is_written_outside_the_contracts():
    """A list/tuple/set literal naming 4+ columns of one dataset is a second schema."""
    columns = {name: set(d.column_names) for name, d in contracts().datasets.items()}
    offenders = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.List | ast.Tuple | ast.Set):
                    names = _string_literals(node)
                    for dataset_name, known in columns.items():
                        if len(names & known) >= 4:
                            offenders.append(
                                f"{path.relative_to(REPO)}:{node.lineno} {dataset_name}"
                            )
    assert offenders == []


def test_every_consumer_schema_is_generated_from_the_contract():
    assert [d.name for d in contracts().validated()] == [
        "calendar",
        "store",
        "product",
        "sales",
        "inventory",
        "store_sales",
    ]
    assert contracts().curated_copies() == {
        "dim_store": "store",
        "dim_product": "product",
        "dim_calendar": "calendar",
    }
    for ds in contracts().validated():
        name = ds.name
        assert raw_schema(name).fieldNames()[: len(ds.columns)] == ds.column_names
        assert validated_schema(ds).fieldNames()[: len(ds.columns)] == ds.column_names
        ddl = ds.mysql_ddl()
        assert [c for c in ds.column_names if f"`{c}` " not in ddl] == []
    tables = {t.name: t for t in lake_tables()}
    for name in (
        "weekly_sales_inventory",
        "daily_store_sales",
        "dim_store",
        "dim_product",
        "dim_calendar",
    ):
        ds = dataset(name)
        assert tables[name].athena_columns() == ds.athena_columns()
        assert tables[name].athena_partitions() == ds.athena_partitions()


def test_rule_table_covers_the_design_reasons():
    assert RULE_ORDER == (
        "missing_required",
        "bad_type",
        "negative_value",
        "bad_flag",
        "unknown_date",
        "unknown_store",
        "unknown_product",
        "duplicate_key",
    )
    # The row rules are built from the contracts' labels, in the contracts' order.
    assert tuple(r.reason for r in ROW_RULES) == ROW_RULE_REASONS == RULE_ORDER[:4]
    assert len(set(RULE_ORDER)) == len(RULE_ORDER)


def test_a_row_rule_and_the_contract_labels_cannot_drift_apart():
    checks = {r.reason: r.broken for r in ROW_RULES}
    assert [r.reason for r in row_rules(checks, ROW_RULE_REASONS[::-1])] == list(
        ROW_RULE_REASONS[::-1]
    )
    with pytest.raises(ContractError, match="differ"):
        row_rules({**checks, "too_long": checks["bad_type"]}, ROW_RULE_REASONS)
    with pytest.raises(ContractError, match="differ"):
        row_rules(checks, (*ROW_RULE_REASONS, "too_long"))
    assert dataset("sales").reference_reasons() == [
        ("trans_dt", "calendar", "unknown_date"),
        ("store_key", "store", "unknown_store"),
        ("prod_key", "product", "unknown_product"),
    ]


def test_hash_changes_with_meaning_not_formatting():
    text = (Path(__file__).resolve().parents[1] / "retail_lake/contracts/datasets.toml").read_text()
    with contracts_overridden(text.replace("\n\n", "\n\n\n")) as same:
        assert same.content_hash == _shipped().content_hash
    with contracts_overridden(
        text.replace('"trans_time", type = "int"', '"trans_time", type = "string"')
    ) as other:
        assert other.content_hash != _shipped().content_hash


D1, D2 = dt.date(2026, 1, 5), dt.date(2026, 1, 6)
STORES = [{"store_key": 1, "store_num": 101, "frnchs_flg": 0}]


def _deliver(lake, day, stores):
    write_landing(
        lake,
        layout.landing_retail(day, "calendar"),
        "calendar",
        calendar_rows(dt.date(2026, 1, 4), 1),
    )
    write_landing(lake, layout.landing_retail(day, "store"), "store", stores)


def _contract_text() -> str:
    return (REPO / "retail_lake/contracts/datasets.toml").read_text()


def test_added_nullable_column_flows_from_landing_to_curated_and_catalog(spark, lake_dir):
    settings = build_settings({"lake": str(lake_dir)}, env={})
    _deliver(lake_dir, D1, STORES)
    run_pipeline(settings, D1, spark=spark)
    added = _contract_text().replace(
        '  { name = "longitude", type = "decimal(19,6)" },\n]',
        '  { name = "longitude", type = "decimal(19,6)" },\n'
        '  { name = "loyalty_tier", type = "string", since = "1.1.0" },\n]',
    )
    with contracts_overridden(added):
        assert "loyalty_tier" in dataset("dim_store").column_names
        _deliver(
            lake_dir,
            D2,
            [{**STORES[0], "loyalty_tier": "gold"}, {"store_key": 2, "store_num": 102}],
        )
        run_pipeline(settings, D2, spark=spark)
        dim = pd.read_parquet(lake_dir / layout.curated_dir("dim_store")).sort_values("store_key")
        assert dim.loyalty_tier.tolist() == ["gold", None]
        con = duckdb.connect(str(lake_dir / layout.catalog_db()), read_only=True)
        rows = con.execute(
            "SELECT store_key, loyalty_tier FROM dim_store ORDER BY store_key"
        ).fetchall()
        con.close()
        assert rows == [(1, "gold"), (2, None)]


def test_retyped_column_fails_the_run_naming_dataset_and_column(spark, lake_dir):
    settings = build_settings({"lake": str(lake_dir)}, env={})
    _deliver(lake_dir, D1, STORES)
    run_pipeline(settings, D1, spark=spark)
    retyped = _contract_text().replace(
        '{ name = "store_size", type = "decimal(18,2)" }', '{ name = "store_size", type = "int" }'
    )
    _deliver(lake_dir, D2, STORES)
    with contracts_overridden(retyped), pytest.raises(StepError) as info:
        run_pipeline(settings, D2, spark=spark)
    message = str(info.value)
    assert "'validate'" in message and "2026-01-06" in message
    assert "'store'" in message and "store_size" in message and "retyping" in message


def test_column_documentation_is_generated_from_the_contracts():
    from retail_lake.contracts.docs import render, target

    assert target().read_text(encoding="utf-8") == render(), (
        "run python -m retail_lake.contracts.docs --write"
    )
