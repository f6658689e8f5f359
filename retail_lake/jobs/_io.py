"""Spark reads and writes against the lake storage port, with atomic partition swaps.

Every write goes to a staging folder first and then replaces its target partitions
one by one (a rename locally, copy-then-delete on S3), so a reader never sees a
half-written partition and a rerun replaces instead of appending.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_lake.contracts import Dataset
from retail_lake.jobs.errors import InputFileError
from retail_lake.storage import LakeStorage, layout
from retail_lake.transforms.rules import SOURCE_FILE, SOURCE_ROW

CORRUPT = "_corrupt_record"


def read_csv_header(storage: LakeStorage, rel: str) -> list[str]:
    """The header of a landing CSV, with a UTF-8 byte-order mark and CR stripped."""
    head = storage.read_head(rel)
    if not head.strip():
        raise InputFileError(f"{rel}: the file is empty; deliver it again with a header row")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(
            f"{rel}: the header is not UTF-8 text; re-export the file as UTF-8"
        ) from None
    return next(csv.reader(io.StringIO(text)))


def check_header(header: Sequence[str], ds: Dataset, rel: str) -> None:
    """The header must name the contract's columns (any order), and nothing else.

    A column the contract added later (``since``) may be absent: files produced
    before the change still load, with NULL in the new column.
    """
    missing = [c.name for c in ds.columns if c.name not in header and not c.since]
    extra = [c for c in header if c not in ds.column_names]
    if missing or extra or len(set(header)) != len(header):
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"columns not in the '{ds.name}' contract {extra}")
        if len(set(header)) != len(header):
            parts.append("repeated column names")
        raise InputFileError(
            f"{rel}: header does not match the '{ds.name}' contract ({'; '.join(parts)}); "
            f"expected {','.join(ds.column_names)}"
        )


def read_landing_csvs(
    spark: SparkSession, storage: LakeStorage, ds: Dataset, files: dict[str, list[str]]
) -> DataFrame:
    """Landing CSVs as delivered: contract columns as text, plus lineage columns.

    ``files`` maps each file to its header (already checked against the contract).
    Files with the same header are read by one Spark read however many loads they
    span, so a long backfill costs one scan plan, not one per file. Rows whose field
    count does not match the header keep their raw line in ``_corrupt_record`` so
    that validation can reject them instead of guessing.
    """
    groups: dict[tuple[tuple[str, ...], int], list[str]] = {}
    for rel, header in files.items():
        groups.setdefault((tuple(header), rel.count("/") + 1), []).append(rel)
    frames = [
        _read_same_header(spark, storage, ds, list(header), depth, rels)
        for (header, depth), rels in sorted(groups.items())
    ]
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return frame


def _read_same_header(
    spark: SparkSession,
    storage: LakeStorage,
    ds: Dataset,
    header: list[str],
    depth: int,
    rels: list[str],
) -> DataFrame:
    schema = T.StructType(
        [T.StructField(name, T.StringType(), True) for name in header]
        + [T.StructField(CORRUPT, T.StringType(), True)]
    )
    frame = (
        spark.read.schema(schema)
        .options(
            header=True,
            multiLine=True,
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=CORRUPT,
            escape='"',
            encoding="UTF-8",
        )
        .csv([storage.uri(rel) for rel in sorted(rels)])
    )
    # Spark reports each row's file as a URL-encoded absolute path; its last
    # ``depth`` segments, decoded, are the file's path in the lake (a literal '+'
    # is protected first: url_decode would read it as a space).
    decoded = F.expr("url_decode(regexp_replace(_metadata.file_path, '[+]', '%2B'))")
    in_lake = F.concat_ws("/", F.slice(F.split(decoded, "/"), -depth, depth))
    return frame.select(
        *[
            F.col(c) if c in header else F.lit(None).cast("string").alias(c)
            for c in ds.column_names
        ],
        CORRUPT,
        in_lake.alias(SOURCE_FILE),
        F.monotonically_increasing_id().alias(SOURCE_ROW),
    )


class SchemaEvolutionError(ValueError):
    """Stored data has a column the contract removed or retyped."""


def check_evolution(
    spark: SparkSession, storage: LakeStorage, rel_dir: str, expected: T.StructType, name: str
) -> None:
    """Fail clearly when ``rel_dir`` holds a column the contract no longer has, or
    has with another type. Columns the contract added are fine (they read as NULL).

    One file's footer is enough: every write replaces whole partitions with the
    contract's schema, so files in a folder never disagree with each other.
    """
    files = [f for f in storage.list_files(rel_dir) if f.endswith(".parquet")]
    if not files:
        return
    stored = spark.read.parquet(storage.uri(files[-1])).schema
    wanted = {f.name: f.dataType for f in expected.fields}
    for field in stored.fields:
        if field.name not in wanted:
            raise SchemaEvolutionError(
                f"dataset {name!r}: column {field.name!r} is stored in {rel_dir} but no longer in "
                "the contract; removing a column needs a migration of the stored data"
            )
        if field.dataType != wanted[field.name]:
            raise SchemaEvolutionError(
                f"dataset {name!r}: column {field.name!r} is stored as "
                f"{field.dataType.simpleString()} but the contract says "
                f"{wanted[field.name].simpleString()}; retyping needs a migration"
            )


def read_parquet(
    spark: SparkSession,
    storage: LakeStorage,
    rel_dir: str,
    schema: T.StructType,
    partition: tuple[str, Iterable[str]] | None = None,
) -> DataFrame:
    """Read a dataset folder, or only the listed partitions of it; empty if absent.

    Listing the wanted partitions explicitly keeps the cost of a daily run flat as
    history grows: Spark never lists or reads the partitions it does not need.
    """
    if partition is None:
        paths = [rel_dir] if storage.list_files(rel_dir) else []
    else:
        column, values = partition
        paths = [f"{rel_dir}/{column}={v}" for v in sorted(set(values))]
        paths = [p for p in paths if storage.list_files(p)]
    if not paths:
        return spark.createDataFrame([], schema)
    return (
        spark.read.schema(schema)
        .option("basePath", storage.uri(rel_dir))
        .parquet(*[storage.uri(p) for p in paths])
    )


def replace_partitions(
    frame: DataFrame,
    storage: LakeStorage,
    rel_dir: str,
    column: str,
    values: Iterable[str],
) -> None:
    """Replace exactly the partitions ``column=value`` of ``values`` with ``frame``'s rows.

    A listed partition that gets no rows is removed; partitions not listed are not
    touched. ``frame`` may read the partitions it replaces: it is fully written to
    staging before anything is swapped.
    """
    staged = layout.staging_dir(uuid.uuid4().hex)
    try:
        frame.write.mode("overwrite").partitionBy(column).parquet(storage.uri(staged))
        for value in sorted(set(values)):
            source = f"{staged}/{column}={value}"
            target = f"{rel_dir}/{column}={value}"
            if storage.list_files(source):
                storage.replace_dir(source, target)
            else:
                storage.delete(target)
    finally:
        storage.delete(staged)


def replace_dataset(frame: DataFrame, storage: LakeStorage, rel_dir: str) -> None:
    """Replace a whole unpartitioned dataset folder with ``frame``."""
    staged = layout.staging_dir(uuid.uuid4().hex)
    try:
        frame.write.mode("overwrite").parquet(storage.uri(staged))
        storage.replace_dir(staged, rel_dir)
    finally:
        storage.delete(staged)


def write_json(storage: LakeStorage, rel: str, document: dict[str, Any]) -> None:
    storage.write_bytes(rel, json.dumps(document, indent=2, sort_keys=True, default=str).encode())


def read_json(storage: LakeStorage, rel: str) -> dict[str, Any] | None:
    if not storage.exists(rel):
        return None
    return json.loads(storage.read_bytes(rel))
