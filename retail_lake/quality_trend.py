"""The quality trend: quarantine rate per load date and dataset, from ``v_data_quality_daily``.

Used by ``retail-lake report`` and ``notebooks/02_data_quality.ipynb``. Kept apart from
:mod:`retail_lake.analytics` on purpose; it only needs a lake's ``sql`` method
(:class:`retail_lake.analytics.Lake`).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import plotly.graph_objects as go

log = logging.getLogger(__name__)

TITLE = "Quarantine rate per load date"
COLUMNS = ["load_date", "dataset", "files", "rows_in", "valid", "quarantined", "quarantine_pct"]

QUERY = """
SELECT load_date, dataset, COUNT(*) AS files, SUM(rows_in) AS rows_in,
       SUM(valid) AS valid, SUM(quarantined) AS quarantined
FROM v_data_quality_daily
GROUP BY load_date, dataset
ORDER BY load_date, dataset
"""


def quality_daily(lake: Any) -> pd.DataFrame:
    """Per load date and dataset: files, rows in, valid, quarantined and the rate in %.

    A lake whose catalog step has not yet created ``v_data_quality_daily`` (one built
    before the view existed) gives an empty frame, so the report still renders.
    """
    try:
        frame = lake.sql(QUERY)
    except Exception as exc:
        log.warning("no quality trend: v_data_quality_daily cannot be read: %s", exc)
        return pd.DataFrame(columns=COLUMNS)
    for name in ("files", "rows_in", "valid", "quarantined"):
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype("int64")
    rows_in = frame["rows_in"].where(frame["rows_in"] > 0)
    frame["quarantine_pct"] = 100.0 * frame["quarantined"] / rows_in
    frame["load_date"] = frame["load_date"].astype(str)
    return frame[COLUMNS]


def quality_rate_chart(frame: pd.DataFrame) -> go.Figure:
    """One line per dataset: the share of delivered rows quarantined, per load date."""
    fig = go.Figure()
    if frame.empty:
        fig.add_annotation(
            text="no validation counts yet (they come with the catalog step)",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            font_size=16,
        )
    for name, part in frame.groupby("dataset", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["load_date"],
                y=part["quarantine_pct"],
                name=str(name),
                mode="lines+markers",
                customdata=part[["quarantined", "rows_in", "files"]].to_numpy(),
                hovertemplate="%{x}: %{y:.2f}% (%{customdata[0]} of %{customdata[1]} rows,"
                " %{customdata[2]} files)<extra>" + str(name) + "</extra>",
            )
        )
    fig.update_xaxes(title="load date", type="category")
    fig.update_yaxes(title="quarantined rows, % of rows in", rangemode="tozero")
    fig.update_layout(
        title={"text": TITLE, "x": 0.01},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        height=420,
    )
    return fig
