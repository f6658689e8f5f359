"""The local catalog: typed DuckDB views over the lake, partitions, views, the query port."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from rich.console import Console

from retail_lake.catalog import (
    CatalogError,
    DuckDBCatalog,
    GlueCatalog,
    curated_table,
    lake_tables,
    load_views,
    open_catalog,
    plan_views,
    publish,
    quarantine_table,
    refresh_after_run,
)
from retail_lake.catalog.views import load_view
from retail_lake.config import build_settings
from retail_lake.contracts import contracts, dataset
from retail_lake.query import DuckDBQuery, QueryError, open_query, print_query
from retail_lake.sql import view_files
from retail_lake.storage import layout, open_storage
from tests.catalog_lake import WEEKLY, build_lake, write_table


def _types(lake, name: str) -> list[tuple[str, str]]:
    con = duckdb.connect(str(lake / layout.catalog_db()), read_only=True)
    try:
        return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {name}").fetchall()]
    finally:
        con.close()


def test_every_table_has_the_contract_types_even_when_empty(lake_dir):
    publish(DuckDBCatalog(lake_dir), open_storage(str(lake_dir)))
    for spec in lake_tables():
        expected = [(n, t.duckdb()) for n, t in spec.all_columns]
        assert _types(lake_dir, spec.name) == expected, spec.name


def test_curated_table_columns_come_from_the_contract():
    spec = curated_table("weekly_sales_inventory")
    ds = dataset("weekly_sales_inventory")
    assert spec.athena_columns() == ds.athena_columns()
    assert spec.athena_partitions() == ds.athena_partitions() == {"yr_wk_num": "bigint"}
    assert {n for n, _ in spec.all_columns} == set(ds.column_names)


def test_quarantine_table_is_strings_plus_reason_source_and_load_date():
    spec = quarantine_table("inventory")
    assert spec.name == "quarantine_inventory"
    assert spec.location == "quarantine/inventory"
    assert [n for n, _ in spec.columns] == [
        *dataset("inventory").column_names,
        "reject_reason",
        "source_file",
    ]
    assert {t.athena() for _, t in spec.columns} == {"string"}
    assert spec.athena_partitions() == {"load_date": "date"}


def test_every_curated_dataset_has_a_catalog_table_and_every_sql_file_a_view(lake_dir):
    report = publish(DuckDBCatalog(lake_dir), open_storage(str(lake_dir)))
    tables = set(DuckDBCatalog(lake_dir).list_tables())
    assert {d.name for d in contracts().by_zone("curated")} <= tables
    assert {
        f"quarantine_{n}"
        for n in ("sales", "inventory", "calendar", "store", "product", "store_sales")
    } <= tables
    assert "order_changes" in tables
    files = {f.name.removesuffix(".sql") for f in view_files()}
    assert {
        "v_weekly_store_performance",
        "v_stockout_impact_by_region_category",
        "v_top_products_by_week",
        "v_daily_franchise_sales",
        "v_data_quality_summary",
    } <= files
    # every file is a view, or reported as skipped (only if it reads a missing table)
    assert set(report.views.created) | set(report.views.skipped) == files
    assert report.views.skipped == {}
    assert files <= tables


def test_data_quality_summary_covers_every_quarantine_table():
    (view,) = [v for v in load_views() if v.name == "v_data_quality_summary"]
    assert view.sources == {s.name for s in lake_tables() if s.name.startswith("quarantine_")}


def test_an_empty_table_fills_in_after_the_next_run(lake_dir):
    catalog, storage = DuckDBCatalog(lake_dir), open_storage(str(lake_dir))
    publish(catalog, storage)
    engine = DuckDBQuery(lake_dir)
    assert engine.sql("SELECT COUNT(*) AS n FROM weekly_sales_inventory")["n"][0] == 0
    write_table(lake_dir, curated_table("weekly_sales_inventory"), WEEKLY)
    report = publish(catalog, storage)
    assert report.partitions["weekly_sales_inventory"] == 2
    frame = engine.sql(
        "SELECT yr_wk_num, COUNT(*) AS n FROM weekly_sales_inventory GROUP BY 1 ORDER BY 1"
    )
    assert frame.values.tolist() == [[202401, 5], [202402, 4]]
    # a later week appears without re-registering: DuckDB globs the hive folders
    write_table(
        lake_dir, curated_table("weekly_sales_inventory"), [{**WEEKLY[0], "yr_wk_num": 202403}]
    )
    assert engine.sql("SELECT MAX(yr_wk_num) AS m FROM weekly_sales_inventory")["m"][0] == 202403


def test_register_partitions_repoints_an_empty_table(lake_dir):
    catalog = DuckDBCatalog(lake_dir)
    spec = curated_table("daily_store_sales")
    catalog.register_table(spec, str(lake_dir / spec.location))
    write_table(
        lake_dir,
        spec,
        [{"franchise_store": 1, "item": "x", "transaction_date": dt.date(2024, 1, 2)}],
    )
    catalog.register_partitions(spec, str(lake_dir / spec.location), [("2024-01-02",)])
    frame = DuckDBQuery(lake_dir).sql("SELECT transaction_date, item FROM daily_store_sales")
    assert frame["item"].tolist() == ["x"]
    assert str(frame["transaction_date"][0].date()) == "2024-01-02"


def test_columns_missing_from_the_files_read_as_null(lake_dir):
    """Files written before a contract column existed still load; the column is NULL."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = lake_dir / "curated/dim_product"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"prod_key": [1], "prod_name": ["A"], "extra": ["ignored"]}),
        folder / "part-0.parquet",
    )
    publish(
        DuckDBCatalog(lake_dir), open_storage(str(lake_dir)), tables=[curated_table("dim_product")]
    )
    frame = DuckDBQuery(lake_dir).sql("SELECT prod_key, prod_name, category_name FROM dim_product")
    assert frame.values.tolist()[0][:2] == [1, "A"]
    assert frame["category_name"].isna().all()
    assert "extra" not in DuckDBQuery(lake_dir).sql("SELECT * FROM dim_product").columns


