"""An independent DuckDB implementation of the weekly metrics over the validated zone.

Written from the specification (docs/design.md) in SQL, not translated from the Spark transforms, so
that the benchmark compares equal work and the tests compare two implementations.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

WEEKLY_SQL = """
WITH s AS (
    SELECT trans_dt AS d, store_key, prod_key,
           SUM(sales_qty)::DOUBLE AS qty, SUM(sales_amt)::DOUBLE AS amt,
           SUM(COALESCE(sales_cost, 0))::DOUBLE AS cost
    FROM sales GROUP BY ALL
), i AS (
    SELECT cal_dt AS d, store_key, prod_key, inventory_on_hand_qty::DOUBLE AS oh,
           inventory_on_order_qty::DOUBLE AS oo, out_of_stock_flg AS oos
    FROM inventory
), days AS (
    SELECT COALESCE(s.d, i.d) AS d,
           COALESCE(s.store_key, i.store_key) AS store_key,
           COALESCE(s.prod_key, i.prod_key) AS prod_key,
           COALESCE(s.qty, 0) AS qty, COALESCE(s.amt, 0) AS amt, COALESCE(s.cost, 0) AS cost,
           i.d IS NOT NULL AS snap, i.oh, i.oo,
           CASE WHEN i.d IS NOT NULL THEN i.oos ELSE 0 END AS oos,
           CASE WHEN i.d IS NOT NULL AND i.oh < COALESCE(s.qty, 0) THEN 1 ELSE 0 END AS low
    FROM s FULL OUTER JOIN i
      ON s.d = i.d AND s.store_key = i.store_key AND s.prod_key = i.prod_key
), weeks AS (
    SELECT yr_wk_num, ANY_VALUE(yr_num) AS yr_num, ANY_VALUE(wk_num) AS wk_num,
           MAX(cal_dt) AS week_end_dt
    FROM calendar GROUP BY yr_wk_num
), w AS (
    SELECT c.yr_wk_num, days.store_key, days.prod_key,
           SUM(qty) AS total_sales_qty, SUM(amt) AS total_sales_amt, SUM(cost) AS total_cost_amt,
           ARG_MAX(oh, d) FILTER (WHERE snap) AS eow_stock_on_hand_qty,
           ARG_MAX(oo, d) FILTER (WHERE snap) AS eow_stock_on_order_qty,
           COUNT(*) FILTER (WHERE snap) AS snap_days,
           COUNT(*) FILTER (WHERE snap AND oos = 0) AS in_stock_days,
           SUM(oos + low)::BIGINT AS total_low_stock_impact,
           COALESCE(SUM(amt - oh * amt / qty) FILTER (WHERE low = 1), 0) AS potential_low_stock_impact,
           COALESCE(SUM(amt) FILTER (WHERE oos = 1), 0) AS no_stock_impact,
           SUM(low)::BIGINT AS low_stock_instances,
           SUM(oos)::BIGINT AS no_stock_instances
    FROM days JOIN calendar c ON c.cal_dt = days.d
    GROUP BY ALL
)
SELECT weeks.yr_num, weeks.wk_num, weeks.week_end_dt, w.store_key, w.prod_key,
       total_sales_qty, total_sales_amt,
       CASE WHEN total_sales_qty <> 0 THEN total_sales_amt / total_sales_qty END AS avg_sales_price,
       eow_stock_on_hand_qty, eow_stock_on_order_qty, total_cost_amt,
       CASE WHEN snap_days > 0 THEN 100.0 * in_stock_days / snap_days END AS in_stock_pct,
       total_low_stock_impact, potential_low_stock_impact, no_stock_impact,
       low_stock_instances, no_stock_instances,
       CASE WHEN total_sales_qty <> 0 AND eow_stock_on_hand_qty IS NOT NULL
            THEN eow_stock_on_hand_qty / total_sales_qty END AS weeks_of_supply,
       w.yr_wk_num
FROM w JOIN weeks USING (yr_wk_num)
"""


def _source(root: Path, name: str) -> str:
    return f"read_parquet('{root / 'validated' / name}/**/*.parquet', hive_partitioning = true)"


def _connect(lake: Path, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name in ("sales", "inventory", "calendar"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {_source(lake, name)}")
    return con


def weekly_reference(lake: Path, threads: int | None = None) -> pd.DataFrame:
    """The weekly metrics computed by DuckDB from ``<lake>/validated``."""
    con = _connect(lake, threads)
    frame = con.execute(WEEKLY_SQL).df()
    con.close()
    return frame.sort_values(["yr_wk_num", "store_key", "prod_key"]).reset_index(drop=True)


def write_weekly_reference(lake: Path, out: Path, threads: int | None = None) -> int:
    """The same metrics written to one Parquet file, the work the Spark job does too."""
    con = _connect(lake, threads)
    target = str(out).replace("'", "''")
    (rows,) = con.execute(f"COPY ({WEEKLY_SQL}) TO '{target}' (FORMAT parquet)").fetchone()
    con.close()
    return int(rows)
