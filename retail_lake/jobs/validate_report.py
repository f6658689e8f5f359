"""What validate reports per load: rows in, valid and quarantined per file, by reason.

The counts of a whole range of loads come from one aggregation
(:func:`account_files`); every file is checked there: rows in = valid +
quarantined, or the step fails with :class:`AccountingError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from retail_lake.contracts import RULE_ORDER
from retail_lake.jobs.validate_gates import GateResult
from retail_lake.transforms.rules import LOAD_DATE, REASON, SOURCE_FILE

_ROWS_IN = "__rows_in"


class AccountingError(RuntimeError):
    """Rows in != valid + quarantined for a file: something was lost or duplicated."""


@dataclass
class DatasetOutcome:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched_dates: list[str] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)
    """Every gate judged on this load, passed or breached."""
    halted: bool = False
    """A gate halted the load: its valid rows were not merged."""

    @property
    def totals(self) -> dict[str, int]:
        out = {"rows_in": 0, "valid": 0, "quarantined": 0}
        for counts in self.files.values():
            for key in out:
                out[key] += counts[key]
        return out

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for counts in self.files.values():
            for reason, n in counts["reasons"].items():
                out[reason] = out.get(reason, 0) + n
        return out


@dataclass
class ValidateReport:
    """One load's outcome, stored as ``_control/reports/business_date=<D>/validate.json``."""

    day: dt.date
    datasets: dict[str, DatasetOutcome] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "business_date": self.day.isoformat(),
            "datasets": {
                name: {
                    "files": o.files,
                    "totals": o.totals,
                    "reasons": o.reasons(),
                    "touched_dates": o.touched_dates,
                    "gates": [g.as_dict() for g in o.gates],
                    "halted": o.halted,
                }
                for name, o in self.datasets.items()
            },
        }


@dataclass
class ValidateRun:
    """The outcome of one validate step over a range of loads: one report per load."""

    reports: list[ValidateReport]

    @property
    def gate_results(self) -> list[GateResult]:
        return [g for r in self.reports for o in r.datasets.values() for g in o.gates]

    @property
    def breaches(self) -> list[GateResult]:
        return [g for g in self.gate_results if g.breached]

    def as_dict(self) -> dict[str, Any]:
        return {"loads": [r.as_dict() for r in self.reports]}


def _empty() -> dict[str, Any]:
    return {"rows_in": 0, "valid": 0, "quarantined": 0, "reasons": {}}


def account_files(checked: DataFrame, raw: DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """Per load and input file: rows in, valid, quarantined and a count per reason.

    Rows in are counted on ``raw`` and the outcomes on ``checked`` in one Spark job,
    so that a row lost or doubled between the two (a bad join) fails the step.
    """
    rows_in = raw.groupBy(LOAD_DATE, SOURCE_FILE).agg(F.count("*").alias("n"))
    outcomes = checked.groupBy(LOAD_DATE, SOURCE_FILE, REASON).agg(F.count("*").alias("n"))
    counts = outcomes.unionByName(rows_in.withColumn(REASON, F.lit(_ROWS_IN)))
    loads: dict[str, dict[str, dict[str, Any]]] = {}
    for row in counts.collect():
        entry = loads.setdefault(str(row[LOAD_DATE]), {}).setdefault(row[SOURCE_FILE], _empty())
        if row[REASON] == _ROWS_IN:
            entry["rows_in"] += row["n"]
        elif row[REASON] is None:
            entry["valid"] += row["n"]
        else:
            entry["quarantined"] += row["n"]
            entry["reasons"][row[REASON]] = row["n"]
    for files in loads.values():
        for name, entry in files.items():
            entry["reasons"] = {r: entry["reasons"][r] for r in RULE_ORDER if r in entry["reasons"]}
            if entry["rows_in"] != entry["valid"] + entry["quarantined"]:
                raise AccountingError(
                    f"{name}: {entry['rows_in']} rows in but {entry['valid']} valid + "
                    f"{entry['quarantined']} quarantined"
                )
    return loads
