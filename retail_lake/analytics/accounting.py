"""Per-file accounting from the validate run reports, read through the storage port.

The reports live in ``_control/reports/<date>/validate.json`` of the lake, not in
the catalog, so they are read as files (local folder or S3 alike) rather than
queried: rows in = valid + quarantined is the check an operator looks for first.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from retail_lake.storage import LakeStorage


def run_accounting(storage: LakeStorage) -> pd.DataFrame:
    """Per-file accounting of every validate report found in the lake (see :meth:`Lake.run_accounting`)."""
    rows: list[dict[str, Any]] = []
    root = "_control/reports"
    for day in storage.list_dirs(root):
        rel = f"{root}/{day}/validate.json"
        if not storage.exists(rel):
            continue
        report = json.loads(storage.read_bytes(rel))
        for name, outcome in sorted(report.get("datasets", {}).items()):
            for source_file, counts in sorted(outcome.get("files", {}).items()):
                rows.append(
                    {
                        "business_date": report.get("business_date", day),
                        "dataset": name,
                        "source_file": source_file,
                        "rows_in": int(counts["rows_in"]),
                        "valid": int(counts["valid"]),
                        "quarantined": int(counts["quarantined"]),
                        "reasons": dict(counts.get("reasons", {})),
                    }
                )
    columns = [
        "business_date",
        "dataset",
        "source_file",
        "rows_in",
        "valid",
        "quarantined",
        "reasons",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["balanced"] = frame["rows_in"] == frame["valid"] + frame["quarantined"]
    return frame


def accounting_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Run-report totals per dataset, with the number of files whose counts do not add up."""
    if frame.empty:
        return pd.DataFrame(
            columns=["dataset", "files", "rows_in", "valid", "quarantined", "unbalanced_files"]
        )
    grouped = frame.groupby("dataset", as_index=False).agg(
        files=("source_file", "count"),
        rows_in=("rows_in", "sum"),
        valid=("valid", "sum"),
        quarantined=("quarantined", "sum"),
        unbalanced_files=("balanced", lambda b: int((~b).sum())),
    )
    return grouped
