"""Plotly charts of the analytics frames, one function per chart.

Each takes the tidy frame a :class:`~retail_lake.analytics.queries.Lake` method
returns and gives a figure, so a notebook can inspect or filter the frame before
drawing it, and the HTML report and the notebooks draw identical charts. An empty
frame gives a chart that says so, rather than an empty axis.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from retail_lake.contracts import RULE_ORDER

_PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880")

# One colour per validation reason, so the same reason has the same colour in every
# chart, notebook and report; the reasons come from the contracts, in rule order.
REASON_COLOURS: dict[str, str] = dict(zip(RULE_ORDER, _PALETTE, strict=True))
_TEMPLATE = "plotly_white"


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    """The common look of every chart (template, legend below, fixed height), so the
    report's grid and the notebooks show them alike."""
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
