"""The SQL the MySQL extract sends to MySQL/RDS, generated from the contracts only.

Table and column names must be contract names, dates must be ``datetime.date`` and
bounds ``int``, so no input reaches the database as SQL text. Reads are split into
disjoint predicates on an integer key column (bounds from one ``COUNT/MIN/MAX``
query over the window), which Spark runs in parallel.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

from retail_lake.contracts import RETAIL_TABLES, Dataset, dataset

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def source_table(name: str) -> Dataset:
    """The contract of a source table; anything else is refused before it reaches SQL."""
    if name not in RETAIL_TABLES:
        raise ValueError(f"{name!r} is not one of the source tables {', '.join(RETAIL_TABLES)}")
    return dataset(name)


def quote_identifier(name: str) -> str:
    """A backtick-quoted MySQL identifier; only plain contract-style names are accepted."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValueError(f"refusing to put {name!r} into SQL as an identifier")
    return f"`{name}`"


def sql_date(value: dt.date) -> str:
    """A ``'YYYY-MM-DD'`` literal; only real dates (not datetimes, not strings) pass."""
    if type(value) is not dt.date:
        raise TypeError(f"a SQL date must be a datetime.date, got {type(value).__name__}")
    return f"'{value.isoformat()}'"


def sql_int(value: int) -> str:
    """An integer literal; anything but a real ``int`` (a string, a float) is refused."""
    if type(value) is not int:
        raise TypeError(f"a SQL bound must be an int, got {type(value).__name__}")
    return str(value)


@dataclass(frozen=True)
class Window:
    """The business dates a fact extraction covers: ``(after, until]``; ``after=None``
    means from the beginning."""

    column: str
    after: dt.date | None
    until: dt.date

    def where(self) -> str:
        """The window as a ``WHERE`` condition on the table's business-date column."""
        col = quote_identifier(self.column)
        upper = f"{col} <= {sql_date(self.until)}"
        if self.after is None:
            return upper
        return f"{col} > {sql_date(self.after)} AND {upper}"

    def as_dict(self) -> dict[str, str | None]:
        """The window as the run report stores it (a rerun reads it back)."""
        return {
            "column": self.column,
            "after": self.after.isoformat() if self.after else None,
            "until": self.until.isoformat(),
        }


def split_column(ds: Dataset) -> str | None:
    """The integer key column to cut parallel reads on (``None``: read in one piece).

    For ``sales`` that is ``trans_id``; for ``inventory`` (key date, store, product)
    the first integer key column, ``store_key``.
    """
    for name in ds.key:
        if ds.column(name).type.name == "int":
            return name
    return None


@dataclass(frozen=True)
class Bounds:
    """Row count and range of the split column over a window, from :func:`bounds_query`."""

    rows: int
    low: int | None
    high: int | None


def bounds_query(ds: Dataset, where: str, split: str | None) -> str:
    """``COUNT/MIN/MAX`` of the split column over ``where``: one cheap query that
    tells how to cut the read into partitions."""
    table = quote_identifier(ds.name)
    if split is None:
        return f"SELECT COUNT(*) AS n, NULL AS lo, NULL AS hi FROM {table} WHERE {where}"
    col = quote_identifier(split)
    return f"SELECT COUNT(*) AS n, MIN({col}) AS lo, MAX({col}) AS hi FROM {table} WHERE {where}"


def predicates(where: str, split: str | None, bounds: Bounds, partitions: int) -> list[str]:
    """Disjoint predicates that together cover ``where`` exactly once.

    ``[low, high]`` of the split column is cut into equal integer ranges; the first
    range is open below (and takes NULLs), the last open above (and takes rows
    inserted after the bounds query), so no row is lost or read twice.
    """
    if split is None or bounds.rows == 0 or bounds.low is None or bounds.high is None:
        return [where]
    low, high = int(bounds.low), int(bounds.high)
    count = max(1, min(partitions, high - low + 1))
    if count == 1:
        return [where]
    step = -(-(high - low + 1) // count)  # ceiling division
    cuts = [low + i * step for i in range(1, count) if low + i * step <= high]
    col = quote_identifier(split)
    out = [f"({where}) AND ({col} < {sql_int(cuts[0])} OR {col} IS NULL)"]
    for lower, upper in itertools.pairwise(cuts):
        out.append(f"({where}) AND {col} >= {sql_int(lower)} AND {col} < {sql_int(upper)}")
    out.append(f"({where}) AND {col} >= {sql_int(cuts[-1])}")
    return out
