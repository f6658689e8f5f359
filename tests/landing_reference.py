"""An independent reading of landing CSVs and of the validation rules, for tests.

Nothing here imports generator code: tests compare what the generator *claims*
(its manifest, its MySQL load) with what this module derives from the files.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from retail_lake.contracts import ColumnType, dataset


def read_text_csv(path: Path) -> pd.DataFrame:
    """A landing CSV as delivered: all text, empty field -> None."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.where(frame != "", None)


# -- an independent implementation of the validation rules, for counting ----------

_INT = re.compile(r"^-?\d+$")
_DEC = re.compile(r"^-?(\d+)(?:\.(\d+))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parses(value: str, column_type: ColumnType) -> bool:
    type_name = column_type.name
    if type_name == "int":
        return bool(_INT.match(value))
    if type_name == "decimal":
        # exact at the column's scale: digits past the scale must all be zeros
        match = _DEC.match(value)
        if not match:
            return False
        whole, fraction = match.group(1), match.group(2) or ""
        scale = column_type.scale or 0
        fits = len(whole) <= (column_type.precision or 18) - scale
        return fits and not fraction[scale:].strip("0")
    if type_name == "bool":
        return value in ("0", "1")
    if type_name == "date":
        if not _DATE.match(value):
            return False
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return True


def expected_reasons(frame: pd.DataFrame, name: str, dims: dict[str, set[str]]) -> pd.Series:
    """The first broken rule per row (None = valid), computed from text values only."""
    ds = dataset(name)
    reason = pd.Series([None] * len(frame), index=frame.index, dtype=object)

    def mark(mask: pd.Series, why: str) -> None:
        reason[mask & reason.isna()] = why

    mark(frame[list(ds.required)].isna().any(axis=1), "missing_required")
    bad = pd.Series(False, index=frame.index)
    for col in ds.columns:
        values = frame[col.name]
        ok = values.isna() | values.map(lambda v, t=col.type: v is None or parses(v, t))
        bad |= ~ok
    mark(bad, "bad_type")
    neg = pd.Series(False, index=frame.index)
    for col in ds.non_negative:
        neg |= pd.to_numeric(frame[col], errors="coerce").lt(0)
    mark(neg, "negative_value")
    flag = pd.Series(False, index=frame.index)
    for col in ds.flags:
        flag |= frame[col].notna() & ~frame[col].isin(["0", "1"])
    mark(flag, "bad_flag")
    for col, dim, why in ds.reference_reasons():
        mark(frame[col].notna() & ~frame[col].isin(dims[dim]), why)
    alive = frame[reason.isna()]
    keys = list(ds.key)
    for _, group in alive.groupby(keys, dropna=False):
        if len(group) < 2:
            continue
        identical = len(group.drop_duplicates()) == 1
        rejected = group.index[1:] if identical else group.index
        reason[rejected] = "duplicate_key"
    return reason


def dimension_keys(day_dir: Path) -> dict[str, set[str]]:
    return {
        "calendar": set(read_text_csv(day_dir / "calendar.csv")["cal_dt"]),
        "store": set(read_text_csv(day_dir / "store.csv")["store_key"]),
        "product": set(read_text_csv(day_dir / "product.csv")["prod_key"]),
    }


def rows_mysql_can_hold(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    """What a typed, keyed table keeps of ``frames`` (in load order): rows whose values
    all parse and whose key is complete, first row per key."""
    ds = dataset(name)
    frame = pd.concat(frames, ignore_index=True)
    ok = frame[list(ds.key)].notna().all(axis=1)
    for col in ds.columns:
        ok &= frame[col.name].map(lambda v, t=col.type: v is None or parses(v, t))
    return frame[ok].drop_duplicates(list(ds.key), keep="first").reset_index(drop=True)
