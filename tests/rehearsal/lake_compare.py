"""Compare the curated zone of two lakes table by table, row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds


def read_table(folder: Path) -> pd.DataFrame:
    """Every Parquet file below ``folder`` with its hive partition columns, in a fixed order."""
    frame = ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pandas()
    columns = sorted(frame.columns)
    frame = frame[columns].astype(str)
    return frame.sort_values(columns).reset_index(drop=True)


def curated_differences(left: Path, right: Path) -> tuple[list[str], list[str]]:
    """(what differs, which tables were compared) between two lakes' ``curated/``."""
    names = sorted(
        {p.name for p in (left / "curated").iterdir() if p.is_dir()}
        | {p.name for p in (right / "curated").iterdir() if p.is_dir()}
    )
    problems = []
    for name in names:
        a, b = left / "curated" / name, right / "curated" / name
        if not a.is_dir() or not b.is_dir():
            problems.append(
                f"{name}: only in {'the local lake' if b.is_dir() else 'the rehearsal'}"
            )
            continue
        x, y = read_table(a), read_table(b)
        if list(x.columns) != list(y.columns):
            problems.append(f"{name}: columns {list(x.columns)} != {list(y.columns)}")
        elif not x.equals(y):
            merged = x.merge(y, how="outer", indicator=True)
            only = merged[merged["_merge"] != "both"]
            problems.append(f"{name}: {len(only)} rows differ, e.g.\n{only.head(6)}")
    return problems, names
