"""Extract: the five MySQL/RDS retail tables of a business date → ``raw/`` Parquet over JDBC.

The rows read on business date ``D`` are *load D*: they replace
``raw/retail/<table>/load_date=D/`` (staging + swap, so a rerun replaces and a
reader never sees half a partition) after going through the same
:func:`~retail_lake.jobs.ingest.as_raw` conversion as the CSV path, so raw looks the
same whichever way the lake was fed.

* **Dimensions** (calendar, store, product) are full snapshots.
* **Facts** are incremental: ``sales`` by ``trans_dt``, ``inventory`` by ``cal_dt``,
  over the window ``(watermark - lookback_days, D]``. Rows of earlier dates that
  arrived late in MySQL are therefore delivered again in load D; validation treats a
  key delivered again as a restatement, so nothing is counted twice downstream. The
  first run of a table (no watermark) extracts everything up to ``D``: nothing of it
  is in the lake yet, and a history that starts at ``D`` would silently lose it.
* The watermark is the business date a table is extracted through (``D``, not the
  largest date seen, which would stall on a day without rows). It is committed
  conditionally, and only after every table's partition was written; it never moves
  backwards, so rerunning an older date is safe.
* A rerun of ``D`` reads the same window as the first run of ``D`` (taken from that
  run's report), so an unchanged source gives an identical partition.

Reads are split into ``jdbc_partitions`` disjoint predicates on an integer key
column (bounds from one ``COUNT/MIN/MAX`` query over the window), which Spark runs
in parallel. All tables are read into Spark's cache before the first partition is
replaced: a database that fails mid-run leaves the lake and the watermarks as they
were. Connection failures are retried with backoff; a wrong password is not (it
cannot succeed, and repeated failed logins can get a client host blocked). Every
error names the table and the cause with the password scrubbed.

All SQL is generated from the contracts: table and column names must be contract
names, dates must be ``datetime.date`` and bounds ``int``, so no input reaches the
database as SQL text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from retail_lake.config import Settings
from retail_lake.contracts import RETAIL_TABLES, Dataset, dataset
from retail_lake.jobs import _io
from retail_lake.jobs.ingest import as_raw, write_raw
from retail_lake.source_db import SourceDatabase, resolve_source
from retail_lake.storage import LakeStorage, layout
from retail_lake.tracker import Tracker, open_tracker

log = logging.getLogger(__name__)
T = TypeVar("T")

STEP = "extract"
FETCH_SIZE = 10_000
"""Rows per round trip; with a positive fetch size the driver streams instead of
buffering a whole partition in executor memory."""
CONNECT_TIMEOUT_MS = 10_000
"""A blackholed host fails after 10 s per attempt instead of the OS default minutes."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


# -- errors and retries -------------------------------------------------------------


