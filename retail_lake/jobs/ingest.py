"""Ingest: landing CSV files of a business date → ``raw/`` Parquet, as delivered.

Both sources end in the same raw layout: this job for CSV dumps in ``landing/``,
the extraction job for MySQL/RDS. Raw keeps every value as text so that
validation, not the reader, decides what is malformed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail_lake.contracts import RETAIL_TABLES, dataset
from retail_lake.jobs import _io
from retail_lake.storage import LakeStorage, layout
from retail_lake.transforms.rules import MALFORMED, SOURCE_FILE, SOURCE_ROW

log = logging.getLogger(__name__)

RAW_EXTRA_COLUMNS = (MALFORMED, SOURCE_FILE, SOURCE_ROW)


@dataclass
class IngestReport:
    day: dt.date
    files: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"business_date": self.day.isoformat(), "files": self.files, "missing": self.missing}


def raw_schema(name: str):
    """Raw zone schema: the contract's columns as text plus lineage columns."""
    from pyspark.sql import types as T

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
            text = F.when(value.cast("boolean"), F.lit("1")).when(
                ~value.cast("boolean"), F.lit("0")
            )
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
        frame.withColumn("load_date", F.lit(day.isoformat())),
        storage,
        layout.raw_dir(name),
        "load_date",
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


def run(spark: SparkSession, storage: LakeStorage, day: dt.date) -> IngestReport:
    """Copy every landing file of ``day`` into its raw partition (replacing it)."""
    report = IngestReport(day)
    for name, rels in landing_files(storage, day).items():
        if not rels:
            report.missing.append(name)
            log.info("ingest %s: no %s file in landing", day, name)
            continue
        ds = dataset(name)
        frames = [_io.read_landing_csv(spark, storage, rel, ds) for rel in rels]
        frame = frames[0]
        for other in frames[1:]:
            frame = frame.unionByName(other)
        write_raw(frame, storage, name, day)
        report.files[name] = rels
    _io.write_json(storage, layout.report(day, "ingest"), report.as_dict())
    return report
