"""Validate: raw rows of a range of loads → typed ``validated/`` rows and ``quarantine/``.

One pass per dataset over every load of the range (dimensions first, so facts are
checked against the dimensions as they stood after their own load): apply the rule
table, write the rejects of all loads in one write to
``quarantine/<dataset>/load_date=<D>/``, merge the valid rows into
``validated/<dataset>/`` with restatement (a later load wins a key), and account for
every input file from one aggregation. The result equals validating the loads one
by one in date order; a one-date run is a range of one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_lake.contracts import Dataset, contracts, dataset
from retail_lake.jobs import _io
from retail_lake.jobs.extract_files import raw_schema
from retail_lake.jobs.validate_gates import GateHalt, judge_loads, volume_history
from retail_lake.jobs.validate_report import (
    DatasetOutcome,
    ValidateReport,
    ValidateRun,
    account_files,
)
from retail_lake.storage import LakeStorage, layout
from retail_lake.transforms.key_loss import key_loss_counts
from retail_lake.transforms.restate import merge_restated
from retail_lake.transforms.rules import (
    LOAD_DATE,
    SOURCE_FILE,
    reference_keys,
    rejected_rows,
    valid_rows,
    with_reject_reason,
)

log = logging.getLogger(__name__)


def validated_schema(ds: Dataset) -> T.StructType:
    """Typed contract columns plus lineage (``source_file``, ``load_date``)."""
    return T.StructType(
        [
            *ds.spark_schema().fields,
            T.StructField(SOURCE_FILE, T.StringType(), True),
            T.StructField(LOAD_DATE, T.DateType(), True),
        ]
    )


def _read_loads(
    spark: SparkSession, storage: LakeStorage, ds: Dataset, loads: Sequence[str]
) -> DataFrame:
    """The raw rows of the given loads, each with its ``load_date`` (from the partition)."""
    schema = T.StructType([*raw_schema(ds.name).fields, T.StructField(LOAD_DATE, T.DateType())])
    return _io.read_parquet(spark, storage, layout.raw_dir(ds.name), schema, (LOAD_DATE, loads))


class _Dimensions:
    """The reference keys facts are checked against, per dimension, for this run.

    A dimension validated in this run contributes its keys with the load they
    arrived in; one not delivered in the range contributes its stored keys. The
    keys are computed before the dimension's new table replaces the stored one.
    """

    def __init__(self, spark: SparkSession, storage: LakeStorage) -> None:
        self._spark, self._storage = spark, storage
        self._keys: dict[str, DataFrame] = {}

    def remember(self, name: str, keys: DataFrame) -> None:
        """``keys``: :func:`reference_keys` of the stored dimension and its merged loads."""
        self._keys[name] = keys.localCheckpoint(eager=True)

    def keys(self, name: str) -> DataFrame:
        if name not in self._keys:
            stored = _io.read_parquet(
                self._spark,
                self._storage,
                layout.validated_dir(name),
                validated_schema(dataset(name)),
            )
            self._keys[name] = reference_keys(name, stored)
        return self._keys[name]


def _touched_dates(
    stored: DataFrame, valid: DataFrame, ds: Dataset, loads: Sequence[str], previous: dict[str, Any]
) -> dict[str, list[str]]:
    """Per load: the business dates whose validated partitions it changes.

    Those are the dates it delivers; the dates where a key it delivers again was
    stored before (a restatement may move a row to another business date, and the
    old row must leave its partition); and the dates its previous run wrote, so
    that rows a rerun no longer delivers disappear downstream as well. Finding
    moved keys reads only the key and date columns of the stored partitions.
    """
    date = ds.business_date
    delivered = valid.select(LOAD_DATE, F.col(date).alias("__date"))
    moved = (
        stored.select(*ds.key, F.col(date).alias("__date"))
        .join(valid.select(LOAD_DATE, *ds.key), list(ds.key))
        .select(LOAD_DATE, "__date")
    )
    touched: dict[str, set[str]] = {load: set() for load in loads}
    for row in delivered.unionByName(moved).distinct().collect():
        touched[str(row[LOAD_DATE])].add(str(row["__date"]))
    for load in loads:
        before = (previous.get(load) or {}).get("datasets", {}).get(ds.name, {})
        touched[load].update(before.get("touched_dates", []))
    return {load: sorted(dates) for load, dates in touched.items()}


def _merge_into_validated(
    spark: SparkSession,
    storage: LakeStorage,
    ds: Dataset,
    valid: DataFrame,
    loads: Sequence[str],
    touched: Sequence[str],
    stored: DataFrame,
) -> None:
    """Apply the valid rows of ``loads`` (those the gates let through) to ``validated/``."""
    schema = validated_schema(ds)
    target = layout.validated_dir(ds.name)
    if ds.business_date is None:  # a dimension: one current table
        if not loads:
            return
        merged = merge_restated(stored, valid, ds.key, loads)
        _io.replace_dataset(merged.select(*schema.fieldNames()), storage, target)
        return
    if not touched:
        return
    existing = _io.read_parquet(spark, storage, target, schema, (ds.business_date, touched))
    merged = merge_restated(existing, valid, ds.key, loads)
    _io.replace_partitions(
        merged.select(*schema.fieldNames()), storage, target, ds.business_date, touched
    )


def _key_losses(
    ds: Dataset, known: DataFrame, valid: DataFrame, loads: Sequence[str]
) -> dict[str, tuple[int, int]]:
    limits = ds.gates.key_loss
    if ds.business_date is not None or (limits.warn_at is None and limits.halt_at is None):
        return {}
    counts = key_loss_counts(known, valid, ds.key[0], loads).collect()
    return {str(row[LOAD_DATE]): (row["had"], row["lost"]) for row in counts}


def validate_dataset(
    spark: SparkSession,
    storage: LakeStorage,
    ds: Dataset,
    days: Sequence[dt.date],
    previous: dict[str, Any],
    dimensions: _Dimensions,
    history: list[int],
) -> dict[str, DatasetOutcome]:
    """Validate every load of ``days`` that delivered ``ds``; the outcome per load.

    The gates are judged on each load before anything is merged: a load that halts
    still has its rejects written to ``quarantine/``, but its valid rows are left out
    of ``validated/`` (and of the keys facts are checked against).
    """
    loads = [d.isoformat() for d in days if storage.list_files(layout.raw_partition(ds.name, d))]
    for day in days:
        if day.isoformat() not in loads:  # nothing delivered: no rejects either
            storage.delete(layout.quarantine_partition(ds.name, day))
    if not loads:
        return {}
    _io.check_evolution(
        spark, storage, layout.validated_dir(ds.name), validated_schema(ds), ds.name
    )
    raw = _read_loads(spark, storage, ds, loads)
    references = {dim: dimensions.keys(dim) for _c, dim, _r in ds.reference_reasons()}
    checked = with_reject_reason(raw, ds, references).cache()
    try:
        counts = account_files(checked, raw)
        valid = valid_rows(checked, ds, F.col(LOAD_DATE))
        stored = _io.read_parquet(
            spark, storage, layout.validated_dir(ds.name), validated_schema(ds)
        )
        known = reference_keys(ds.name, stored, valid) if ds.business_date is None else None
        key_losses = _key_losses(ds, known, valid, loads) if known is not None else {}
        judged = judge_loads(
            ds, {load: counts.get(load, {}) for load in loads}, history, key_losses
        )
        halted = [load for load in loads if any(r.action == "halt" for r in judged[load])]
        outcomes = {
            load: DatasetOutcome(
                files=counts.get(load, {}), gates=judged[load], halted=load in halted
            )
            for load in loads
        }
        merged = [load for load in loads if load not in halted]
        if halted:
            valid = valid.filter(F.col(LOAD_DATE).isin(*merged) if merged else F.lit(False))
            if known is not None:
                known = reference_keys(ds.name, stored, valid)
        if known is not None:
            dimensions.remember(ds.name, known)
        touched: list[str] = []
        if ds.business_date and merged:
            for load, dates in _touched_dates(stored, valid, ds, merged, previous).items():
                outcomes[load].touched_dates = dates
                touched.extend(dates)
        _io.replace_partitions(
            rejected_rows(checked, ds),
            storage,
            layout.quarantine_dir(ds.name),
            LOAD_DATE,
            loads,
        )
        _merge_into_validated(spark, storage, ds, valid, merged, sorted(set(touched)), stored)
    finally:
        checked.unpersist()
    return outcomes


def run(spark: SparkSession, storage: LakeStorage, days: Sequence[dt.date]) -> ValidateRun:
    """Validate every dataset delivered for the loads ``days``; idempotent for a rerun.

    Raises :class:`GateHalt` after every dataset is validated and every report
    written when a gate halted a load; gates that only warn are in the result.
    """
    days = sorted(set(days))
    previous = {d.isoformat(): _io.read_json(storage, layout.report(d, "validate")) for d in days}
    reports = {d.isoformat(): ValidateReport(d) for d in days}
    dimensions = _Dimensions(spark, storage)
    earlier_reports: dict[str, dict[str, Any]] = {}
    for ds in contracts().validated():
        history = volume_history(storage, ds, days[0], earlier_reports)
        for load, outcome in validate_dataset(
            spark, storage, ds, days, previous, dimensions, history
        ).items():
            reports[load].datasets[ds.name] = outcome
            log.info("validate %s %s: %s %s", load, ds.name, outcome.totals, outcome.reasons())
    for report in reports.values():
        _io.write_json(storage, layout.report(report.day, "validate"), report.as_dict())
    result = ValidateRun(list(reports.values()))
    for breach in result.breaches:
        log.warning("quality gate: %s", breach.describe())
    if any(b.action == "halt" for b in result.breaches):
        raise GateHalt(result.breaches, result)
    return result
