"""The file half of the extract step: landing CSV files of a range of dates → ``raw/``.

The extract step (:mod:`retail_lake.jobs.extract`) fills ``raw/`` from two kinds of
source that end in the same raw layout: this module ingests the CSV files in
``landing/`` as delivered, :mod:`retail_lake.jobs.extract_mysql` reads MySQL/RDS.
Raw keeps every value as text so that validation, not the reader, decides what is
malformed. Its report is ``_control/reports/<D>/ingest.json``, next to the MySQL
half's ``extract.json``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_lake.contracts import RETAIL_TABLES, contracts, dataset
from retail_lake.jobs import _io
from retail_lake.jobs.errors import InputFileError
from retail_lake.storage import LakeStorage, layout
from retail_lake.transforms.rules import LOAD_DATE, MALFORMED, SOURCE_FILE, SOURCE_ROW

log = logging.getLogger(__name__)

FILE_ONLY_DATASETS = tuple(d.name for d in contracts().validated() if d.name not in RETAIL_TABLES)
"""Datasets that only ever arrive as landing files, whatever the retail tables' source."""


@dataclass
class IngestReport:
    day: dt.date
    files: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    rejected_files: dict[str, str] = field(default_factory=dict)
    """Franchise files that cannot be read as their dataset: file -> what is wrong and the fix."""

    def as_dict(self) -> dict[str, object]:
        return {
            "business_date": self.day.isoformat(),
            "files": self.files,
            "missing": self.missing,
            "rejected_files": self.rejected_files,
        }


@dataclass
class IngestRun:
    """The outcome of one ingest over a range of loads: one report per load."""

    reports: list[IngestReport]

    def as_dict(self) -> dict[str, object]:
        return {"loads": [r.as_dict() for r in self.reports]}


def raw_schema(name: str):
    """Raw zone schema: the contract's columns as text plus lineage columns."""
    schema = dataset(name).spark_schema(all_strings=True)
    return T.StructType(
        [
            *schema.fields,
            T.StructField(MALFORMED, T.StringType(), True),
            T.StructField(SOURCE_FILE, T.StringType(), True),
            T.StructField(SOURCE_ROW, T.LongType(), True),
        ]
    )


def as_raw(frame: DataFrame, name: str, source_file: str) -> DataFrame:
    """Turn typed rows (e.g. from JDBC) into the raw text layout; one path after reading.

    Dates become ``YYYY-MM-DD``, booleans ``0``/``1`` and decimals plain text, the
    exact form a CSV dump would carry.
    """
    columns = []
    for column in dataset(name).columns:
        value = F.col(column.name)
        if column.type.name == "bool":
            if isinstance(frame.schema[column.name].dataType, T.BooleanType):
                text = F.when(value, F.lit("1")).when(~value, F.lit("0"))
            else:  # TINYINT(1) read as a number: a 2 stays "2", a bad_flag for validation
                text = value.cast("bigint").cast("string")
        elif column.type.name == "date":
            text = F.date_format(value, "yyyy-MM-dd")
        else:
            text = value.cast("string")
        columns.append(text.alias(column.name))
    return frame.select(
        *columns,
        F.lit(None).cast("string").alias(MALFORMED),
        F.lit(source_file).alias(SOURCE_FILE),
        F.monotonically_increasing_id().alias(SOURCE_ROW),
    )


def write_raw(frame: DataFrame, storage: LakeStorage, name: str, day: dt.date) -> None:
    """Replace the raw partition ``load_date=day`` of ``name``."""
    _io.replace_partitions(
        frame.withColumn(LOAD_DATE, F.lit(day.isoformat())),
        storage,
        layout.raw_dir(name),
        LOAD_DATE,
        [day.isoformat()],
    )


