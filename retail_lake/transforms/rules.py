"""The validation rules (docs/design.md, Validation rules) as a small, data-driven table of Spark expressions.

Each row rule is one entry of :data:`ROW_RULES`: a reason and a function from the
dataset contract to a boolean Column ("this row breaks the rule"). Reference rules
come from the contract's ``references``; ``duplicate_key`` is the one rule that
looks at several rows and runs last. A row's ``reject_reason`` is the first rule it
broke in :data:`retail_lake.contracts.RULE_ORDER`. No Python UDFs: everything stays
in the JVM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from retail_lake.contracts import (
    DUPLICATE_KEY,
    ROW_RULE_REASONS,
    RULE_ORDER,
    ContractError,
    Dataset,
    dataset,
)
from retail_lake.transforms.parsing import parse_flag, parse_value

REASON = "reject_reason"
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
LOAD_DATE = "load_date"
MALFORMED = "_corrupt_record"
"""Set by the CSV reader when a line's field count does not match the header."""


def typed_name(column: str) -> str:
    return f"__typed_{column}"


def _known_name(column: str) -> str:
    return f"__known_{column}"


def _any(predicates: list[Column]) -> Column:
    result = F.lit(False)
    for predicate in predicates:
        result = result | F.coalesce(predicate, F.lit(False))
    return result


def _missing_required(ds: Dataset) -> Column:
    return _any([F.col(c).isNull() for c in ds.required])


NOT_UTF8 = "\ufffd"
"""What the UTF-8 CSV reader puts in place of bytes that are not UTF-8 (e.g. latin-1 'é')."""


def _bad_type(ds: Dataset) -> Column:
    checks = []
    for column in ds.columns:
        text = F.col(column.name)
        if column.name in ds.flags:
            checks.append(text.isNotNull() & parse_flag(text).isNull())
        elif column.type.name != "string":
            # The parsed value is already a column: reusing it halves the regex work.
            checks.append(text.isNotNull() & F.col(typed_name(column.name)).isNull())
        else:
            # Text that was not UTF-8 was replaced while reading: the value as
            # delivered is gone from the row, so it must not pass as valid text.
            checks.append(text.contains(NOT_UTF8))
    return _any(checks)


def _negative_value(ds: Dataset) -> Column:
    return _any([F.col(typed_name(c)) < 0 for c in ds.non_negative])


def _bad_flag(ds: Dataset) -> Column:
    return _any([~parse_flag(F.col(c)).isin(0, 1) for c in ds.flags])


@dataclass(frozen=True)
class RowRule:
    """One row-level rule: rows for which ``broken(contract)`` is true get ``reason``."""

    reason: str
    broken: Callable[[Dataset], Column]


_ROW_CHECKS: dict[str, Callable[[Dataset], Column]] = {
    "missing_required": _missing_required,
    "bad_type": _bad_type,
    "negative_value": _negative_value,
    "bad_flag": _bad_flag,
}
"""The check of each row-level reason, keyed by the contract's label."""


def row_rules(
    checks: Mapping[str, Callable[[Dataset], Column]], reasons: Sequence[str]
) -> tuple[RowRule, ...]:
    """The rules of ``checks`` in the order of ``reasons``; a reason without a check,
    or a check without a reason, is a :class:`ContractError` (at import)."""
    if set(checks) != set(reasons):
        raise ContractError(
            f"row rules {sorted(checks)} differ from the contracts' reasons {sorted(reasons)}"
        )
    return tuple(RowRule(reason, checks[reason]) for reason in reasons)


ROW_RULES: tuple[RowRule, ...] = row_rules(_ROW_CHECKS, ROW_RULE_REASONS)
"""The row rules in the contracts' order. Adding one is a reason in
``retail_lake.contracts.ROW_RULE_REASONS`` and its check in ``_ROW_CHECKS``; a
reason without a check, or a check without a reason, stops the import."""


ALWAYS_KNOWN = "0001-01-01"
"""The ``since`` of a key already in the stored dimension: known to every load."""


def reference_keys(dim: str, current: DataFrame, incoming: DataFrame | None = None) -> DataFrame:
    """Each key of a dimension with the first load from which facts may reference it.

    ``current`` is the stored dimension: its keys are known to every load.
    ``incoming`` holds the valid rows of loads being validated now (with their
    ``load_date``): a key they deliver is known from its load on, so that over a
    range of loads each fact is checked against the dimension as it stood after
    its own load, as if the loads had run one by one.
    """
    key = dataset(dim).key[0]
    known = current.select(
        F.col(key).alias("__ref_key"), F.lit(ALWAYS_KNOWN).cast("date").alias("__ref_since")
    )
    if incoming is not None:
        known = known.unionByName(
            incoming.select(F.col(key).alias("__ref_key"), F.col(LOAD_DATE).alias("__ref_since"))
        )
    return known.groupBy("__ref_key").agg(F.min("__ref_since").alias("__ref_since"))


