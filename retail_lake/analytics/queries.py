"""The questions the notebooks and the report ask of the lake, as Athena SQL.

Queries go through the query port (DuckDB over ``_control/catalog.duckdb`` locally,
Athena through awswrangler when ``query="aws"``), so a notebook switches backend
with one setting and never holds SQL of its own. Frames come back tidy and numeric,
ready for :mod:`retail_lake.analytics.charts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from retail_lake.analytics.accounting import run_accounting
from retail_lake.config import Settings, build_settings
from retail_lake.query import QueryEngine, open_query
from retail_lake.storage import LakeStorage, open_storage


@dataclass(frozen=True)
class Lake:
    """A lake opened for analysis: its settings, its query engine and its storage.

    Built by :func:`open_lake`; the methods are the queries the notebooks and the
    report run. Frames are returned as the engine gives them, except that numeric
    columns are coerced to numbers (Athena returns DECIMAL as ``Decimal`` objects).
    """

    settings: Settings
    engine: QueryEngine
    storage: LakeStorage

    def sql(self, text: str) -> pd.DataFrame:
        """Any Athena statement, for ad-hoc cells in a notebook."""
        return self.engine.sql(text)

    def weekly_sales(self) -> pd.DataFrame:
        """Sales, margin and stock-outs per week and store region."""
        return _numeric(
            self.sql(
                """
                SELECT yr_wk_num,
                       MAX(week_end_dt) AS week_end_dt,
                       COALESCE(region, 'unknown') AS region,
                       SUM(total_sales_amt) AS total_sales_amt,
                       SUM(total_sales_qty) AS total_sales_qty,
                       SUM(gross_margin_amt) AS gross_margin_amt,
                       SUM(no_stock_instances) AS no_stock_instances,
                       SUM(low_stock_instances) AS low_stock_instances
                FROM v_weekly_store_performance
                GROUP BY yr_wk_num, COALESCE(region, 'unknown')
                ORDER BY yr_wk_num, region
                """
            )
        )

    def stockout_impact(self) -> pd.DataFrame:
        """Sales lost to stock-outs and low stock per store region, over all weeks."""
        return _numeric(
            self.sql(
                """
                SELECT COALESCE(region, 'unknown') AS region,
                       SUM(no_stock_impact) AS no_stock_impact,
                       SUM(potential_low_stock_impact) AS potential_low_stock_impact,
                       SUM(no_stock_instances) AS no_stock_instances,
                       SUM(low_stock_instances) AS low_stock_instances,
                       SUM(total_sales_amt) AS total_sales_amt
                FROM v_stockout_impact_by_region_category
                GROUP BY COALESCE(region, 'unknown')
                ORDER BY region
                """
            )
        )

    def stockout_impact_by_category(self) -> pd.DataFrame:
        """The same impact per week, region and product category (the view's grain)."""
        return _numeric(
            self.sql(
                "SELECT * FROM v_stockout_impact_by_region_category "
                "ORDER BY yr_wk_num, region, category_name"
            )
        )

    def top_products(self, yr_wk_num: int | None = None) -> pd.DataFrame:
        """The ranked best sellers of one week (the latest week with sales by default)."""
        week = (
            str(int(yr_wk_num))
            if yr_wk_num is not None
            else "(SELECT MAX(yr_wk_num) FROM v_top_products_by_week)"
        )
        return _numeric(
            self.sql(
                f"""
                SELECT yr_wk_num, sales_rank, prod_key, prod_name, brand_name, category_name,
                       total_sales_amt, total_sales_qty, store_count
                FROM v_top_products_by_week
                WHERE yr_wk_num = {week}
                ORDER BY sales_rank, prod_key
                """
            )
        )

    def quality_counts(self) -> pd.DataFrame:
        """Quarantined rows per dataset and reject reason, over every load date."""
        return _numeric(
            self.sql(
                """
                SELECT dataset, reject_reason,
                       SUM(rejected_rows) AS rejected_rows,
                       SUM(source_files) AS source_files
                FROM v_data_quality_summary
                GROUP BY dataset, reject_reason
                ORDER BY dataset, reject_reason
                """
            )
        )

    def quality_by_day(self) -> pd.DataFrame:
        """Quarantined rows per load date, dataset and reason (trend of data quality)."""
        return _numeric(
            self.sql(
                "SELECT load_date, dataset, reject_reason, rejected_rows "
                "FROM v_data_quality_summary ORDER BY load_date, dataset, reject_reason"
            )
        )

    def quarantined_rows(self, dataset: str, limit: int = 20) -> pd.DataFrame:
        """A sample of one dataset's rejected rows, with their reason and source file."""
        if not dataset.replace("_", "").isalnum():
            raise ValueError(f"not a dataset name: {dataset!r}")
        return self.sql(
            f"SELECT * FROM quarantine_{dataset} ORDER BY load_date, source_file LIMIT {int(limit)}"
        )

    def run_accounting(self) -> pd.DataFrame:
        """Rows in, valid and quarantined per input file, from the validate run reports.

        One row per (business date, dataset, file) with a ``balanced`` column that is
        true when rows in = valid + quarantined; the reports live in
        ``_control/reports/<date>/validate.json`` of the lake, not in the catalog.
        """
        return run_accounting(self.storage)

    def orders_outlook(self) -> pd.DataFrame:
        """Orders, quantity and amount per product over the current orders."""
        return _numeric(
            self.sql(
                "SELECT item_id, order_count, total_qty, total_amount "
                "FROM v_sales_outlook ORDER BY total_amount DESC, item_id"
            )
        )

    def order_states(self) -> pd.DataFrame:
        """Current orders per order date and last change (INSERT or MODIFY)."""
        return _numeric(
            self.sql(
                """
                SELECT order_date, last_change_op, COUNT(*) AS orders, SUM(qty) AS qty
                FROM v_order_current
                GROUP BY order_date, last_change_op
                ORDER BY order_date, last_change_op
                """
            )
        )


def open_lake(
    lake: str | None = None,
    query: str | None = None,
    boto3_session: Any = None,
    **settings: object,
) -> Lake:
    """Open a lake for analysis; ``query`` is the one switch between DuckDB and Athena.

    ``lake`` defaults to ``RETAIL_LAKE_LAKE`` (and every other setting to its
    ``RETAIL_LAKE_*`` variable), as for the jobs. ``query="aws"`` sends the same SQL
    to Athena in the configured workgroup and Glue database.
    """
    values: dict[str, object] = dict(settings)
    if lake is not None:
        values["lake"] = lake
    if query is not None:
        values["query"] = query
    resolved = build_settings(values)
    return Lake(
        settings=resolved,
        engine=open_query(resolved, boto3_session),
        storage=open_storage(resolved.lake, boto3_session),
    )


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce ``Decimal``/object columns that hold numbers to floats or ints.

    Athena returns DECIMAL columns as ``decimal.Decimal`` objects and DuckDB returns
    HUGEINT sums as objects in some versions; plotly and arithmetic want numbers.
    Text columns are left alone.
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            values = out[column].dropna()
            if len(values) and all(
                isinstance(v, int | float) or type(v).__name__ == "Decimal" for v in values
            ):
                out[column] = pd.to_numeric(out[column], errors="coerce")
    return out
