"""Business dates: parsing and ranges, shared by the local runner, the job entry and the CLI.

It lives on its own (not in :mod:`retail_lake.runner.local`) so that the job bodies in
:mod:`retail_lake.jobs` can expand ``business_date``..``end_date`` without importing
the local runner, which itself imports the jobs.
"""

from __future__ import annotations

import datetime as dt


def date_range(start: dt.date, end: dt.date | None = None) -> list[dt.date]:
    """Every date from ``start`` to ``end`` inclusive (``end`` defaults to ``start``).

    A reversed range is an error rather than an empty list: a run over no dates
    would succeed silently and leave the operator believing the dates were loaded.
    """
    end = end or start
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def parse_date(text: str, what: str = "date") -> dt.date:
    """``text`` as a ``YYYY-MM-DD`` date; otherwise a ``ValueError`` naming ``what``.

    Each caller turns the error into its own kind (a usage error on the command
    line, a configuration error in a job) without rewording it.
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} must be YYYY-MM-DD, got {text!r}") from None