def with_typed_columns(raw: DataFrame, ds: Dataset) -> DataFrame:
    """Add the parsed value of every contract column next to its delivered text."""
    return raw.select(
        "*",
        *[parse_value(F.col(c.name), c.type).alias(typed_name(c.name)) for c in ds.columns],
    )


def with_reject_reason(
    raw: DataFrame, ds: Dataset, references: Mapping[str, DataFrame] | None = None
) -> DataFrame:
    """Add ``reject_reason`` (NULL for a valid row) and the typed columns.

    ``raw`` has the contract columns as text plus ``source_file`` and ``source_row``
    (delivery order, used to find the "first" copy of a duplicate), and may hold the
    rows of several loads in ``load_date``: duplicates and references are then judged
    per load. ``references`` maps a dimension name to its :func:`reference_keys`.
    """
    references = references or {}
    checked = with_typed_columns(raw, ds)
    for column, dim, _reason in ds.reference_reasons():
        if dim not in references:
            raise ValueError(f"{ds.name}: reference dimension {dim!r} not provided")
        keys = references[dim].select(
            F.col("__ref_key").alias(f"__refkey_{column}"),
            F.col("__ref_since").alias(f"__refsince_{column}"),
            F.lit(True).alias(_known_name(column)),
        )
        matches = F.col(typed_name(column)) == F.col(f"__refkey_{column}")
        if LOAD_DATE in raw.columns:
            matches = matches & (F.col(f"__refsince_{column}") <= F.col(LOAD_DATE).cast("date"))
        checked = checked.join(F.broadcast(keys), matches, "left").drop(
            f"__refkey_{column}", f"__refsince_{column}"
        )

    broken: dict[str, Column] = {rule.reason: rule.broken(ds) for rule in ROW_RULES}
    for column, _dim, reason in ds.reference_reasons():
        broken[reason] = _any(
            [F.col(_known_name(column)).isNull()] + ([broken[reason]] if reason in broken else [])
        )
    ordered = [F.when(broken[r], F.lit(r)) for r in RULE_ORDER if r in broken]
    reason = F.coalesce(*ordered, F.lit(None).cast("string"))
    if MALFORMED in raw.columns:
        # A line that does not split into the header's fields has no trustworthy
        # values at all: it is a bad_type whatever its (misaligned) fields say.
        reason = F.when(F.col(MALFORMED).isNotNull(), F.lit("bad_type")).otherwise(reason)
    checked = checked.withColumn(REASON, reason)
    checked = checked.drop(*[_known_name(c) for c, _d, _r in ds.reference_reasons()])
    return _with_duplicate_key(checked, ds)


def _with_duplicate_key(checked: DataFrame, ds: Dataset) -> DataFrame:
    """The ``duplicate_key`` rule, among rows that passed every other rule.

    Copies are compared on their typed values: identical copies keep the first
    (in delivery order) and reject the rest; if any copy differs, all are rejected.
    """
    key = [F.col(typed_name(k)) for k in ds.key]
    whole_row = F.struct(*[F.col(typed_name(c)) for c in ds.column_names])
    passed = F.col(REASON).isNull()
    # Duplicates are judged within one load: a key delivered again by a later load
    # is a restatement, not a duplicate.
    same_load = [F.col(LOAD_DATE)] if LOAD_DATE in checked.columns else []
    in_order = Window.partitionBy(passed, *same_load, *key).orderBy(SOURCE_FILE, SOURCE_ROW)
    # The same ordering with the whole partition as its frame: one window spec for
    # every function, so Spark sorts the rows once instead of twice.
    by_key = in_order.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    copies = F.count(F.lit(1)).over(by_key)
    differ = ~F.min(whole_row).over(by_key).eqNullSafe(F.max(whole_row).over(by_key))
    position = F.row_number().over(in_order)
    duplicate = passed & (copies > 1) & (differ | (position > 1))
    return checked.withColumn(
        REASON, F.when(duplicate, F.lit(DUPLICATE_KEY)).otherwise(F.col(REASON))
    )


def valid_rows(checked: DataFrame, ds: Dataset, load_date: Column) -> DataFrame:
    """Typed valid rows with their lineage (``source_file``, ``load_date``)."""
    return checked.filter(F.col(REASON).isNull()).select(
        *[F.col(typed_name(c)).alias(c) for c in ds.column_names],
        F.col(SOURCE_FILE),
        load_date.alias(LOAD_DATE),
    )


def rejected_rows(checked: DataFrame, ds: Dataset) -> DataFrame:
    """Rejected rows exactly as delivered, with the reason, the file and (if known) the load."""
    load = [F.col(LOAD_DATE)] if LOAD_DATE in checked.columns else []
    return checked.filter(F.col(REASON).isNotNull()).select(
        *[F.col(c).cast("string") for c in ds.column_names],
        F.col(REASON),
        F.col(SOURCE_FILE),
        *load,
    )
