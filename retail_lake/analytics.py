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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from retail_lake.config import Settings, build_settings
from retail_lake.query import QueryEngine, open_query
from retail_lake.storage import LakeStorage, open_storage

# One colour per validation reason, so the same reason has the same
# colour in every chart, notebook and report.
REASON_COLOURS: dict[str, str] = {
    "missing_required": "#636efa",
    "bad_type": "#ef553b",
    "negative_value": "#00cc96",
    "bad_flag": "#ab63fa",
    "unknown_date": "#ffa15a",
    "unknown_store": "#19d3f3",
    "unknown_product": "#ff6692",
    "duplicate_key": "#b6e880",
}
_TEMPLATE = "plotly_white"


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


def run_accounting(storage: LakeStorage) -> pd.DataFrame:
    """Per-file accounting of every validate report found in the lake (see :meth:`Lake.run_accounting`)."""
    rows: list[dict[str, Any]] = []
    root = "_control/reports"
    for day in storage.list_dirs(root):
        rel = f"{root}/{day}/validate.json"
        if not storage.exists(rel):
            continue
        report = json.loads(storage.read_bytes(rel))
        for name, outcome in sorted(report.get("datasets", {}).items()):
            for source_file, counts in sorted(outcome.get("files", {}).items()):
                rows.append(
                    {
                        "business_date": report.get("business_date", day),
                        "dataset": name,
                        "source_file": source_file,
                        "rows_in": int(counts["rows_in"]),
                        "valid": int(counts["valid"]),
                        "quarantined": int(counts["quarantined"]),
                        "reasons": dict(counts.get("reasons", {})),
                    }
                )
    columns = [
        "business_date",
        "dataset",
        "source_file",
        "rows_in",
        "valid",
        "quarantined",
        "reasons",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["balanced"] = frame["rows_in"] == frame["valid"] + frame["quarantined"]
    return frame


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


# --- charts -----------------------------------------------------------------------------


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template=_TEMPLATE,
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        height=420,
        **extra,
    )
    return fig


def _empty(fig: go.Figure, message: str) -> go.Figure:
    """Say on the chart that there is nothing to draw, rather than an empty axis."""
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font_size=16
    )
    return fig


def weekly_sales_chart(frame: pd.DataFrame) -> go.Figure:
    """Weekly sales trend: one line per region plus the total over all regions."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no curated weekly sales yet"), "Weekly sales")
    weeks = frame.assign(week=frame["yr_wk_num"].astype(int).astype(str))
    total = weeks.groupby("week", as_index=False)["total_sales_amt"].sum()
    fig.add_trace(
        go.Scatter(
            x=total["week"],
            y=total["total_sales_amt"],
            name="all regions",
            mode="lines+markers",
            line={"width": 3, "color": "#222"},
        )
    )
    for region, part in weeks.groupby("region", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["week"], y=part["total_sales_amt"], name=str(region), mode="lines+markers"
            )
        )
    fig.update_xaxes(title="week (yr_wk_num)", type="category")
    fig.update_yaxes(title="sales amount")
    return _layout(fig, "Weekly sales trend by region")


def stockout_impact_chart(frame: pd.DataFrame) -> go.Figure:
    """Stock-out impact by region: sales on out-of-stock days and sales at risk from low stock."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no curated weekly rows yet"), "Stock-out impact by region")
    fig.add_trace(
        go.Bar(x=frame["region"], y=frame["no_stock_impact"], name="sales on out-of-stock days")
    )
    fig.add_trace(
        go.Bar(
            x=frame["region"],
            y=frame["potential_low_stock_impact"],
            name="potential sales lost to low stock",
        )
    )
    fig.update_xaxes(title="store region")
    fig.update_yaxes(title="amount")
    return _layout(fig, "Stock-out impact by region", barmode="stack")


