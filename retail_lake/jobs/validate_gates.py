"""Judging the quality gates of each load validate reads (docs/design.md, Quality gates).

The figures come from what validate computes anyway: the per-file counts of
:func:`~retail_lake.jobs.validate_report.account_files`, the rows of the dataset's
previous loads (from their validate reports) and, for a dimension, how many of its
keys a snapshot left out. Loads are judged in date order, so within a backfill a
load's volume is compared with the loads just before it, as on a nightly run.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from retail_lake.contracts import Dataset
from retail_lake.contracts._gates import Action
from retail_lake.jobs import _io
from retail_lake.storage import LakeStorage, layout

HISTORY_SCAN = 3
"""Reports read per wanted history load at most: a dataset absent from most recent
loads (a franchise file that rarely arrives) is not worth reading a year of reports."""

DATASET_WIDE = "*"
"""The ``file`` of a figure about all files of a dataset in a load."""


@dataclass(frozen=True)
class GateResult:
    """One gate judged on one load of a dataset (or one of its files)."""

    load: str
    dataset: str
    gate: str
    file: str
    figure: float
    detail: str
    action: Action | None = None
    threshold: float | None = None
    scope: str = "dataset"
    """``dataset``: a figure of the whole load of the dataset (its only file, or
    :data:`DATASET_WIDE`); ``file``: of one of several files."""

    @property
    def breached(self) -> bool:
        return self.action is not None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["figure"] = _json_number(self.figure)
        return out

    def describe(self) -> str:
        """One line for an alert or an error: dataset, load, file, figure and threshold."""
        where = "all its files" if self.file == DATASET_WIDE else self.file
        bound = f" >= {_shown(self.gate, self.threshold)}" if self.threshold is not None else ""
        return (
            f"{self.dataset} load {self.load} ({where}): {self.gate}"
            f" {_shown(self.gate, self.figure)}{bound} -> {self.action or 'passed'}; {self.detail}"
        )


def _json_number(value: float) -> float | str:
    return "inf" if math.isinf(value) else round(value, 6)


def _shown(gate: str, value: float) -> str:
    if math.isinf(value):
        return "inf"
    return f"{value:.1%}" if gate != "volume" else f"{value:.1f}x"


class GateHalt(RuntimeError):
    """Gates halted loads: they were not merged, and the step fails naming each breach."""

    def __init__(self, breaches: Sequence[GateResult], outcome: Any) -> None:
        self.breaches = list(breaches)
        self.outcome = outcome
        halted = [b for b in self.breaches if b.action == "halt"]
        lines = "; ".join(b.describe() for b in halted)
        super().__init__(
            f"{len(halted)} quality gate(s) halted: {lines}. Those loads were not merged;"
            " validated/ and curated/ keep their previous data, quarantine/ shows the rejects."
        )


def _judge(
    ds: Dataset,
    load: str,
    gate: str,
    file: str,
    figure: float,
    detail: str,
    scope: str = "dataset",
) -> GateResult:
    limits = ds.gates.limits(gate)
    action = limits.action(figure)
    threshold = limits.threshold(action) if action else None
    return GateResult(load, ds.name, gate, file, figure, detail, action, threshold, scope)


def _dataset_file(files: Mapping[str, Any]) -> str:
    """How a dataset-wide result names its file: the load's only file, or ``*``."""
    return next(iter(files)) if len(files) == 1 else DATASET_WIDE


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _quarantine_share(
    ds: Dataset, load: str, files: Mapping[str, Mapping[str, Any]]
) -> list[GateResult]:
    results = []
    if len(files) > 1:
        for name, counts in sorted(files.items()):
            figure = _share(counts["quarantined"], counts["rows_in"])
            detail = f"{counts['quarantined']} of {counts['rows_in']} rows quarantined"
            results.append(_judge(ds, load, "quarantine_share", name, figure, detail, "file"))
    quarantined = sum(c["quarantined"] for c in files.values())
    rows_in = sum(c["rows_in"] for c in files.values())
    detail = f"{quarantined} of {rows_in} rows quarantined"
    figure = _share(quarantined, rows_in)
    results.append(_judge(ds, load, "quarantine_share", _dataset_file(files), figure, detail))
    return results


