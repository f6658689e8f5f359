"""The MySQL half of the extract step: the five retail tables of a business date → ``raw/`` Parquet over JDBC.

The rows read on business date ``D`` are *load D*: they replace
``raw/retail/<table>/load_date=D/`` (staging + swap, so a rerun replaces and a
reader never sees half a partition) after going through the same
:func:`~retail_lake.jobs.extract_files.as_raw` conversion as the CSV path, so raw looks the
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

This module holds the JDBC calls and runs the steps of :func:`run` in order (read
all tables, write the partitions, register the files, commit the watermarks, write
the report). The rules each step applies live in modules of their own, testable
without a database: :mod:`~retail_lake.jobs.extract_mysql_sql` (the generated SQL),
:mod:`~retail_lake.jobs.extract_mysql_windows` (watermarks and windows),
:mod:`~retail_lake.jobs.extract_mysql_retry` (failures and retries) and
:mod:`~retail_lake.jobs.extract_mysql_report` (the run report). Their public names are
re-exported here, so callers need only this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from retail_lake.config import Settings
from retail_lake.contracts import RETAIL_TABLES, Dataset
from retail_lake.jobs import _io
from retail_lake.jobs.extract_files import as_raw, write_raw
from retail_lake.jobs.extract_mysql_report import ExtractReport, TableExtract
from retail_lake.jobs.extract_mysql_retry import (
    ExtractError,
    RetryPolicy,
    describe_failure,
    with_retries,
)
from retail_lake.jobs.extract_mysql_sql import (
    Bounds,
    Window,
    bounds_query,
    predicates,
    quote_identifier,
    source_table,
    split_column,
    sql_date,
    sql_int,
)
from retail_lake.jobs.extract_mysql_windows import fact_window, parse_watermark, previous_after
from retail_lake.source_db import SourceDatabase
from retail_lake.storage import LakeStorage, layout
from retail_lake.tracker import Tracker

__all__ = [
    "CONNECT_TIMEOUT_MS",
    "FETCH_SIZE",
    "STEP",
    "Bounds",
    "ExtractError",
    "ExtractReport",
    "RetryPolicy",
    "TableExtract",
    "Window",
    "bounds_query",
    "describe_failure",
    "fact_window",
    "parse_watermark",
    "predicates",
    "quote_identifier",
    "run",
    "source_file_name",
    "source_table",
    "split_column",
    "sql_date",
    "sql_int",
    "with_retries",
]

log = logging.getLogger(__name__)

STEP = "extract"
FETCH_SIZE = 10_000
"""Rows per round trip; with a positive fetch size the driver streams instead of
buffering a whole partition in executor memory."""
CONNECT_TIMEOUT_MS = 10_000
"""A blackholed host fails after 10 s per attempt instead of the OS default minutes."""

_UNTOUCHED = "the watermark was not moved and no raw partition was written"


# -- JDBC ------------------------------------------------------------------------------


def _jdbc_query(spark: SparkSession, source: SourceDatabase, sql: str) -> list[Any]:
    """Run a small aggregate query through the same JDBC path as the reads."""
    frame = spark.read.jdbc(source.url, f"({sql}) AS q", properties=_properties(source))
    return frame.collect()


def _properties(source: SourceDatabase) -> dict[str, str]:
    """Connection properties of every JDBC call (credentials come from ``source``)."""
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


# -- the steps of a run ------------------------------------------------------------------


@dataclass(frozen=True)
class _Extraction:
    """What every step of one run works with, resolved once in :func:`run`."""

    spark: SparkSession
    storage: LakeStorage
    settings: Settings
    day: dt.date
    tracker: Tracker
    source: SourceDatabase
    retry: RetryPolicy


def _plan_table(
    job: _Extraction, ds: Dataset, previous: dict[str, Any] | None
) -> tuple[TableExtract, str]:
    """The report entry of one table and the ``WHERE`` condition to read it with.

    Dimensions are read whole; facts over their window, from the watermark.
    """
    outcome = TableExtract(ds.name, "incremental" if ds.business_date else "snapshot")
    if ds.business_date:
        mark = job.tracker.get_watermark(ds.name)
        outcome.watermark_before = outcome.watermark_after = mark
        outcome.window = fact_window(
            ds,
            job.day,
            parse_watermark(ds.name, mark),
            job.settings.lookback_days,
            previous_after(previous, ds.name),
        )
        where = outcome.window.where()
    else:
        where = "1 = 1"
    outcome.split_column = split_column(ds)
    return outcome, where


def _read_cached(
    job: _Extraction, ds: Dataset, where: str, split: str | None
) -> tuple[DataFrame, int, int]:
    """One attempt at reading a table into Spark's cache: ``(raw, rows, partitions)``.

    Counting forces the read, so a database failure surfaces here (and is retried)
    rather than during the write, after other partitions were already replaced.
    """
    (row,) = _jdbc_query(job.spark, job.source, bounds_query(ds, where, split))
    bounds = Bounds(int(row["n"]), row["lo"], row["hi"])
    parts = predicates(where, split, bounds, job.settings.jdbc_partitions)
    frame = job.spark.read.jdbc(
        job.source.url,
        quote_identifier(ds.name),
        predicates=parts,
        properties=_properties(job.source),
    )
    raw = as_raw(frame, ds.name, source_file_name(job.source, ds.name))
    raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return raw, raw.count(), len(parts)
    except BaseException:
        raw.unpersist()
        raise


def _read_all_tables(
    job: _Extraction,
    tables: Sequence[Dataset],
    previous: dict[str, Any] | None,
    report: ExtractReport,
    cached: dict[str, DataFrame],
) -> None:
    """Step 1: read every table into the cache (``cached``), so that a database that
    fails mid-run changes nothing in the lake or the tracker."""
    for ds in tables:
        outcome, where = _plan_table(job, ds, previous)
        started = time.monotonic()
        read = partial(_read_cached, job, ds, where, outcome.split_column)
        raw, outcome.rows, outcome.partitions = with_retries(
            ds.name, read, job.source, job.retry, _UNTOUCHED
        )
        cached[ds.name] = raw
        outcome.read_seconds = time.monotonic() - started
        report.tables[ds.name] = outcome
        log.info(
            "extract %s %s: %d rows in %d JDBC partitions (%s)",
            job.day,
            ds.name,
            outcome.rows,
            outcome.partitions,
            outcome.window.as_dict() if outcome.window else "snapshot",
        )


def _write_partitions(
    job: _Extraction, cached: dict[str, DataFrame], report: ExtractReport
) -> None:
    """Step 2: replace each table's raw partition of the day, each one atomically.

    A failure names the partitions already replaced: the watermarks have not moved,
    so rerunning the date rewrites them all from the same windows.
    """
    written: list[str] = []
    for name, raw in cached.items():
        started = time.monotonic()
        consequence = (
            "the watermark was not moved; raw partitions already replaced: "
            f"{written or 'none'}; rerun the date"
        )
        write = partial(write_raw, raw, job.storage, name, job.day)
        with_retries(name, write, job.source, job.retry, consequence)
        written.append(name)
        report.tables[name].write_seconds = time.monotonic() - started


def _register_written_files(job: _Extraction, report: ExtractReport) -> None:
    """Step 3: record the files of every new partition in the tracker (lineage, ETags)."""
    now = dt.datetime.now(dt.UTC)
    for name, outcome in report.tables.items():
        outcome.files = _register_files(job.tracker, job.storage, name, job.day, now)


def _commit_watermarks(job: _Extraction, report: ExtractReport) -> None:
    """Step 4: move each fact table's watermark to the day, only after every write,
    conditionally and never backwards (rerunning an older date is safe)."""
    for name, outcome in report.tables.items():
        if outcome.mode != "incremental":
            continue
        before = parse_watermark(name, outcome.watermark_before)
        if before is None or job.day > before:
            job.tracker.commit_watermark(name, job.day.isoformat(), outcome.watermark_before)
            outcome.watermark_after = job.day.isoformat()


def _write_report(job: _Extraction, report: ExtractReport) -> ExtractReport:
    """Step 5: close and write the report; a rerun of the day reads its windows back."""
    report.ended_at = dt.datetime.now(dt.UTC)
    _io.write_json(job.storage, layout.report(job.day, STEP), report.as_dict())
    log.info("extract %s: %s rows in %.1fs", job.day, report.rows, report.duration_seconds)
    return report


# -- the job --------------------------------------------------------------------------


def run(
    spark: SparkSession,
    storage: LakeStorage,
    settings: Settings,
    day: dt.date,
    *,
    tracker: Tracker,
    source: SourceDatabase,
    retry: RetryPolicy | None = None,
    tables: Sequence[str] = RETAIL_TABLES,
) -> ExtractReport:
    """Extract load ``day`` of every source table into ``raw/`` (see the module docstring).

    ``tracker`` keeps the watermarks and the file records, ``source`` is the database
    to read; both come from whoever runs the step (the composition root,
    :mod:`retail_lake.runtime.adapters`), so this body opens no client. Returns the
    run report, also written to ``_control/reports/<day>/extract.json``; the caller
    records it as the job run.
    """
    if type(day) is not dt.date:
        raise TypeError(f"the business date must be a datetime.date, got {type(day).__name__}")
    contracts_of = [source_table(name) for name in tables]
    job = _Extraction(
        spark,
        storage,
        settings,
        day,
        tracker,
        source,
        retry or RetryPolicy(),
    )
    report = ExtractReport(
        day, job.source.describe(), settings.redacted(), started_at=dt.datetime.now(dt.UTC)
    )
    previous = _io.read_json(storage, layout.report(day, STEP))

    cached: dict[str, DataFrame] = {}
    try:
        _read_all_tables(job, contracts_of, previous, report, cached)
        _write_partitions(job, cached, report)
    finally:
        for raw in cached.values():
            raw.unpersist()
    _register_written_files(job, report)
    _commit_watermarks(job, report)
    return _write_report(job, report)
