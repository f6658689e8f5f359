"""Anomaly injection for fact files, with exact expectations for validation.

Each injected row breaks exactly one validation rule and none that comes before it
in :data:`RULE_ORDER`, so its expected ``reject_reason`` is known for sure:

* in-place kinds take a clean row and break one thing about it
  (``missing_required``, ``bad_type``, ``negative_value``, ``bad_flag``,
  ``unknown_date``, ``unknown_store``, ``unknown_product``);
* ``duplicate_exact`` appends an identical copy of a clean row: one row (the copy)
  is quarantined;
* ``duplicate_conflict`` appends a copy with the same key and one valid measure
  changed: both the original and the copy are quarantined (two rows).

Every anomaly uses its own distinct clean row, never one touched by another
anomaly, and replacement keys (unknown store/product keys, dates outside the
calendar) are fresh values, so no injected row collides with another row's key by
accident. Which kinds apply comes from the contract (references, flags, key).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_lake.contracts import RULE_ORDER, Dataset

DUPLICATE_EXACT = "duplicate_exact"
DUPLICATE_CONFLICT = "duplicate_conflict"
BAD_TOKENS = ("abc", "n/a", "12x", "1.2.3", "--")

REASON_OF_KIND = {DUPLICATE_EXACT: "duplicate_key", DUPLICATE_CONFLICT: "duplicate_key"}
QUARANTINED_ROWS = {DUPLICATE_CONFLICT: 2}  # the original and its conflicting copy


@dataclass(frozen=True)
class Context:
    """What injection needs to know about the dimensions of this run."""

    calendar_first: dt.date
    max_store_key: int
    max_prod_key: int


@dataclass
class Injection:
    table: pa.Table
    injected: dict[str, int] = field(default_factory=dict)  # kind -> anomalies
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> rows


def kinds_for(ds: Dataset) -> list[str]:
    """The anomaly kinds that apply to ``ds``, in rule order."""
    applies = {
        "missing_required": bool(ds.required),
        "bad_type": bool(_typed_columns(ds)),
        "negative_value": bool(ds.non_negative),
        "bad_flag": bool(_int_flags(ds)),
        **{reason: True for _, _, reason in ds.reference_reasons()},
    }
    kinds = [reason for reason in RULE_ORDER if applies.get(reason)]
    if ds.key:
        kinds += [DUPLICATE_EXACT, DUPLICATE_CONFLICT]
    return kinds


def reason_of(kind: str) -> str:
    return REASON_OF_KIND.get(kind, kind)


def _typed_columns(ds: Dataset) -> list[str]:
    # bool columns are left alone: whether "2" is a bad bool or a bad flag is moot
    return [
        c.name
        for c in ds.columns
        if c.type.name in ("int", "date") or c.type.is_decimal
        if c.name not in ds.flags
    ]


def _int_flags(ds: Dataset) -> list[str]:
    # an int-typed flag with value 2 parses fine (not bad_type) yet is not 0/1
    return [f for f in ds.flags if ds.column(f).type.name == "int"]


def _conflict_column(ds: Dataset) -> str:
    """A non-key, non-negative decimal measure: +1.00 keeps the copy fully valid."""
    candidates = [c for c in ds.non_negative if c not in ds.key and ds.column(c).type.is_decimal]
    return candidates[-1]


def inject(
    table: pa.Table, ds: Dataset, rate: float, rng: np.random.Generator, ctx: Context, offset: int
) -> Injection:
    """Break ``round(rate * rows)`` distinct clean rows of ``table``.

    Kinds are dealt round-robin starting at ``offset`` (the number already dealt in
    earlier files of this dataset), so that every kind shows up across a run even
    when each file only gets a few anomalies.
    """
    n = table.num_rows
    count = min(n, int(rate * n + 0.5)) if rate > 0 else 0
    if count == 0:
        return Injection(table)
    all_kinds = kinds_for(ds)
    kinds = [all_kinds[(offset + i) % len(all_kinds)] for i in range(count)]
    rows = rng.choice(n, size=count, replace=False)
    edits = _Edits(ds, ctx, rng)
    dup_sources: list[int] = []
    conflicts: list[bool] = []
    for kind, row in zip(kinds, rows.tolist(), strict=True):
        if kind in (DUPLICATE_EXACT, DUPLICATE_CONFLICT):
            dup_sources.append(row)
            conflicts.append(kind == DUPLICATE_CONFLICT)
        else:
            edits.add(kind, row, table)
    if dup_sources:
        copies = _modify(table.take(pa.array(dup_sources)), ds, np.array(conflicts))
        table = pa.concat_tables([table, copies])
    table = edits.apply(table)
    injected = Counter(kinds)
    quarantined: Counter[str] = Counter()
    for kind, number in injected.items():
        quarantined[reason_of(kind)] += number * QUARANTINED_ROWS.get(kind, 1)
    return Injection(table, dict(sorted(injected.items())), dict(sorted(quarantined.items())))


def _modify(copies: pa.Table, ds: Dataset, conflict: np.ndarray) -> pa.Table:
    """Change the conflict column of the copies flagged in ``conflict`` by +1.00."""
    if not conflict.any():
        return copies
    name = _conflict_column(ds)
    column = copies.column(name).combine_chunks()
    values = [(v or Decimal(0)) + 1 for v, c in zip(column.to_pylist(), conflict, strict=True) if c]
    changed = pc.replace_with_mask(column, pa.array(conflict), pa.array(values, column.type))
    return copies.set_column(copies.schema.get_field_index(name), name, changed)


class _Edits:
    """Per-column replacements: typed values (incl. NULL) first, then bad strings."""

    def __init__(self, ds: Dataset, ctx: Context, rng: np.random.Generator) -> None:
        self.ds, self.ctx, self.rng = ds, ctx, rng
        self.typed: dict[str, dict[int, Any]] = {}
        self.text: dict[str, dict[int, str]] = {}
        self._fresh = Counter[str]()

    def _pick(self, names: list[str]) -> str:
        return names[int(self.rng.integers(0, len(names)))]

    def _value(self, table: pa.Table, name: str, row: int) -> Any:
        return table.column(name)[row].as_py()

    def add(self, kind: str, row: int, table: pa.Table) -> None:
        ds = self.ds
        if kind == "missing_required":
            self.typed.setdefault(self._pick(list(ds.required)), {})[row] = None
        elif kind == "bad_type":
            self._bad_type(row, table)
        elif kind == "negative_value":
            present = [c for c in ds.non_negative if self._value(table, c, row) is not None]
            name = self._pick(present)
            value = self._value(table, name, row)
            step = Decimal("0.01") if isinstance(value, Decimal) else 1
            self.typed.setdefault(name, {})[row] = -(abs(value) + step)
        elif kind == "bad_flag":
            self.typed.setdefault(self._pick(_int_flags(ds)), {})[row] = int(
                self.rng.integers(2, 10)
            )
        else:
            column = next(col for col, _, reason in ds.reference_reasons() if reason == kind)
            self.typed.setdefault(column, {})[row] = self._unknown(kind)

    def _unknown(self, kind: str) -> Any:
        self._fresh[kind] += 1
        fresh = self._fresh[kind]
        if kind == "unknown_date":  # before the calendar's first day
            return self.ctx.calendar_first - dt.timedelta(days=29 + fresh)
        if kind == "unknown_store":
            return self.ctx.max_store_key + 1000 + fresh
        return self.ctx.max_prod_key + 1000 + fresh

    def _bad_type(self, row: int, table: pa.Table) -> None:
        ds = self.ds
        candidates = _typed_columns(ds)
        date_cols = [c for c in candidates if ds.column(c).type.name == "date"]
        # Half of them are a business date written DD-MM-YYYY.
        if ds.business_date and self.rng.random() < 0.5:
            name = ds.business_date
        else:
            name = self._pick(candidates)
        if name in date_cols:
            value = self._value(table, name, row) or self._value(table, ds.business_date, row)
            text = value.strftime("%d-%m-%Y")
        else:
            text = BAD_TOKENS[int(self.rng.integers(0, len(BAD_TOKENS)))]
        self.text.setdefault(name, {})[row] = text

    def apply(self, table: pa.Table) -> pa.Table:
        for name, changes in self.typed.items():
            table = _replace(table, name, changes, None)
        for name, changes in self.text.items():
            table = _replace(table, name, changes, pa.string())
        return table


def _replace(table: pa.Table, name: str, changes: dict[int, Any], cast: pa.DataType | None):
    index = table.schema.get_field_index(name)
    column = table.column(index).combine_chunks()
    if cast is not None and column.type != cast:
        column = pc.cast(column, cast)
    rows = sorted(changes)
    mask = np.zeros(len(column), dtype=bool)
    mask[rows] = True
    values = pa.array([changes[r] for r in rows], type=column.type)
    replaced = pc.replace_with_mask(column, pa.array(mask), values)
    return table.set_column(index, name, replaced)
