"""The MySQL extract's run report (``_control/reports/<D>/extract.json``).

It records, per table, the window read, the watermark before and after, the rows
and files written and the timings: the operator's answer to "what did last night's
extraction take", and the input a rerun of the same date reads its window from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from retail_lake.jobs.extract_mysql_sql import Window


@dataclass
class TableExtract:
    """What happened to one table in this run."""

    name: str
    mode: str  # "snapshot" or "incremental"
    window: Window | None = None
    watermark_before: str | None = None
    watermark_after: str | None = None
    rows: int = 0
    partitions: int = 1
    split_column: str | None = None
    files: list[str] = field(default_factory=list)
    read_seconds: float = 0.0
    write_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The table's entry in the JSON report."""
        return {
            "mode": self.mode,
            "window": self.window.as_dict() if self.window else None,
            "watermark_before": self.watermark_before,
            "watermark_after": self.watermark_after,
            "rows": self.rows,
            "jdbc_partitions": self.partitions,
            "split_column": self.split_column,
            "files": self.files,
            "read_seconds": round(self.read_seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
        }


@dataclass
class ExtractReport:
    """The whole run: the business date, the (password-free) source and settings, tables."""

    day: dt.date
    source: dict[str, str]
    settings: dict[str, object]
    started_at: dt.datetime
    tables: dict[str, TableExtract] = field(default_factory=dict)
    ended_at: dt.datetime | None = None

    @property
    def duration_seconds(self) -> float:
        """Seconds from start to end (to now while the run is still going)."""
        end = self.ended_at or dt.datetime.now(dt.UTC)
        return (end - self.started_at).total_seconds()

    @property
    def rows(self) -> dict[str, int]:
        """Rows extracted per table."""
        return {name: t.rows for name, t in self.tables.items()}

    def as_dict(self) -> dict[str, Any]:
        """The JSON report, as written to the lake and recorded as the job run."""
        return {
            "business_date": self.day.isoformat(),
            "source": self.source,
            "rows": self.rows,
            "rows_total": sum(self.rows.values()),
            "tables": {name: t.as_dict() for name, t in self.tables.items()},
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "settings": self.settings,
        }