def test_order_changes_reads_ndjson_with_utc_timestamps(lake_dir):
    folder = lake_dir / layout.order_changes_dir() / "2024/01/05"
    folder.mkdir(parents=True)
    records = [
        {
            "op": "INSERT",
            "order_id": "o1",
            "event_time": "2024-01-05T10:00:00Z",
            "sequence_number": "1",
            "new_image": json.dumps({"order_id": "o1", "qty": 2}),
            "old_image": None,
        },
        {
            "op": "MODIFY",
            "order_id": "o1",
            "event_time": "2024-01-05T12:30:00+02:00",
            "sequence_number": "2",
            "new_image": json.dumps({"order_id": "o1", "qty": 3}),
            "old_image": json.dumps({"order_id": "o1", "qty": 2}),
        },
        {
            "op": "REMOVE",
            "order_id": "o1",
            "event_time": "2024-01-05 11:00:00.250",
            "sequence_number": "3",
            "new_image": None,
            "old_image": json.dumps({"order_id": "o1", "qty": 3}),
        },
    ]
    (folder / "orders-changes-1").write_text("".join(json.dumps(r) + "\n" for r in records))
    publish(DuckDBCatalog(lake_dir), open_storage(str(lake_dir)))
    frame = DuckDBQuery(lake_dir).sql(
        "SELECT op, CAST(event_time AS varchar) AS t, json_extract_scalar(new_image, '$.qty') AS qty"
        " FROM order_changes ORDER BY sequence_number"
    )
    assert frame.values.tolist() == [
        ["INSERT", "2024-01-05 10:00:00", "2"],
        ["MODIFY", "2024-01-05 10:30:00", "3"],
        ["REMOVE", "2024-01-05 11:00:00.25", None],
    ]
    assert dict(_types(lake_dir, "order_changes"))["event_time"] == "TIMESTAMP"


def test_order_views_read_the_order_changes_table(lake_dir):
    """The orders helper's views (v_order_current, v_sales_outlook) run on this catalog."""
    folder = lake_dir / layout.order_changes_dir() / "2024/01/05"
    folder.mkdir(parents=True)

    def change(op, order, time, seq, qty):
        image = json.dumps({"order_id": order, "item_id": "I1", "qty": qty, "price": "2.50"})
        return {
            "op": op,
            "order_id": order,
            "event_time": time,
            "sequence_number": seq,
            "new_image": None if op == "REMOVE" else image,
            "old_image": None,
        }

    lines = [
        change("INSERT", "o1", "2024-01-05T10:00:00.000Z", "1", 2),
        change("REMOVE", "o1", "2024-01-05T11:00:00.000Z", "3", 2),
        change("INSERT", "o2", "2024-01-05T10:00:00.000Z", "2", 1),
        change("MODIFY", "o2", "2024-01-05T09:30:00.000-01:00", "4", 4),  # 10:30 UTC: latest
    ]
    (folder / "changes-1").write_text("".join(json.dumps(x) + "\n" for x in lines))
    report = publish(DuckDBCatalog(lake_dir), open_storage(str(lake_dir)))
    names = report.views.created
    engine = DuckDBQuery(lake_dir)
    assert engine.sql("SELECT order_id, qty FROM v_order_current").values.tolist() == [["o2", 4]]
    assert names.index("v_order_current") < names.index("v_sales_outlook")
    frame = engine.sql("SELECT item_id, order_count, total_qty FROM v_sales_outlook")
    assert frame.values.tolist() == [["I1", 1, 4]]