def landing_files(storage: LakeStorage, day: dt.date) -> dict[str, list[str]]:
    """The landing files of a business date, per dataset."""
    files: dict[str, list[str]] = {}
    for table in RETAIL_TABLES:
        rel = layout.landing_retail(day, table)
        files[table] = [rel] if storage.exists(rel) else []
    files["store_sales"] = [
        f for f in storage.list_files(layout.landing_store_sales_dir(day)) if f.endswith(".csv")
    ]
    return files


PER_SENDER_FILES = frozenset({"store_sales"})
"""Datasets delivered as one file per independent sender (each franchise store).

A file of these that cannot be read at all (empty, not UTF-8, a header that is not
the contract's) is rejected on its own: it is listed with the fix in the ingest
report's ``rejected_files`` and logged as an error, and the other senders' files go
on. One store's broken upload must not hold back every other store's sales. A
retail table is one dump of the company's own database, so its broken file still
fails the step.
"""


def _accepted_headers(
    storage: LakeStorage, name: str, rels: list[str], report: IngestReport
) -> dict[str, list[str]]:
    """The header of each file of one load that can be read as ``name``."""
    ds = dataset(name)
    headers: dict[str, list[str]] = {}
    for rel in rels:
        try:
            header = _io.read_csv_header(storage, rel)
            _io.check_header(header, ds, rel)
            headers[rel] = header
        except InputFileError as exc:
            if name not in PER_SENDER_FILES:
                raise
            report.rejected_files[rel] = str(exc)
            log.error(
                "extract %s (files): file rejected, the other files go on: %s", report.day, exc
            )
    return headers


def _with_load_dates(spark: SparkSession, frame: DataFrame, loads: dict[str, str]) -> DataFrame:
    """Each row's ``load_date``: the load its file was delivered for.

    A row whose file cannot be matched fails the write instead of landing in a
    partition of no load.
    """
    files = spark.createDataFrame(list(loads.items()), f"{SOURCE_FILE} string, {LOAD_DATE} string")
    joined = frame.join(F.broadcast(files), SOURCE_FILE, "left")
    unmatched = F.concat(F.lit("extract could not tell the load of file "), F.col(SOURCE_FILE))
    return joined.withColumn(
        LOAD_DATE,
        F.when(F.col(LOAD_DATE).isNull(), F.raise_error(unmatched)).otherwise(F.col(LOAD_DATE)),
    )


def run(
    spark: SparkSession,
    storage: LakeStorage,
    days: Sequence[dt.date],
    datasets: Collection[str] | None = None,
) -> IngestRun:
    """Copy every landing file of the loads ``days`` into its raw partition (replacing it).

    All loads of a dataset are read and written in one pass. ``datasets`` limits the
    ingest, e.g. to the franchise files when the retail tables come from MySQL
    instead of CSV dumps.
    """
    reports = [IngestReport(day) for day in sorted(set(days))]
    headers: dict[str, dict[str, list[str]]] = {}
    loads: dict[str, dict[str, str]] = {}
    for report in reports:
        for name, rels in landing_files(storage, report.day).items():
            if datasets is not None and name not in datasets:
                continue
            if not rels:
                report.missing.append(name)
                log.info("extract %s (files): no %s file in landing", report.day, name)
                continue
            accepted = _accepted_headers(storage, name, rels, report)
            report.files[name] = [rel for rel in rels if rel in accepted]
            if not accepted:  # every file was rejected: this load delivered no rows
                storage.delete(layout.raw_partition(name, report.day))
                continue
            headers.setdefault(name, {}).update(accepted)
            loads.setdefault(name, {}).update(dict.fromkeys(accepted, report.day.isoformat()))
    for name, files in headers.items():
        frame = _io.read_landing_csvs(spark, storage, dataset(name), files)
        _io.replace_partitions(
            _with_load_dates(spark, frame, loads[name]),
            storage,
            layout.raw_dir(name),
            LOAD_DATE,
            sorted(set(loads[name].values())),
        )
    for report in reports:
        _io.write_json(storage, layout.report(report.day, "ingest"), report.as_dict())
    return IngestRun(reports)
