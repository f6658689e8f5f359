"""Weekly sales and inventory metrics (docs/design.md, Weekly metrics), as DataFrame expressions.

The computation goes through one row per (day, store, product): sales are summed
per day first and joined to that day's inventory snapshot on the date too, which is
exactly what the seed scripts got wrong (joining inventory without the date
multiplied every sum by the number of days).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from retail_lake.contracts import dataset

KEYS = ["store_key", "prod_key"]


def daily_positions(sales: DataFrame, inventory: DataFrame) -> DataFrame:
    """One row per (cal_dt, store, product) with a valid sales or inventory row.

    Columns: qty_d, amt_d, cost_d (0 without sales), has_snapshot, on_hand_d,
    on_order_d, oos_d (0 without snapshot) and low_d.
    """
    # Amounts are summed as double, far cheaper than DECIMAL(38,2) arithmetic and well
    # inside the specified relative 1e-6 tolerance; the quantity stays an exact decimal sum
    # because low_d compares it with the on-hand quantity.
    day_sales = sales.groupBy(F.col("trans_dt").alias("cal_dt"), *KEYS).agg(
        F.sum("sales_qty").cast("double").alias("qty_d"),
        F.sum(F.col("sales_amt").cast("double")).alias("amt_d"),
        F.sum(F.coalesce(F.col("sales_cost").cast("double"), F.lit(0.0))).alias("cost_d"),
    )
    snapshots = inventory.select(
        "cal_dt",
        *KEYS,
        F.col("inventory_on_hand_qty").cast("double").alias("on_hand_d"),
        F.col("inventory_on_order_qty").cast("double").alias("on_order_d"),
        F.col("out_of_stock_flg").cast("long").alias("snapshot_oos"),
        F.lit(True).alias("has_snapshot"),
    )
    days = day_sales.join(snapshots, ["cal_dt", *KEYS], "full_outer")
    has_snapshot = F.coalesce(F.col("has_snapshot"), F.lit(False))
    qty = F.coalesce(F.col("qty_d"), F.lit(0.0))
    return days.select(
        "cal_dt",
        *KEYS,
        qty.alias("qty_d"),
        F.coalesce(F.col("amt_d"), F.lit(0.0)).alias("amt_d"),
        F.coalesce(F.col("cost_d"), F.lit(0.0)).alias("cost_d"),
        has_snapshot.alias("has_snapshot"),
        "on_hand_d",
        "on_order_d",
        F.when(has_snapshot, F.col("snapshot_oos")).otherwise(F.lit(0)).alias("oos_d"),
        F.when(has_snapshot & (F.col("on_hand_d") < qty), F.lit(1))
        .otherwise(F.lit(0))
        .alias("low_d"),
    )


def _count_if(condition: Column) -> Column:
    return F.sum(F.when(condition, F.lit(1)).otherwise(F.lit(0))).cast("long")


def weekly_metrics(sales: DataFrame, inventory: DataFrame, calendar: DataFrame) -> DataFrame:
    """``curated/weekly_sales_inventory`` rows for the weeks present in the inputs.

    ``sales`` and ``inventory`` are validated rows (already restated); ``calendar``
    is the calendar dimension, broadcast because it is small. The result has the
    contract's columns in the contract's order.
    """
    cal = F.broadcast(calendar.select("cal_dt", "yr_wk_num"))
    days = daily_positions(sales, inventory).join(cal, "cal_dt")
    snapshot = F.col("has_snapshot")
    low = F.col("low_d") == 1
    # max_by keeps the aggregation hash-based (a max over a struct forces a sort-based
    # aggregate); a NULL ordering (no snapshot that day) is skipped.
    snapshot_day = F.when(snapshot, F.col("cal_dt"))
    total_qty = F.sum("qty_d")
    snapshot_days = _count_if(snapshot)
    weekly = days.groupBy("yr_wk_num", *KEYS).agg(
        total_qty.alias("total_sales_qty"),
        F.sum("amt_d").alias("total_sales_amt"),
        F.max_by("on_hand_d", snapshot_day).alias("eow_on_hand"),
        F.max_by("on_order_d", snapshot_day).alias("eow_on_order"),
        F.sum("cost_d").alias("total_cost_amt"),
        snapshot_days.alias("snapshot_days"),
        _count_if(snapshot & (F.col("oos_d") == 0)).alias("in_stock_days"),
        F.sum(F.col("oos_d") + F.col("low_d")).cast("long").alias("total_low_stock_impact"),
        F.sum(
            F.when(
                low, F.col("amt_d") - F.col("on_hand_d") * F.col("amt_d") / F.col("qty_d")
            ).otherwise(F.lit(0.0))
        ).alias("potential_low_stock_impact"),
        F.sum(F.when(F.col("oos_d") == 1, F.col("amt_d")).otherwise(F.lit(0.0))).alias(
            "no_stock_impact"
        ),
        F.sum("low_d").cast("long").alias("low_stock_instances"),
        F.sum("oos_d").cast("long").alias("no_stock_instances"),
    )
    weeks = F.broadcast(
        calendar.groupBy("yr_wk_num").agg(
            F.first("yr_num", ignorenulls=True).alias("yr_num"),
            F.first("wk_num", ignorenulls=True).alias("wk_num"),
            F.max("cal_dt").alias("week_end_dt"),
        )
    )
    qty = F.col("total_sales_qty")
    on_hand = F.col("eow_on_hand")
    out = weekly.join(weeks, "yr_wk_num").select(
        "*",
        F.when(qty != 0, F.col("total_sales_amt") / qty).alias("avg_sales_price"),
        on_hand.alias("eow_stock_on_hand_qty"),
        F.col("eow_on_order").alias("eow_stock_on_order_qty"),
        F.when(
            F.col("snapshot_days") > 0, 100.0 * F.col("in_stock_days") / F.col("snapshot_days")
        ).alias("in_stock_pct"),
        F.when((qty != 0) & on_hand.isNotNull(), on_hand / qty).alias("weeks_of_supply"),
    )
    contract = dataset("weekly_sales_inventory")
    return out.select(*[F.col(c.name).cast(c.type.spark()) for c in contract.columns])
