"""The generator manifest: what was written and what validation must quarantine.

``_control/generator_manifest.json`` lists, per written file, the rows in it, the
anomalies injected (kind -> count) and the rows that must end up in quarantine per
``reject_reason`` (a conflicting duplicate counts twice: the original and the copy).
Totals aggregate the same per dataset. Tests and the validation step compare
against it; it holds no timestamps, so a rerun with the same seed is byte-identical.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from retail_lake.storage.layout import CONTROL

MANIFEST_PATH = f"{CONTROL}/generator_manifest.json"


@dataclass
class FileEntry:
    """One written file (path relative to the lake root)."""

    dataset: str
    date: str
    rows: int
    injected: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)

    @property
    def valid_rows(self) -> int:
        return self.rows - sum(self.quarantined.values())


@dataclass
class DatasetTotals:
    files: int = 0
    rows: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)


@dataclass
class Manifest:
    parameters: dict[str, Any]
    contract_version: str
    calendar: dict[str, str]  # first and last cal_dt
    files: dict[str, FileEntry] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def add(self, path: str, entry: FileEntry) -> None:
        self.files[path] = entry

    @property
    def totals(self) -> dict[str, DatasetTotals]:
        out: dict[str, DatasetTotals] = {}
        for entry in self.files.values():
            tot = out.setdefault(entry.dataset, DatasetTotals())
            tot.files += 1
            tot.rows += entry.rows
            tot.injected = dict(Counter(tot.injected) + Counter(entry.injected))
            tot.quarantined = dict(Counter(tot.quarantined) + Counter(entry.quarantined))
        for tot in out.values():
            tot.injected = dict(sorted(tot.injected.items()))
            tot.quarantined = dict(sorted(tot.quarantined.items()))
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "contract_version": self.contract_version,
            "calendar": self.calendar,
            "stats": self.stats,
            "totals": {name: asdict(t) for name, t in self.totals.items()},
            "files": {path: asdict(e) for path, e in sorted(self.files.items())},
        }

    def write(self, lake_dir: Path) -> Path:
        from retail_lake.generator.writer import write_json

        path = Path(lake_dir) / MANIFEST_PATH
        write_json(self.to_dict(), path, indent=1)
        return path

    @classmethod
    def load(cls, lake_dir: Path) -> Manifest:
        doc = json.loads((Path(lake_dir) / MANIFEST_PATH).read_text("utf-8"))
        manifest = cls(doc["parameters"], doc["contract_version"], doc["calendar"])
        manifest.stats = doc.get("stats", {})
        for path, entry in doc["files"].items():
            manifest.files[path] = FileEntry(**entry)
        return manifest
