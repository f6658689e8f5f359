"""``retail-lake report``: the curated tables as one self-contained HTML page.

The page must open anywhere, including on a machine without internet access (a
CI runner, an analyst's laptop on a plane), so plotly.js is inlined once in the
page head and every chart only carries its data; nothing is loaded from a CDN.
The figures are the ones :mod:`retail_lake.analytics` builds for the notebooks.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import plotly.io as pio
from plotly.offline import get_plotlyjs

from retail_lake import analytics
from retail_lake.config import Settings
from retail_lake.quality_trend import TITLE as QUALITY_TREND_TITLE
from retail_lake.quality_trend import quality_daily, quality_rate_chart

CHART_TITLES = {**analytics.REPORT_CHARTS, "quality_trend": QUALITY_TREND_TITLE}
"""Every chart of the page, by key, in page order: the analytics charts, then the trend."""

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; background: #f6f7f9; color: #222; }
header { background: #232f3e; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header p { margin: 0; font-size: 13px; opacity: .8; }
main { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
       gap: 16px; padding: 16px 32px 32px; }
@media (max-width: 1100px) { main { grid-template-columns: minmax(0, 1fr); } }
section.chart { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12);
                padding: 8px; min-width: 0; overflow: hidden; }
.summary { display: flex; gap: 24px; padding: 16px 32px 0; flex-wrap: wrap; }
.summary div { background: #fff; border-radius: 6px; padding: 10px 16px;
               box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.summary b { display: block; font-size: 20px; }
"""


def render_report(settings: Settings, lake: analytics.Lake | None = None) -> str:
    """The report page as a string (``write_report`` writes it)."""
    lake = lake or analytics.open_lake(settings.lake, query=settings.query)
    frames = analytics.report_frames(lake)
    figures = analytics.report_figures(frames)
    figures["quality_trend"] = quality_rate_chart(quality_daily(lake))
    weekly, impact, quality = frames["weekly_sales"], frames["stockout_impact"], frames["quality"]
    weeks = weekly["yr_wk_num"].nunique() if not weekly.empty else 0
    tiles = {
        "weeks": f"{weeks}",
        "sales amount": f"{weekly['total_sales_amt'].sum():,.2f}" if weeks else "0",
        "lost to stock-outs": f"{impact['no_stock_impact'].sum():,.2f}"
        if not impact.empty
        else "0",
        "quarantined rows": f"{int(quality['rejected_rows'].sum()):,}"
        if not quality.empty
        else "0",
    }
    sections = []
    for key, title in CHART_TITLES.items():
        body = pio.to_html(
            figures[key],
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        sections.append(
            f'<section class="chart" aria-label="{html.escape(title)}">{body}</section>'
        )
    summary = "".join(
        f"<div><b>{html.escape(v)}</b>{html.escape(k)}</div>" for k, v in tiles.items()
    )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = "Athena" if settings.query == "aws" else "DuckDB catalog"
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<title>retail-lake report</title>\n"
        f"<style>{_STYLE}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n"
        "</head>\n<body>\n"
        "<header><h1>retail-lake report</h1>"
        f"<p>lake {html.escape(settings.lake)} · {source} · generated {generated}</p></header>\n"
        f"<div class='summary'>{summary}</div>\n"
        f"<main>{''.join(sections)}</main>\n"
        "</body>\n</html>\n"
    )


def write_report(settings: Settings, out_path: str | Path) -> Path:
    """Write the report for the lake of ``settings`` to ``out_path``; returns the path."""
    path = Path(out_path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(settings), encoding="utf-8")
    return path
