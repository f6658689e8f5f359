"""Daily franchise-store sales (docs/design.md, Daily franchise sales), from validated,
restated rows."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from retail_lake.contracts import dataset


def daily_store_sales(store_sales: DataFrame) -> DataFrame:
    """Sums per (franchise_store, item, transaction_date) and distinct orders.

    Each validated row is counted once: duplicates were rejected and restated keys
    replaced before this point, which is what the old franchise report, whose totals came out tripled, lacked.
    """
    out = store_sales.groupBy("franchise_store", "item", "transaction_date").agg(
        F.sum("sale_amount").alias("total_sale_amount"),
        F.sum("tax_amount").alias("total_tax_amount"),
        F.sum("discount_amount").alias("total_discount_amount"),
        F.sum("quantity").alias("total_quantity"),
        F.countDistinct("order_id").alias("order_count"),
    )
    contract = dataset("daily_store_sales")
    return out.select(*[F.col(c.name).cast(c.type.spark()) for c in contract.columns])
