"""The ``validation_counts`` table: rows in, valid, quarantined and rejects per reason,
per load date, dataset and source file.

Rows in per file are known only to the validate step (the quarantine tables hold
the rejected rows, and ``validated/`` keeps just the latest row per key, so a
restated file's valid rows cannot be counted from it). The step records them in
``_control/reports/<D>/validate.json``; the catalog step flattens each such report
into one JSON line per file in ``_control/validation_counts/<D>.jsonl``, which the
catalog registers as the table ``validation_counts`` and the view
``v_data_quality_daily`` reads (docs/design.md, Views).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from retail_lake.contracts import RULE_ORDER
from retail_lake.storage import LakeStorage, layout

COUNTS = ("rows_in", "valid", "quarantined")
"""The per-file totals; the reasons follow in ``RULE_ORDER`` (table ``validation_counts``,
:func:`retail_lake.catalog.tables.validation_counts_table`)."""


def _breached(gates: list[dict[str, Any]], source_file: str) -> str:
    """``gate:action`` of each gate breached on this file or on its whole dataset."""
    hits = [
        f"{g['gate']}:{g['action']}"
        for g in gates
        if g.get("action") and (g.get("scope") == "dataset" or g.get("file") == source_file)
    ]
    return ", ".join(dict.fromkeys(hits))


def count_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per dataset and file of a validate report, every reason a column, with the
    gates breached on the file or its dataset and whether the dataset's load was halted."""
    day = report["business_date"]
    out = []
    for name, outcome in sorted(report.get("datasets", {}).items()):
        gates = outcome.get("gates", [])
        for source_file, counts in sorted(outcome.get("files", {}).items()):
            row: dict[str, Any] = {"load_date": day, "dataset": name, "source_file": source_file}
            row.update({key: int(counts.get(key, 0)) for key in COUNTS})
            reasons = counts.get("reasons", {})
            row.update({reason: int(reasons.get(reason, 0)) for reason in RULE_ORDER})
            row["gates_breached"] = _breached(gates, source_file)
            row["halted"] = bool(outcome.get("halted", False))
            out.append(row)
    return out


def _report_days(storage: LakeStorage) -> list[dt.date]:
    folders = storage.list_dirs(layout.reports_dir())
    days = [d for d in map(layout.report_date, folders) if d is not None]
    return [d for d in days if storage.exists(layout.report(d, "validate"))]


def write_validation_counts(
    storage: LakeStorage, days: Iterable[dt.date] | None = None
) -> list[dt.date]:
    """Flatten the validate reports of ``days`` (default: all) plus any report day whose
    counts file is missing; returns the days written."""
    reported = _report_days(storage)
    wanted = set(reported) if days is None else set(days) & set(reported)
    wanted |= {d for d in reported if not storage.exists(layout.validation_counts(d))}
    for day in sorted(wanted):
        report = json.loads(storage.read_bytes(layout.report(day, "validate")))
        lines = "".join(json.dumps(row, sort_keys=False) + "\n" for row in count_rows(report))
        storage.write_bytes(layout.validation_counts(day), lines.encode("utf-8"))
    return sorted(wanted)
