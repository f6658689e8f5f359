"""Typed Arrow columns from numpy arrays, and atomic CSV/JSON writes in the landing format.

Amounts are generated as integer cents (exact, no float rounding) and turned into
``decimal128`` arrays by laying the int64 values out as 128-bit two's complement,
which is a zero-copy, vectorised conversion. The CSV writer then prints them with
exactly ``scale`` decimals, dates as ``YYYY-MM-DD``, booleans as ``0``/``1`` and
NULL as an empty field (docs/design.md, Lake layout).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from retail_lake.contracts import ColumnType, dataset

EPOCH = np.datetime64("1970-01-01", "D")


def decimal_array(units: np.ndarray, ctype: ColumnType, mask: np.ndarray | None = None) -> pa.Array:
    """``units`` are integers in units of 10**-scale (cents for scale 2)."""
    values = np.ascontiguousarray(units, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # sign extension into the high 64 bits
    validity = None if mask is None else pa.array(~mask).buffers()[1]
    return pa.Array.from_buffers(
        pa.decimal128(ctype.precision or 18, ctype.scale or 0),
        len(values),
        [validity, pa.py_buffer(words)],
        null_count=-1 if mask is not None else 0,
    )


def date_array(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``days`` as ``datetime64[D]`` (or days since the epoch)."""
    values = np.asarray(days)
    if values.dtype.kind != "M":
        values = EPOCH + values.astype("timedelta64[D]")
    return pa.array(values.astype("datetime64[D]"), type=pa.date32(), mask=mask)


def to_arrow(values: Any, ctype: ColumnType, mask: np.ndarray | None = None) -> pa.Array:
    """One column in the Arrow type that prints as the landing CSV expects."""
    if isinstance(values, pa.Array):
        return values
    if ctype.is_decimal:
        return decimal_array(values, ctype, mask)
    if ctype.name == "date":
        return date_array(values, mask)
    if ctype.name == "int":
        return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=mask)
    if ctype.name == "bool":
        return pa.array(np.asarray(values, dtype=np.int8), type=pa.int8(), mask=mask)
    if ctype.name == "double":
        return pa.array(np.asarray(values, dtype=np.float64), mask=mask)
    return pa.array(values, type=pa.string(), mask=mask)


def build_table(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """A table with exactly the contract's columns, in contract order.

    Column names come from the contract, never from the caller's dict order, so a
    typo or a missing column fails here instead of producing a wrong file.
    """
    contract = dataset(name)
    expected = contract.column_names
    if set(columns) != set(expected):
        missing = sorted(set(expected) - set(columns))
        extra = sorted(set(columns) - set(expected))
        raise ValueError(f"{name}: missing columns {missing}, unexpected {extra}")
    arrays = [to_arrow(columns[c.name], c.type) for c in contract.columns]
    return pa.Table.from_arrays(arrays, names=expected)


_CSV_OPTIONS = pa_csv.WriteOptions(
    include_header=True, delimiter=",", quoting_style="none", quoting_header="none"
)


def _atomic(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.tmp")


def write_csv(table: pa.Table, path: Path) -> None:
    """Write ``table`` as landing CSV; readers never see a half-written file.

    Generated text never contains commas, quotes or newlines, so no quoting is
    needed and an empty field always means NULL.
    """
    tmp = _atomic(path)
    pa_csv.write_csv(table, str(tmp), _CSV_OPTIONS)
    os.replace(tmp, path)


def write_json(document: Any, path: Path, indent: int | None = None) -> None:
    tmp = _atomic(path)
    tmp.write_text(
        json.dumps(document, indent=indent, ensure_ascii=False, default=_json_default) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, path)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class BackgroundWriter:
    """Writes CSV files on one worker thread while the caller builds the next day.

    Arrow's CSV writer releases the GIL, so on a 2-core machine formatting day N
    overlaps with drawing day N+1. At most ``max_pending`` tables wait in memory;
    the first write error is raised in the caller (on submit or on exit).
    """

    def __init__(self, max_pending: int = 4) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-writer")
        self._pending: list[Any] = []
        self._max = max_pending

    def submit(self, table: pa.Table, path: Path) -> None:
        while len(self._pending) >= self._max:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(write_csv, table, path))

    def wait(self) -> None:
        while self._pending:
            self._pending.pop(0).result()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