class ExtractError(RuntimeError):
    """Extraction of one table failed; the message names the table and the cause."""

    def __init__(self, table: str, cause: str, attempts: int, consequence: str) -> None:
        self.table, self.cause, self.attempts = table, cause, attempts
        tries = f"after {attempts} attempts" if attempts > 1 else "at the first attempt"
        super().__init__(f"extracting table {table!r} failed {tries}: {cause}; {consequence}")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff for transient connection failures."""

    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)


_AUTH = re.compile(r"(?i)access denied|authentication fail|\b28000\b")
_UNREACHABLE = re.compile(
    r"(?i)connection refused|connect timed out|could not connect|socket fail|"
    r"unknownhost|communications link failure|no route to host|connection reset|"
    r"lost connection|network is unreachable|\b08S01\b|\b08001\b"
)
_MISSING = re.compile(r"(?i)doesn't exist|unknown database|unknown column|\b42S02\b")


def _exception_chain(exc: BaseException) -> list[str]:
    """Messages of ``exc`` and, for Spark/Py4J errors, of the Java causes below it."""
    texts: list[str] = []
    java = getattr(exc, "java_exception", None)
    depth = 0
    while java is not None and depth < 12:
        try:
            texts.append(str(java.toString()))
            java = java.getCause()
        except Exception:  # the gateway is gone; keep what we have
            break
        depth += 1
    if not texts:
        texts.append(f"{type(exc).__name__}: {exc}")
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            texts.append(f"{type(cause).__name__}: {cause}")
    return texts


def describe_failure(exc: BaseException, source: SourceDatabase) -> tuple[str, bool]:
    """``(cause, transient)``: a short, password-free cause and whether a retry can help."""
    chain = [source.scrub(t) for t in _exception_chain(exc)]
    everything = "\n".join(chain)
    sql = [t for t in chain if "SQL" in t.split(":", 1)[0]]
    detail = (sql[-1] if sql else chain[-1]).splitlines()[0].strip()
    if len(detail) > 400:
        detail = detail[:400] + "..."
    if _AUTH.search(everything):
        return f"access denied for user {source.user!r} (wrong user or password): {detail}", False
    if _UNREACHABLE.search(everything):
        return f"database unreachable at {source.url}: {detail}", True
    if _MISSING.search(everything):
        return f"not found in the source database: {detail}", False
    return detail, False


def with_retries(
    table: str,
    action: Callable[[], T],
    source: SourceDatabase,
    policy: RetryPolicy,
    consequence: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``; retry transient failures, then raise :class:`ExtractError`.

    The original exception is not chained (``from None``): Java stack traces can
    echo connection strings, and the scrubbed cause already says what happened.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return action()
        except Exception as exc:
            cause, transient = describe_failure(exc, source)
            if not transient or attempt >= policy.attempts:
                raise ExtractError(table, cause, attempt, consequence) from None
            wait = policy.delay(attempt)
            log.warning(
                "extract %s: attempt %d/%d failed (%s); retrying in %.1fs",
                table,
                attempt,
                policy.attempts,
                cause,
                wait,
            )
            sleep(wait)


# -- safe SQL -----------------------------------------------------------------------


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
        col = quote_identifier(self.column)
        upper = f"{col} <= {sql_date(self.until)}"
        if self.after is None:
            return upper
        return f"{col} > {sql_date(self.after)} AND {upper}"

    def as_dict(self) -> dict[str, str | None]:
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
    rows: int
    low: int | None
    high: int | None


def bounds_query(ds: Dataset, where: str, split: str | None) -> str:
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


# -- windows and watermarks -----------------------------------------------------------


def parse_watermark(table: str, value: str | None) -> dt.date | None:
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


def _previous_after(previous: dict[str, Any] | None, name: str) -> tuple[bool, dt.date | None]:
    window = ((previous or {}).get("tables", {}).get(name) or {}).get("window")
    if not isinstance(window, dict) or "after" not in window:
        return False, None
    after = window["after"]
    return True, (dt.date.fromisoformat(after) if after else None)


# -- the report -----------------------------------------------------------------------


@dataclass
class TableExtract:
    """What happened to one table in this run."""

    name: str
    mode: str  # "snapshot" or "incremental"
    window: Window | None = None
    watermark_before: str | None = None
    watermark_after: str | None = None
    rows: int = 0
    partitions: int = 1
    split_column: str | None = None
    files: list[str] = field(default_factory=list)
    read_seconds: float = 0.0
    write_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "window": self.window.as_dict() if self.window else None,
            "watermark_before": self.watermark_before,
            "watermark_after": self.watermark_after,
            "rows": self.rows,
            "jdbc_partitions": self.partitions,
            "split_column": self.split_column,
            "files": self.files,
            "read_seconds": round(self.read_seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
        }


@dataclass
class ExtractReport:
    day: dt.date
    source: dict[str, str]
    settings: dict[str, object]
    started_at: dt.datetime
    tables: dict[str, TableExtract] = field(default_factory=dict)
    ended_at: dt.datetime | None = None

    @property
    def duration_seconds(self) -> float:
        end = self.ended_at or dt.datetime.now(dt.UTC)
        return (end - self.started_at).total_seconds()

    @property
    def rows(self) -> dict[str, int]:
        return {name: t.rows for name, t in self.tables.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_date": self.day.isoformat(),
            "source": self.source,
            "rows": self.rows,
            "rows_total": sum(self.rows.values()),
            "tables": {name: t.as_dict() for name, t in self.tables.items()},
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "settings": self.settings,
        }


# -- the job --------------------------------------------------------------------------


def _jdbc_query(spark: SparkSession, source: SourceDatabase, sql: str) -> list[Any]:
    """Run a small aggregate query through the same JDBC path as the reads."""
    frame = spark.read.jdbc(source.url, f"({sql}) AS q", properties=_properties(source))
    return frame.collect()


def _properties(source: SourceDatabase) -> dict[str, str]:
    return source.jdbc_properties(
        fetchsize=str(FETCH_SIZE),
        connectTimeout=str(CONNECT_TIMEOUT_MS),
        # TINYINT(1) flags as numbers, not booleans: a 2 must reach validation as a
        # bad_flag instead of being folded into "true" by the driver.
        tinyInt1isBit="false",
    )


def source_file_name(source: SourceDatabase, table: str) -> str:
    """Lineage for raw rows (``source_file``): the database and table, no credentials."""
    return f"{source.url.split('?', 1)[0]}#{table}"


def _register_files(
    tracker: Tracker, storage: LakeStorage, name: str, day: dt.date, now: dt.datetime
) -> list[str]:
    """Record the Parquet files of the new partition (MD5 = the S3 ETag of a single part)."""
    files = [
        rel
        for rel in storage.list_files(layout.raw_partition(name, day))
        if rel.endswith(".parquet") and not rel.rsplit("/", 1)[-1].startswith((".", "_"))
    ]
    for rel in files:
        data = storage.read_bytes(rel)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        tracker.record_file(name, day, rel, len(data), etag, now)
    return files


def run(
    spark: SparkSession,
    storage: LakeStorage,
    settings: Settings,
    day: dt.date,
    *,
    tracker: Tracker | None = None,
    source: SourceDatabase | None = None,
    retry: RetryPolicy | None = None,
    tables: Sequence[str] = RETAIL_TABLES,
) -> ExtractReport:
    """Extract load ``day`` of every source table into ``raw/`` (see the module docstring).

    ``tracker`` defaults to :func:`open_tracker` of ``settings``; ``source``
    overrides the connection resolved from ``settings``. Returns the run report, also written to
    ``_control/reports/<day>/extract.json``; the caller records it as the job run.
    """
    if type(day) is not dt.date:
        raise TypeError(f"the business date must be a datetime.date, got {type(day).__name__}")
    contracts_of = [source_table(name) for name in tables]
    retry = retry or RetryPolicy()
    tracker = tracker or open_tracker(settings)
    source = source or resolve_source(settings)
    report = ExtractReport(
        day, source.describe(), settings.redacted(), started_at=dt.datetime.now(dt.UTC)
    )
    previous = _io.read_json(storage, layout.report(day, STEP))
    untouched = "the watermark was not moved and no raw partition was written"

    # 1. Read every table into the cache: a failing database changes nothing.
    cached: dict[str, DataFrame] = {}
    try:
        for ds in contracts_of:
            outcome = TableExtract(ds.name, "incremental" if ds.business_date else "snapshot")
            if ds.business_date:
                mark = tracker.get_watermark(ds.name)
                outcome.watermark_before = outcome.watermark_after = mark
                outcome.window = fact_window(
                    ds,
                    day,
                    parse_watermark(ds.name, mark),
                    settings.lookback_days,
                    _previous_after(previous, ds.name),
                )
                where = outcome.window.where()
            else:
                where = "1 = 1"
            outcome.split_column = split_column(ds)
            started = time.monotonic()

            def read(ds: Dataset = ds, where: str = where, outcome: TableExtract = outcome):
                query = bounds_query(ds, where, outcome.split_column)
                (row,) = _jdbc_query(spark, source, query)
                bounds = Bounds(int(row["n"]), row["lo"], row["hi"])
                parts = predicates(where, outcome.split_column, bounds, settings.jdbc_partitions)
                frame = spark.read.jdbc(
                    source.url,
                    quote_identifier(ds.name),
                    predicates=parts,
                    properties=_properties(source),
                )
                raw = as_raw(frame, ds.name, source_file_name(source, ds.name))
                raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
                try:
                    return raw, raw.count(), len(parts)
                except BaseException:
                    raw.unpersist()
                    raise

            raw, outcome.rows, outcome.partitions = with_retries(
                ds.name, read, source, retry, untouched
            )
            cached[ds.name] = raw
            outcome.read_seconds = time.monotonic() - started
            report.tables[ds.name] = outcome
            log.info(
                "extract %s %s: %d rows in %d JDBC partitions (%s)",
                day,
                ds.name,
                outcome.rows,
                outcome.partitions,
                outcome.window.as_dict() if outcome.window else "snapshot",
            )

        # 2. Replace the raw partitions, each one atomically.
        written: list[str] = []
        for name, raw in cached.items():
            started = time.monotonic()
            consequence = (
                "the watermark was not moved; raw partitions already replaced: "
                f"{written or 'none'}; rerun the date"
            )
            with_retries(
                name,
                lambda raw=raw, name=name: write_raw(raw, storage, name, day),
                source,
                retry,
                consequence,
            )
            written.append(name)
            report.tables[name].write_seconds = time.monotonic() - started
    finally:
        for raw in cached.values():
            raw.unpersist()

    # 3. Register the files, then move the watermarks (never backwards).
    now = dt.datetime.now(dt.UTC)
    for name, outcome in report.tables.items():
        outcome.files = _register_files(tracker, storage, name, day, now)
    for name, outcome in report.tables.items():
        if outcome.mode != "incremental":
            continue
        before = parse_watermark(name, outcome.watermark_before)
        if before is None or day > before:
            tracker.commit_watermark(name, day.isoformat(), outcome.watermark_before)
            outcome.watermark_after = day.isoformat()

    report.ended_at = dt.datetime.now(dt.UTC)
    _io.write_json(storage, layout.report(day, STEP), report.as_dict())
    log.info("extract %s: %s rows in %.1fs", day, report.rows, report.duration_seconds)
    return report
