"""The calendar dimension.

Week convention: **ISO 8601 weeks**. Weeks run Monday (``day_of_wk_num`` = 1) to
Sunday (7); ``wk_num`` is the ISO week number and ``yr_num`` the ISO week-based
year, so ``yr_wk_num = yr_num * 100 + wk_num`` is unique per week and sorts in time
order, and every week has exactly seven days even across New Year (2026-W01 starts
on Monday 2025-12-29 and its days carry ``yr_num`` 2026). Month and quarter columns
use the Gregorian date itself (``yr_mnth_num = year * 100 + month``,
``yr_qtr_num = year * 10 + quarter``), so a week can span two months or two years.

The calendar covers whole weeks: from the Monday on or before the first business
date to the Sunday on or after the last, so ``week_end_dt`` (the last ``cal_dt`` of a
week) is always the Sunday. Any range crossing a month boundary that is
not a Monday therefore contains a week spanning two months.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from retail_lake.generator.writer import build_table

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def calendar_bounds(start: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """First Monday and last Sunday of the whole weeks around ``start .. start+days-1``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    last = start + dt.timedelta(days=days - 1)
    first_monday = start - dt.timedelta(days=start.isoweekday() - 1)
    last_sunday = last + dt.timedelta(days=7 - last.isoweekday())
    return first_monday, last_sunday


def build_calendar(start: dt.date, days: int) -> pa.Table:
    """One row per day of the whole weeks around the range (a few thousand at most)."""
    first, last = calendar_bounds(start, days)
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    iso = [d.isocalendar() for d in dates]
    quarter = [(d.month - 1) // 3 + 1 for d in dates]
    columns = {
        "cal_dt": pa.array(dates, type=pa.date32()),
        "cal_type_desc": ["Weekend" if i.weekday >= 6 else "Weekday" for i in iso],
        "day_of_wk_num": [i.weekday for i in iso],
        "day_of_wk_desc": [DAY_NAMES[i.weekday - 1] for i in iso],
        "yr_num": [i.year for i in iso],
        "wk_num": [i.week for i in iso],
        "yr_wk_num": [i.year * 100 + i.week for i in iso],
        "mnth_num": [d.month for d in dates],
        "yr_mnth_num": [d.year * 100 + d.month for d in dates],
        "qtr_num": quarter,
        "yr_qtr_num": [d.year * 10 + q for d, q in zip(dates, quarter, strict=True)],
    }
    return build_table("calendar", columns)
