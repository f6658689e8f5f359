"""Which business dates load ``D`` of a fact table reads: watermarks and windows.

Facts are extracted over ``(watermark - lookback_days, D]`` so that rows which
arrived late in MySQL are delivered again (validation treats them as
restatements); a rerun of ``D`` reuses the window of the first run of ``D`` (from
its report) so that an unchanged source gives an identical partition. These rules
are pure date arithmetic, kept apart from the JDBC calls so they can be tested
without a database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from retail_lake.contracts import Dataset
from retail_lake.jobs.extract_mysql_retry import ExtractError
from retail_lake.jobs.extract_mysql_sql import Window


def parse_watermark(table: str, value: str | None) -> dt.date | None:
    """The tracker's watermark of ``table`` as a date (``None``: never extracted).

    A value that is not a date stops the run before anything is read: guessing a
    window from it could skip or duplicate a range of business dates.
    """
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ExtractError(
            table,
            f"its watermark {value!r} is not a YYYY-MM-DD date",
            1,
            "fix or delete the watermark in the tracker; nothing was read or written",
        ) from None


def fact_window(
    ds: Dataset,
    day: dt.date,
    watermark: dt.date | None,
    lookback_days: int,
    previous_after: tuple[bool, dt.date | None] = (False, None),
) -> Window:
    """The window of load ``day`` for a fact table.

    ``previous_after`` is ``(found, after)`` from an earlier successful run of the
    same load: a rerun (watermark already at or past ``day``) reuses it, so the
    partition comes out the same.
    """
    column = ds.business_date
    if column is None:
        raise ValueError(f"{ds.name} is not extracted incrementally")
    found, after = previous_after
    if watermark is not None and watermark >= day and found:
        return Window(column, after, day)
    if watermark is None:
        return Window(column, None, day)
    base = min(watermark, day - dt.timedelta(days=1))
    return Window(column, base - dt.timedelta(days=lookback_days), day)


def previous_after(previous: dict[str, Any] | None, name: str) -> tuple[bool, dt.date | None]:
    """``(found, after)`` of table ``name``'s window in an earlier report of the same load."""
    window = ((previous or {}).get("tables", {}).get(name) or {}).get("window")
    if not isinstance(window, dict) or "after" not in window:
        return False, None
    after = window["after"]
    return True, (dt.date.fromisoformat(after) if after else None)