def test_a_view_whose_source_is_missing_is_skipped_and_others_still_created(lake_dir, tmp_path):
    views = tmp_path / "views"
    views.mkdir()
    (views / "v_a.sql").write_text("SELECT n FROM v_b")  # reads a view created after it by name
    (views / "v_b.sql").write_text("SELECT COUNT(*) AS n FROM dim_store;\n")
    (views / "v_c.sql").write_text("SELECT * FROM order_current_state")
    (views / "v_d.sql").write_text("SELECT * FROM v_c")
    catalog = DuckDBCatalog(lake_dir)
    publish(catalog, open_storage(str(lake_dir)), views=sorted(views.iterdir()))
    report = catalog.create_or_replace_views(sorted(views.iterdir()))
    assert report.created == ["v_b", "v_a"]
    assert report.skipped == {
        "v_c": "missing tables order_current_state",
        "v_d": "depends on skipped v_c",
    }
    assert DuckDBQuery(lake_dir).sql("SELECT n FROM v_a")["n"].tolist() == [0]


def test_plan_views_reports_cycles():
    a, b = load_view("v_a", "SELECT * FROM v_b"), load_view("v_b", "SELECT * FROM v_a")
    ordered, skipped = plan_views([a, b], [])
    assert ordered == []
    assert skipped == {
        "v_a": "circular dependency between views",
        "v_b": "circular dependency between views",
    }


def test_view_files_must_be_named_v_(tmp_path):
    bad = tmp_path / "weekly.sql"
    bad.write_text("SELECT 1")
    with pytest.raises(ValueError, match="v_<name>"):
        load_views([bad])


def test_broken_view_sql_names_the_view(lake_dir, tmp_path):
    bad = tmp_path / "v_bad.sql"
    bad.write_text("SELECT no_such_column FROM dim_store")
    catalog = DuckDBCatalog(lake_dir)
    publish(catalog, open_storage(str(lake_dir)))
    with pytest.raises(CatalogError, match="v_bad"):
        catalog.create_or_replace_views([bad])


def test_query_engine_translates_athena_sql(tmp_path):
    lake = build_lake(tmp_path)
    publish(DuckDBCatalog(lake), open_storage(str(lake)))
    frame = DuckDBQuery(lake).sql(
        "SELECT date_format(week_end_dt, '%Y-%m-%d') AS d, approx_distinct(store_key) AS stores"
        " FROM weekly_sales_inventory WHERE yr_wk_num = 202401 GROUP BY 1"
    )
    assert frame.values.tolist() == [["2024-01-07", 3]]


def test_print_query_prints_a_table(tmp_path):
    lake = build_lake(tmp_path)
    publish(DuckDBCatalog(lake), open_storage(str(lake)))
    console = Console(record=True, width=120)
    frame = print_query(
        DuckDBQuery(lake), "SELECT store_key, region FROM dim_store ORDER BY store_key", console
    )
    text = console.export_text()
    assert len(frame) == 3
    for token in ("store_key", "region", "East", "West", "3 row(s)"):
        assert token in text


def test_query_without_a_catalog_says_what_to_do(lake_dir):
    with pytest.raises(QueryError, match="no catalog"):
        DuckDBQuery(lake_dir).sql("SELECT 1")


def test_query_errors_show_the_translated_sql(lake_dir):
    publish(DuckDBCatalog(lake_dir), open_storage(str(lake_dir)))
    with pytest.raises(QueryError, match="DuckDB SQL"):
        DuckDBQuery(lake_dir).sql("SELECT * FROM no_such_table")


def test_factories_follow_the_settings(lake_dir):
    """Locally the catalog and the query engine share the lake's one DuckDB file, so
    what the catalog step registers is what a query reads."""
    local = build_settings({"lake": str(lake_dir)}, env={})
    catalog, query = open_catalog(local), open_query(local)
    expected = lake_dir.resolve() / "_control" / "catalog.duckdb"
    assert (type(catalog), catalog.path, catalog.database) == (
        DuckDBCatalog,
        expected,
        "retail_lake",
    )
    assert (type(query), query.path) == (DuckDBQuery, expected)
    aws = build_settings({"lake": "s3://bucket/lake"}, env={})
    glue = open_catalog(aws, boto3_session=object())
    assert type(glue) is GlueCatalog
    assert (glue.database, glue.workgroup) == ("retail_lake", "retail-lake")
    with pytest.raises(CatalogError):
        DuckDBCatalog("s3://bucket/lake")


def test_refresh_after_run_publishes_to_the_catalog_the_settings_select(tmp_path):
    lake = build_lake(tmp_path)
    settings = build_settings({"lake": str(lake)}, env={})
    report = refresh_after_run(open_catalog(settings), open_storage(settings.lake))
    assert report.partitions["weekly_sales_inventory"] == 2
    assert report.as_dict()["views_skipped"] == {}
    frame = DuckDBQuery(lake).sql("SELECT COUNT(*) AS n FROM v_weekly_store_performance")
    assert frame["n"].tolist() == [len(WEEKLY)]