def _volume(
    ds: Dataset, load: str, files: Mapping[str, Any], rows: int, history: Sequence[int]
) -> list[GateResult]:
    recent = list(history)[-ds.gates.volume_history :]
    if len(recent) < ds.gates.volume_min_history:
        return []
    median = statistics.median(recent)
    if median == 0:
        return []
    ratio = rows / median
    figure = math.inf if ratio == 0 else max(ratio, 1 / ratio)
    direction = "fewer" if ratio < 1 else "more"
    detail = (
        f"{rows} rows against a median of {median:g} over the last {len(recent)} loads"
        f" ({_shown('volume', figure)} {direction})"
    )
    return [_judge(ds, load, "volume", _dataset_file(files), figure, detail)]


def _key_loss(
    ds: Dataset, load: str, files: Mapping[str, Any], had: int, lost: int
) -> list[GateResult]:
    if not had:
        return []
    detail = f"{lost} of the {had} keys the dimension had are missing from this snapshot"
    return [_judge(ds, load, "key_loss", _dataset_file(files), _share(lost, had), detail)]


def judge_loads(
    ds: Dataset,
    counts: Mapping[str, Mapping[str, Mapping[str, Any]]],
    history: Sequence[int],
    key_losses: Mapping[str, tuple[int, int]],
) -> dict[str, list[GateResult]]:
    """Every gate of ``ds`` on each of its loads, in date order.

    ``counts`` are per load and file (``rows_in``, ``quarantined``); ``history``
    the rows of the dataset's earlier loads, oldest first; ``key_losses`` per load
    ``(had, lost)``. A load that halts is not part of the next loads' history.
    """
    judged: dict[str, list[GateResult]] = {}
    rows_seen = list(history)
    for load in sorted(counts):
        files = counts[load]
        rows = sum(c["rows_in"] for c in files.values())
        results = _quarantine_share(ds, load, files) + _volume(ds, load, files, rows, rows_seen)
        if load in key_losses:
            results += _key_loss(ds, load, files, *key_losses[load])
        judged[load] = results
        if not any(r.action == "halt" for r in results):
            rows_seen.append(rows)
    return judged


def _rows_in(entry: Mapping[str, Any]) -> int:
    """A report's rows in for one dataset: its totals, else the sum over its files."""
    totals = entry.get("totals") or {}
    if "rows_in" in totals:
        return int(totals["rows_in"])
    return sum(int(f.get("rows_in", 0)) for f in entry.get("files", {}).values())


def _report_dates(storage: LakeStorage) -> list[dt.date]:
    """The business dates with a reports folder, oldest first."""
    folders = storage.list_dirs(layout.reports_dir())
    return sorted(d for d in map(layout.report_date, folders) if d is not None)


def volume_history(
    storage: LakeStorage, ds: Dataset, before: dt.date, reports: Mapping[str, dict[str, Any]]
) -> list[int]:
    """Rows of the last loads of ``ds`` before ``before`` that were merged, oldest first.

    ``reports`` caches the validate reports already read (by business date), so a
    run reads each report at most once for all datasets.
    """
    wanted = ds.gates.volume_history
    found: list[int] = []
    earlier = [d for d in _report_dates(storage) if d < before]
    for date in reversed(earlier[-HISTORY_SCAN * wanted :]):
        day = date.isoformat()
        if day not in reports:
            reports[day] = _io.read_json(storage, layout.report(date, "validate")) or {}
        entry = reports[day].get("datasets", {}).get(ds.name)
        if entry and not entry.get("halted"):
            found.append(_rows_in(entry))
            if len(found) == wanted:
                break
    return list(reversed(found))
