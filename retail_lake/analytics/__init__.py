"""Queries and plotly charts shared by the notebooks, the HTML report and their tests.

Every number a notebook or ``retail-lake report`` shows comes from here, so that a
notebook is only a sequence of calls and the same figures can be checked in CI.
Queries are Athena SQL over the catalog views, sent through the query
port: DuckDB over ``_control/catalog.duckdb`` locally, Athena through awswrangler
when ``query="aws"``. Run reports are read through the lake storage port, so they
come from the local ``_control/`` folder or from S3 alike.

Frame builders (``weekly_sales`` …) return tidy pandas frames; chart builders
(``weekly_sales_chart`` …) take those frames and return ``plotly`` figures, so a
notebook can inspect or filter a frame before drawing it.

The package is split by what each part talks to: :mod:`~retail_lake.analytics.queries`
(the query port), :mod:`~retail_lake.analytics.accounting` (run reports through the
storage port) and :mod:`~retail_lake.analytics.charts` (plotly only, no I/O). Every
public name is importable from ``retail_lake.analytics`` itself, which is what the
notebooks do (``from retail_lake import analytics``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from retail_lake.analytics.accounting import accounting_summary, run_accounting
from retail_lake.analytics.charts import (
    REASON_COLOURS,
    accounting_chart,
    order_states_chart,
    orders_outlook_chart,
    quality_chart,
    quality_trend_chart,
    stockout_impact_chart,
    top_products_chart,
    weekly_sales_chart,
)
from retail_lake.analytics.queries import Lake, open_lake

__all__ = [
    "REASON_COLOURS",
    "REPORT_CHARTS",
    "Lake",
    "accounting_chart",
    "accounting_summary",
    "open_lake",
    "order_states_chart",
    "orders_outlook_chart",
    "quality_chart",
    "quality_trend_chart",
    "report_figures",
    "report_frames",
    "run_accounting",
    "stockout_impact_chart",
    "top_products_chart",
    "weekly_sales_chart",
]


REPORT_CHARTS: Mapping[str, str] = {
    "weekly_sales": "Weekly sales trend",
    "stockout_impact": "Stock-out impact by region",
    "top_products": "Top products",
    "quality": "Data-quality counts",
}
"""The four charts of ``retail-lake report``, by key, in page order."""


def report_frames(lake: Lake) -> dict[str, pd.DataFrame]:
    """The frames behind the report's charts, keyed as :data:`REPORT_CHARTS`."""
    return {
        "weekly_sales": lake.weekly_sales(),
        "stockout_impact": lake.stockout_impact(),
        "top_products": lake.top_products(),
        "quality": lake.quality_counts(),
    }


def report_figures(frames: Mapping[str, pd.DataFrame]) -> dict[str, go.Figure]:
    """The report's figures from :func:`report_frames`' frames."""
    return {
        "weekly_sales": weekly_sales_chart(frames["weekly_sales"]),
        "stockout_impact": stockout_impact_chart(frames["stockout_impact"]),
        "top_products": top_products_chart(frames["top_products"]),
        "quality": quality_chart(frames["quality"]),
    }
