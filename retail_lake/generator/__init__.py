"""Synthetic retail data for the landing zone, the benchmarks and the source database.

``generate`` writes the five retail tables, the franchise-store files and the order
batches of the landing zone for a date range, deterministically for a seed, with optional
anomalies and a manifest of what validation must quarantine; ``load_mysql`` puts the
retail tables into MySQL/MariaDB with the contract's types, keys and indexes.
"""

from __future__ import annotations

from retail_lake.generator.core import generate
from retail_lake.generator.manifest import MANIFEST_PATH, DatasetTotals, FileEntry, Manifest
from retail_lake.generator.mysql import load_mysql, parse_mysql_url

__all__ = [
    "MANIFEST_PATH",
    "DatasetTotals",
    "FileEntry",
    "Manifest",
    "generate",
    "load_mysql",
    "parse_mysql_url",
]
