"""The Athena scan cost model: columns each view reads, and bytes over a tiny lake.

Column sets are spelled out by reading the view SQL by hand. Expected bytes are
summed here straight from the pyarrow footers of the files the test writes, so the
module's file discovery, partition choice and column pruning are checked against
an independent count. No Spark is needed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.athena_scan import ViewScan, format_bytes, main, scan_views, view_columns
from retail_lake.catalog.tables import TableSpec, table
from retail_lake.catalog.views import load_views

STOCKOUT = "v_stockout_impact_by_region_category"

STOCKOUT_FACT_COLUMNS = frozenset(
    {
        "yr_wk_num",
        "week_end_dt",
        "store_key",
        "prod_key",
        "no_stock_impact",
        "potential_low_stock_impact",
        "no_stock_instances",
        "low_stock_instances",
        "total_low_stock_impact",
        "total_sales_amt",
    }
)
STOCKOUT_STORE_COLUMNS = frozenset({"store_key", "region"})
STOCKOUT_PRODUCT_COLUMNS = frozenset({"prod_key", "category_name"})

ORDER_CHANGE_COLUMNS = frozenset({"order_id", "op", "event_time", "sequence_number", "new_image"})


# ------------------------------------------------------------------ view columns


def test_stockout_view_columns() -> None:
    assert view_columns(STOCKOUT) == {
        "weekly_sales_inventory": STOCKOUT_FACT_COLUMNS,
        "dim_store": STOCKOUT_STORE_COLUMNS,
        "dim_product": STOCKOUT_PRODUCT_COLUMNS,
    }


def test_sales_outlook_reads_order_changes_through_order_current() -> None:
    # the ranking (order_id, event_time, sequence_number) and the REMOVE filter (op)
    # are needed even though v_sales_outlook only outputs new_image fields;
    # old_image is never read
    assert view_columns("v_sales_outlook") == {"order_changes": ORDER_CHANGE_COLUMNS}
    assert view_columns("v_order_current") == {"order_changes": ORDER_CHANGE_COLUMNS}


def test_daily_franchise_sales_columns() -> None:
    assert view_columns("v_daily_franchise_sales") == {
        "daily_store_sales": frozenset(
            {
                "transaction_date",
                "franchise_store",
                "item",
                "total_sale_amount",
                "total_tax_amount",
                "total_discount_amount",
                "total_quantity",
                "order_count",
            }
        ),
        "dim_store": frozenset(
            {
                "store_key",
                "store_num",
                "store_desc",
                "city",
                "region",
                "prov_state_cd",
                "frnchs_flg",
            }
        ),
    }


def test_weekly_store_performance_reads_calendar_for_both_uses() -> None:
    # dim_calendar is read by the weeks CTE (yr_wk_num, cal_dt) and by the join
    columns = view_columns("v_weekly_store_performance")
    assert columns["dim_calendar"] == {
        "cal_dt",
        "yr_wk_num",
        "mnth_num",
        "yr_mnth_num",
        "qtr_num",
        "yr_qtr_num",
    }
    fact = table("weekly_sales_inventory")
    assert columns["weekly_sales_inventory"] == {name for name, _ in fact.all_columns}


@pytest.mark.parametrize("view", [v.name for v in load_views()])
def test_every_view_resolves_to_catalog_columns(view: str) -> None:
    columns = view_columns(view)
    assert columns
    for name, cols in columns.items():
        assert cols <= {c for c, _ in table(name).all_columns}, name


# ------------------------------------------------------------------- tiny lake


def _value(typ: pa.DataType, i: int) -> object:
    """A deterministic but varied value, so column chunks do not compress to nothing."""
    k = (i * 7919) % 1000
    if pa.types.is_boolean(typ):
        return k % 2 == 0
    if pa.types.is_integer(typ):
        return k
    if pa.types.is_floating(typ):
        return k / 7
    if pa.types.is_decimal(typ):
        return decimal.Decimal(k).scaleb(-2)
    if pa.types.is_date(typ):
        return dt.date(2024, 1, 1) + dt.timedelta(days=k % 365)
    if pa.types.is_string(typ):
        return f"value-{k}"
    raise TypeError(f"no test value for {typ}")


def _write(folder: Path, spec: TableSpec, rows: int) -> Path:
    """One Parquet file of ``spec``'s data columns, several row groups, as Spark lays it out."""
    schema = pa.schema([(name, typ.arrow()) for name, typ in spec.columns])
    data = {f.name: [_value(f.type, i + n) for i in range(rows)] for n, f in enumerate(schema)}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "part-00000-c000.snappy.parquet"
    pq.write_table(pa.table(data, schema=schema), path, row_group_size=40)
    # Spark's markers and checksums sit next to the data; Athena skips them
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / f".{path.name}.crc").write_bytes(b"not parquet")
    return path