def top_products_chart(frame: pd.DataFrame) -> go.Figure:
    """Top products of a week as horizontal bars, best seller on top."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no product sales yet"), "Top products")
    week = int(frame["yr_wk_num"].iloc[0])
    ranked = frame.sort_values(["sales_rank", "prod_key"], ascending=[False, False])
    labels = [
        f"#{int(r)} {name if isinstance(name, str) else key}"
        for r, name, key in zip(
            ranked["sales_rank"], ranked["prod_name"], ranked["prod_key"], strict=True
        )
    ]
    fig.add_trace(
        go.Bar(
            x=ranked["total_sales_amt"],
            y=labels,
            orientation="h",
            name="sales amount",
            text=ranked["category_name"],
            textposition="auto",
        )
    )
    fig.update_xaxes(title="sales amount")
    return _layout(fig, f"Top products of week {week}", showlegend=False)


def quality_chart(frame: pd.DataFrame) -> go.Figure:
    """Data-quality counts: quarantined rows per dataset, stacked by reject reason."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no quarantined rows"), "Quarantined rows by reason")
    datasets = sorted(frame["dataset"].unique())
    for reason, part in frame.groupby("reject_reason", sort=True):
        counts = part.groupby("dataset")["rejected_rows"].sum().reindex(datasets, fill_value=0)
        fig.add_trace(
            go.Bar(
                x=datasets,
                y=counts.values,
                name=str(reason),
                marker_color=REASON_COLOURS.get(str(reason)),
            )
        )
    fig.update_xaxes(title="dataset")
    fig.update_yaxes(title="rejected rows")
    return _layout(fig, "Quarantined rows by dataset and reason", barmode="stack")


def quality_trend_chart(frame: pd.DataFrame) -> go.Figure:
    """Quarantined rows per load date, one line per dataset."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no quarantined rows"), "Quarantined rows per load date")
    daily = frame.groupby(["load_date", "dataset"], as_index=False)["rejected_rows"].sum()
    for name, part in daily.groupby("dataset", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["load_date"].astype(str),
                y=part["rejected_rows"],
                name=str(name),
                mode="lines+markers",
            )
        )
    fig.update_xaxes(title="load date", type="category")
    fig.update_yaxes(title="rejected rows")
    return _layout(fig, "Quarantined rows per load date")


def accounting_chart(frame: pd.DataFrame) -> go.Figure:
    """Run-report accounting: valid and quarantined rows per business date (all files)."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no validate run reports"), "Rows validated per day")
    daily = frame.groupby("business_date", as_index=False)[["valid", "quarantined"]].sum()
    fig.add_trace(go.Bar(x=daily["business_date"], y=daily["valid"], name="valid"))
    fig.add_trace(
        go.Bar(
            x=daily["business_date"],
            y=daily["quarantined"],
            name="quarantined",
            marker_color="#ef553b",
        )
    )
    fig.update_xaxes(title="business date", type="category")
    fig.update_yaxes(title="rows")
    return _layout(fig, "Rows in per day: valid + quarantined (run reports)", barmode="stack")


def accounting_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Run-report totals per dataset, with the number of files whose counts do not add up."""
    if frame.empty:
        return pd.DataFrame(
            columns=["dataset", "files", "rows_in", "valid", "quarantined", "unbalanced_files"]
        )
    grouped = frame.groupby("dataset", as_index=False).agg(
        files=("source_file", "count"),
        rows_in=("rows_in", "sum"),
        valid=("valid", "sum"),
        quarantined=("quarantined", "sum"),
        unbalanced_files=("balanced", lambda b: int((~b).sum())),
    )
    return grouped


def orders_outlook_chart(frame: pd.DataFrame) -> go.Figure:
    """Sales outlook per product from the current orders: amount as bars, quantity on a second axis."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no orders captured yet"), "Sales outlook by product")
    items = frame["item_id"].astype(str)
    fig.add_trace(go.Bar(x=items, y=frame["total_amount"], name="order amount"))
    fig.add_trace(
        go.Scatter(
            x=items,
            y=frame["total_qty"],
            name="quantity ordered",
            mode="markers",
            marker={"size": 10, "color": "#ef553b"},
            yaxis="y2",
        )
    )
    fig.update_xaxes(title="item", type="category")
    return _layout(
        fig,
        "Sales outlook by product (current orders)",
        yaxis={"title": "amount"},
        yaxis2={"title": "quantity", "overlaying": "y", "side": "right", "showgrid": False},
    )


def order_states_chart(frame: pd.DataFrame) -> go.Figure:
    """Current orders per order date, split by whether they were modified since insert."""
    fig = go.Figure()
    if frame.empty:
        return _layout(_empty(fig, "no orders captured yet"), "Current orders by date")
    dates = sorted(frame["order_date"].astype(str).unique())
    for op, part in frame.groupby("last_change_op", sort=True):
        counts = part.assign(d=part["order_date"].astype(str)).groupby("d")["orders"].sum()
        fig.add_trace(
            go.Bar(x=dates, y=counts.reindex(dates, fill_value=0).values, name=f"last change {op}")
        )
    fig.update_xaxes(title="order date", type="category")
    fig.update_yaxes(title="orders")
    return _layout(fig, "Current orders by order date", barmode="stack")


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
