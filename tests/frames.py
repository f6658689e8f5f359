"""Test helpers: typed frames and landing CSVs built from the contracts, never retyped."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from retail_lake.contracts import dataset


def _typed(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if type_name == "decimal":
        return Decimal(str(value))
    if type_name == "double":
        return float(value)
    return value


def typed_frame(spark, name: str, rows: list[dict[str, Any]]):
    """A DataFrame with dataset ``name``'s typed contract schema; absent keys are NULL."""
    ds = dataset(name)
    data = [tuple(_typed(r.get(c.name), c.type.name) for c in ds.columns) for r in rows]
    return spark.createDataFrame(data, ds.spark_schema())


def csv_text(name: str, rows: list[dict[str, Any]], header: list[str] | None = None) -> str:
    """A landing CSV for dataset ``name``: contract header, empty field for NULL."""
    header = header or dataset(name).column_names
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in header])
    return out.getvalue()


def write_landing(lake: Path, rel: str, name: str, rows: list[dict[str, Any]]) -> Path:
    path = lake / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(name, rows), encoding="utf-8")
    return path


def calendar_rows(start: dt.date, weeks: int) -> list[dict[str, Any]]:
    """Sunday-to-Saturday weeks numbered from 1 in the year of their Saturday."""
    rows = []
    for i in range(weeks * 7):
        day = start + dt.timedelta(days=i)
        saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
        wk = (saturday.timetuple().tm_yday - 1) // 7 + 1
        rows.append(
            {
                "cal_dt": day.isoformat(),
                "cal_type_desc": "retail",
                "day_of_wk_num": (day.weekday() + 1) % 7 + 1,
                "day_of_wk_desc": day.strftime("%A"),
                "yr_num": saturday.year,
                "wk_num": wk,
                "yr_wk_num": saturday.year * 100 + wk,
                "mnth_num": day.month,
                "yr_mnth_num": day.year * 100 + day.month,
                "qtr_num": (day.month - 1) // 3 + 1,
                "yr_qtr_num": day.year * 10 + (day.month - 1) // 3 + 1,
            }
        )
    return rows