def _chunk_bytes(path: Path, columns: frozenset[str]) -> int:
    """Compressed bytes of the named columns over every row group of one file."""
    meta = pq.ParquetFile(path).metadata
    return sum(
        meta.row_group(g).column(c).total_compressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
        if meta.row_group(g).column(c).path_in_schema in columns
    )


@pytest.fixture(scope="module")
def tiny_lake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    lake = tmp_path_factory.mktemp("athena-scan-lake")
    fact = table("weekly_sales_inventory")
    files = {
        "lake": lake,
        "week1": _write(lake / fact.location / "yr_wk_num=202401", fact, rows=200),
        "week2": _write(lake / fact.location / "yr_wk_num=202402", fact, rows=120),
        "store": _write(lake / table("dim_store").location, table("dim_store"), rows=30),
        "product": _write(lake / table("dim_product").location, table("dim_product"), rows=50),
    }
    changes = lake / table("order_changes").location / "2024" / "01" / "08"
    changes.mkdir(parents=True)
    line = {"op": "INSERT", "order_id": "o1", "event_time": "2024-01-08T10:00:00Z"}
    files["changes"] = changes / "orders-1.json"
    files["changes"].write_text(json.dumps(line) + "\n", "utf-8")
    return files


@pytest.fixture(scope="module")
def scans(tiny_lake: dict[str, Path]) -> dict[str, ViewScan]:
    return {s.view: s for s in scan_views(tiny_lake["lake"])}


def test_scans_cover_every_view(scans: dict[str, ViewScan]) -> None:
    assert sorted(scans) == sorted(v.name for v in load_views())


def test_stockout_bytes_with_and_without_pruning(
    tiny_lake: dict[str, Path], scans: dict[str, ViewScan]
) -> None:
    scan = scans[STOCKOUT]
    dims = _chunk_bytes(tiny_lake["store"], STOCKOUT_STORE_COLUMNS) + _chunk_bytes(
        tiny_lake["product"], STOCKOUT_PRODUCT_COLUMNS
    )
    week1 = _chunk_bytes(tiny_lake["week1"], STOCKOUT_FACT_COLUMNS)
    week2 = _chunk_bytes(tiny_lake["week2"], STOCKOUT_FACT_COLUMNS)
    assert week1 > 0 and week2 > 0 and dims > 0

    assert scan.pruned_bytes == week2 + dims  # 202402 is the latest week
    assert scan.full_bytes == week1 + week2 + dims
    assert scan.pruned_bytes < scan.full_bytes
    assert scan.partitions == {"weekly_sales_inventory": 2, "dim_store": 0, "dim_product": 0}
    assert scan.pruning == {
        "weekly_sales_inventory": "yr_wk_num",
        "dim_store": None,
        "dim_product": None,
    }
    # column pruning: fewer bytes than every column of the files
    everything = sum(
        _chunk_bytes(tiny_lake[k], frozenset(pq.ParquetFile(tiny_lake[k]).schema_arrow.names))
        for k in ("week1", "week2", "store", "product")
    )
    assert scan.full_bytes < everything


def test_json_tables_are_read_whole_and_cannot_be_pruned(
    tiny_lake: dict[str, Path], scans: dict[str, ViewScan]
) -> None:
    size = tiny_lake["changes"].stat().st_size
    for view in ("v_order_current", "v_sales_outlook"):
        scan = scans[view]
        assert scan.pruning == {"order_changes": None}
        assert scan.full_bytes == scan.pruned_bytes == size


def test_missing_tables_scan_nothing(scans: dict[str, ViewScan]) -> None:
    scan = scans["v_data_quality_summary"]
    assert scan.full_bytes == scan.pruned_bytes == 0
    assert set(scan.partitions.values()) == {0}


def test_format_bytes() -> None:
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1536) == "1.50 KB"
    assert format_bytes(5 * 1024**2) == "5.00 MB"
    assert format_bytes(3 * 1024**4) == "3.00 TB"


def test_cli_prints_a_row_per_view(
    tiny_lake: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tiny_lake["lake"])]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "view",
        "tables",
        "partitions",
        "full",
        "MB",
        "pruned",
        "MB",
        "ratio",
    ]
    for view in load_views():
        assert view.name in out
