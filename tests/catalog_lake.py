"""A small hand-made lake for the catalog and view tests, written with pyarrow.

Files are laid out as Spark writes them (hive folders, ``part-*.parquet``) with the
contract types, so the DuckDB catalog reads exactly what the jobs would produce.
The numbers are chosen so every view's expected rows can be worked out by hand;
the tests spell those rows out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from retail_lake.catalog import TableSpec, curated_table, quarantine_table
from retail_lake.contracts import ColumnType

D = dt.date


def arrow_type(typ: ColumnType) -> pa.DataType:
    return typ.arrow()


def write_table(
    root: Path, spec: TableSpec, rows: list[dict[str, Any]], part: str = "0000"
) -> None:
    """Write ``rows`` under ``spec.location``, one hive folder per partition value."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[p] for p in spec.partition_names), []).append(row)
    schema = pa.schema([(n, arrow_type(t)) for n, t in spec.columns])
    for values, members in groups.items():
        folder = Path(
            root,
            spec.location,
            *(f"{k}={v}" for k, v in zip(spec.partition_names, values, strict=True)),
        )
        folder.mkdir(parents=True, exist_ok=True)
        data = {n: [r.get(n) for r in members] for n in schema.names}
        pq.write_table(pa.table(data, schema=schema), folder / f"part-{part}.parquet")


CALENDAR = [
    {
        "cal_dt": D(2024, 1, 1) + dt.timedelta(days=i),
        "cal_type_desc": "Fiscal",
        "day_of_wk_num": i % 7 + 1,
        "day_of_wk_desc": "day",
        "yr_num": 2024,
        "wk_num": i // 7 + 1,
        "yr_wk_num": 202401 + i // 7,
        "mnth_num": 1,
        "yr_mnth_num": 202401,
        "qtr_num": 1,
        "yr_qtr_num": 20241,
    }
    for i in range(14)
]

STORES = [
    {
        "store_key": 1,
        "store_num": 101,
        "store_desc": "Downtown",
        "city": "Boston",
        "region": "East",
        "prov_state_cd": "MA",
        "frnchs_flg": True,
    },
    {
        "store_key": 2,
        "store_num": 102,
        "store_desc": "Harbor",
        "city": "Seattle",
        "region": "West",
        "prov_state_cd": "WA",
        "frnchs_flg": False,
    },
    {
        "store_key": 3,
        "store_num": 103,
        "store_desc": "Hills",
        "city": "Denver",
        "region": "West",
        "prov_state_cd": "CO",
        "frnchs_flg": True,
    },
]

PRODUCTS = [
    {"prod_key": 10, "prod_name": "Apple", "brand_name": "Orchard", "category_name": "Fruit"},
    {"prod_key": 20, "prod_name": "Bread", "brand_name": "Baker", "category_name": "Bakery"},
    {"prod_key": 30, "prod_name": "Milk", "brand_name": "Dairyland", "category_name": "Dairy"},
]


def fact(
    wk: int, store: int, prod: int, amt: float, cost: float, **metrics: float
) -> dict[str, Any]:
    """One weekly fact row; metrics not given are 0 (counts) or 0.0 (amounts)."""
    return {
        "yr_wk_num": wk,
        "yr_num": 2024,
        "wk_num": wk - 202400,
        "week_end_dt": D(2024, 1, 7) if wk == 202401 else D(2024, 1, 14),
        "store_key": store,
        "prod_key": prod,
        "total_sales_qty": amt / 10,
        "total_sales_amt": amt,
        "avg_sales_price": 10.0 if amt else None,
        "total_cost_amt": cost,
        "no_stock_impact": metrics.get("nsi", 0.0),
        "potential_low_stock_impact": metrics.get("pot", 0.0),
        "no_stock_instances": int(metrics.get("no", 0)),
        "low_stock_instances": int(metrics.get("low", 0)),
        "total_low_stock_impact": int(metrics.get("no", 0) + metrics.get("low", 0)),
    }


WEEKLY = [
    fact(202401, 1, 10, 100.0, 60.0, pot=5.0, low=1),
    fact(202401, 1, 20, 50.0, 30.0, nsi=20.0, no=2),
    fact(202401, 2, 10, 80.0, 50.0, nsi=10.0, pot=2.5, no=1, low=1),
    fact(202401, 2, 30, 0.0, 0.0),  # inventory only: no sales
    fact(202401, 3, 10, 20.0, 12.0, nsi=4.0, pot=1.5, no=1, low=1),
    fact(202402, 1, 20, 70.0, 40.0, pot=7.0, low=1),
    fact(202402, 3, 20, 40.0, 25.0),
    fact(202402, 3, 10, 30.0, 20.0, nsi=3.0, no=1),
    fact(202402, 9, 30, 30.0, 15.0, nsi=1.0, no=1),  # store 9 is not in dim_store
]


def daily(
    store: int, item: str, day: dt.date, sale: float, tax: float, disc: float, qty: int, orders: int
) -> dict[str, Any]:
    return {
        "franchise_store": store,
        "item": item,
        "transaction_date": day,
        "total_sale_amount": sale,
        "total_tax_amount": tax,
        "total_discount_amount": disc,
        "total_quantity": qty,
        "order_count": orders,
    }


DAILY = [
    daily(101, "Chair", D(2024, 1, 2), 100.0, 8.0, 5.0, 3, 2),
    daily(103, "Desk", D(2024, 1, 2), 250.0, 20.0, 0.0, 1, 1),
    daily(101, "Desk", D(2024, 1, 3), 60.0, 4.8, 0.0, 2, 3),
    daily(102, "Lamp", D(2024, 1, 3), 15.0, 1.2, 0.0, 1, 1),  # 102 is not a franchise store
]


def rejected(day: dt.date, reason: str, source: str, **values: str) -> dict[str, Any]:
    return {"load_date": day, "reject_reason": reason, "source_file": source, **values}


QUARANTINE = {
    "sales": [
        rejected(D(2024, 1, 2), "bad_type", "landing/retail/2024-01-02/sales.csv", trans_id="x1"),
        rejected(D(2024, 1, 2), "bad_type", "landing/retail/2024-01-02/sales.csv", trans_id="x2"),
        rejected(
            D(2024, 1, 3), "missing_required", "landing/retail/2024-01-03/sales.csv", trans_id=""
        ),
    ],
    "inventory": [
        rejected(
            D(2024, 1, 2),
            "negative_value",
            "landing/retail/2024-01-02/inventory.csv",
            inventory_on_hand_qty="-1",
        ),
    ],
    "store_sales": [
        rejected(
            D(2024, 1, 3), "duplicate_key", "landing/store_sales/2024-01-03/101.csv", row_id="7"
        ),
        rejected(
            D(2024, 1, 3), "duplicate_key", "landing/store_sales/2024-01-03/103.csv", row_id="7"
        ),
    ],
}


def build_lake(root: Path) -> Path:
    """Write every curated table and three quarantine tables (the others stay empty)."""
    write_table(root, curated_table("dim_calendar"), CALENDAR)
    write_table(root, curated_table("dim_store"), STORES)
    write_table(root, curated_table("dim_product"), PRODUCTS)
    write_table(root, curated_table("weekly_sales_inventory"), WEEKLY)
    write_table(root, curated_table("daily_store_sales"), DAILY)
    for name, rows in QUARANTINE.items():
        write_table(root, quarantine_table(name), rows)
    return root
