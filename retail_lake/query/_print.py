"""Printing a query result as a rich table (``retail-lake query``)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table


def _cell(value: Any) -> str:
    if value is None or value is pd.NaT:
        return "NULL"
    if isinstance(value, float):
        return "NULL" if math.isnan(value) else f"{value:.6g}"
    try:
        if pd.isna(value):
            return "NULL"
    except (TypeError, ValueError):
        pass
    return str(value)


def render_table(frame: pd.DataFrame, max_rows: int = 200) -> Table:
    """A rich table of the first ``max_rows`` rows; numbers right-aligned, NULL spelled."""
    table = Table(show_lines=False)
    for name, dtype in frame.dtypes.items():
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        table.add_column(str(name), justify="right" if numeric else "left")
    for row in frame.head(max_rows).itertuples(index=False, name=None):
        table.add_row(*(_cell(v) for v in row))
    shown = min(len(frame), max_rows)
    table.caption = f"{len(frame)} row(s)" + (
        f", first {shown} shown" if shown < len(frame) else ""
    )
    return table


def print_query(
    engine: Any, sql: str, console: Console | None = None, max_rows: int = 200
) -> pd.DataFrame:
    """Run ``sql`` on ``engine`` and print the result; returns the frame for callers."""
    frame = engine.sql(sql)
    (console or Console()).print(render_table(frame, max_rows))
    return frame
