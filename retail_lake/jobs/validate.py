"""Validate: raw rows of a load → typed ``validated/`` rows and ``quarantine/`` rejects.

Per dataset (dimensions first, so facts are checked against today's dimensions):
apply the rule table, write rejects to ``quarantine/<dataset>/load_date=<D>/``,
merge valid rows into ``validated/<dataset>/`` with restatement, and account for
every input file: rows in = valid + quarantined, or the step fails.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_lake.contracts import RULE_ORDER, Dataset, dataset
from retail_lake.jobs import _io
from retail_lake.jobs.ingest import raw_schema
from retail_lake.storage import LakeStorage, layout
from retail_lake.transforms.restate import merge_restated
from retail_lake.transforms.rules import (
    LOAD_DATE,
    REASON,
    SOURCE_FILE,
    reference_keys,
    rejected_rows,
    valid_rows,
    with_reject_reason,
)

log = logging.getLogger(__name__)

VALIDATION_ORDER: tuple[str, ...] = (
    "calendar",
    "store",
    "product",
    "sales",
    "inventory",
    "store_sales",
)


class AccountingError(RuntimeError):
    """Rows in != valid + quarantined for a file: something was lost or duplicated."""


def validated_schema(ds: Dataset) -> T.StructType:
    """Typed contract columns plus lineage (``source_file``, ``load_date``)."""
    return T.StructType(
        [
            *ds.spark_schema().fields,
            T.StructField(SOURCE_FILE, T.StringType(), True),
            T.StructField(LOAD_DATE, T.DateType(), True),
        ]
    )


def quarantine_schema(ds: Dataset) -> T.StructType:
    return T.StructType(
        [
            *ds.spark_schema(all_strings=True).fields,
            T.StructField(REASON, T.StringType(), True),
            T.StructField(SOURCE_FILE, T.StringType(), True),
        ]
    )


@dataclass
class DatasetOutcome:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched_dates: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        out = {"rows_in": 0, "valid": 0, "quarantined": 0}
        for counts in self.files.values():
            for key in out:
                out[key] += counts[key]
        return out

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for counts in self.files.values():
            for reason, n in counts["reasons"].items():
                out[reason] = out.get(reason, 0) + n
        return out


@dataclass
class ValidateReport:
    day: dt.date
    datasets: dict[str, DatasetOutcome] = field(default_factory=dict)

    def touched(self, name: str) -> list[str]:
        outcome = self.datasets.get(name)
        return outcome.touched_dates if outcome else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_date": self.day.isoformat(),
            "datasets": {
                name: {
                    "files": o.files,
                    "totals": o.totals,
                    "reasons": o.reasons(),
                    "touched_dates": o.touched_dates,
                }
                for name, o in self.datasets.items()
            },
        }


def _account(checked: DataFrame, raw: DataFrame) -> dict[str, dict[str, Any]]:
    """Per input file: rows in, valid, quarantined and a count per reason; checked."""
    rows_in = {
        r[SOURCE_FILE]: r["n"]
        for r in raw.groupBy(SOURCE_FILE).agg(F.count("*").alias("n")).collect()
    }
    files: dict[str, dict[str, Any]] = {
        f: {"rows_in": n, "valid": 0, "quarantined": 0, "reasons": {}} for f, n in rows_in.items()
    }
    for row in checked.groupBy(SOURCE_FILE, REASON).agg(F.count("*").alias("n")).collect():
        entry = files.setdefault(
            row[SOURCE_FILE], {"rows_in": 0, "valid": 0, "quarantined": 0, "reasons": {}}
        )
        if row[REASON] is None:
            entry["valid"] += row["n"]
        else:
            entry["quarantined"] += row["n"]
            entry["reasons"][row[REASON]] = row["n"]
    for name, entry in files.items():
        entry["reasons"] = {r: entry["reasons"][r] for r in RULE_ORDER if r in entry["reasons"]}
        if entry["rows_in"] != entry["valid"] + entry["quarantined"]:
            raise AccountingError(
                f"{name}: {entry['rows_in']} rows in but {entry['valid']} valid + "
                f"{entry['quarantined']} quarantined"
            )
    return files


def _references(spark: SparkSession, storage: LakeStorage, ds: Dataset) -> dict[str, DataFrame]:
    refs = {}
    for _column, dim, _reason in ds.reference_reasons():
        dim_ds = dataset(dim)
        current = _io.read_parquet(
            spark, storage, layout.validated_dir(dim), validated_schema(dim_ds)
        )
        refs[dim] = reference_keys(dim, current)
    return refs


def _merge_into_validated(
    spark: SparkSession,
    storage: LakeStorage,
    ds: Dataset,
    valid: DataFrame,
    day: dt.date,
    touched: list[str],
) -> None:
    schema = validated_schema(ds)
    target = layout.validated_dir(ds.name)
    if ds.business_date is None:  # a dimension: one current table
        existing = _io.read_parquet(spark, storage, target, schema)
        merged = merge_restated(existing, valid, ds.key, day.isoformat())
        _io.replace_dataset(merged.select(*schema.fieldNames()), storage, target)
        return
    if not touched:
        return
    existing = _io.read_parquet(spark, storage, target, schema, (ds.business_date, touched))
    merged = merge_restated(existing, valid, ds.key, day.isoformat())
    _io.replace_partitions(
        merged.select(*schema.fieldNames()), storage, target, ds.business_date, touched
    )


def validate_dataset(
    spark: SparkSession,
    storage: LakeStorage,
    ds: Dataset,
    day: dt.date,
    previous: dict[str, Any] | None,
) -> DatasetOutcome | None:
    raw_rel = layout.raw_partition(ds.name, day)
    if not storage.list_files(raw_rel):
        storage.delete(layout.quarantine_partition(ds.name, day))
        return None
    _io.check_evolution(
        spark, storage, layout.validated_dir(ds.name), validated_schema(ds), ds.name
    )
    raw = _io.read_parquet(spark, storage, raw_rel, raw_schema(ds.name))
    checked = with_reject_reason(raw, ds, _references(spark, storage, ds)).cache()
    try:
        outcome = DatasetOutcome(files=_account(checked, raw))
        valid = valid_rows(checked, ds, F.lit(day.isoformat()).cast("date"))
        if ds.business_date:
            # A rerun also touches what the previous run of this load wrote, so that
            # rows it no longer delivers disappear downstream as well.
            before = (previous or {}).get("datasets", {}).get(ds.name, {}).get("touched_dates", [])
            delivered = {str(r[0]) for r in valid.select(ds.business_date).distinct().collect()}
            outcome.touched_dates = sorted(delivered | set(before))
        _io.replace_partitions(
            rejected_rows(checked, ds).withColumn("load_date", F.lit(day.isoformat())),
            storage,
            layout.quarantine_dir(ds.name),
            "load_date",
            [day.isoformat()],
        )
        _merge_into_validated(spark, storage, ds, valid, day, outcome.touched_dates)
    finally:
        checked.unpersist()
    return outcome


def run(spark: SparkSession, storage: LakeStorage, day: dt.date) -> ValidateReport:
    """Validate every dataset delivered for ``day``; idempotent for a rerun of ``day``."""
    report_rel = layout.report(day, "validate")
    previous = _io.read_json(storage, report_rel)
    report = ValidateReport(day)
    for name in VALIDATION_ORDER:
        outcome = validate_dataset(spark, storage, dataset(name), day, previous)
        if outcome is not None:
            report.datasets[name] = outcome
            log.info("validate %s %s: %s %s", day, name, outcome.totals, outcome.reasons())
    _io.write_json(storage, report_rel, report.as_dict())
    return report
