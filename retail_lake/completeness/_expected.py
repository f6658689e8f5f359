"""Which files a business date needs, and which dataset/date a landed key belongs to.

Both directions come from the contracts and the lake layout, so a renamed landing
path changes the check, the parser and the pipeline together.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from retail_lake.contracts import RETAIL_TABLES, contracts
from retail_lake.storage import LakeStorage, layout

log = logging.getLogger(__name__)

STORE_SALES = "store_sales"

FILE_DATASETS: dict[str, tuple[str, ...]] = {
    "files": (*RETAIL_TABLES, STORE_SALES),
    "mysql": (STORE_SALES,),
}
"""Per ``source`` setting, the datasets that reach the lake as landing files.

The extract step reads the retail tables from the landing dumps (``files``) or over
JDBC (``mysql``); the franchise stores' files are ingested from landing/ under both
sources (``retail_lake.jobs.extract``), so they are always waited for.
"""


@dataclass(frozen=True)
class ExpectedFile:
    dataset: str
    key: str  # relative to the lake root


@dataclass(frozen=True)
class LandingKey:
    """What a landing key says about itself."""

    dataset: str
    business_date: dt.date
    store_num: int | None = None


def expected_files(
    business_date: dt.date, franchise_store_nums: Iterable[int], source: str = "files"
) -> list[ExpectedFile]:
    """The landing files a date needs before its run can start.

    ``files``: the five retail dumps plus one ``store_sales`` file per active
    franchise store; ``mysql``: only the franchise files, because the retail tables
    are read from the database by the run itself.
    """
    datasets = _file_datasets(source)
    out = [
        ExpectedFile(t, layout.landing_retail(business_date, t))
        for t in RETAIL_TABLES
        if t in datasets
    ]
    out += [
        ExpectedFile(STORE_SALES, layout.landing_store_sales(business_date, n))
        for n in sorted(set(franchise_store_nums))
    ]
    return out


def _file_datasets(source: str) -> tuple[str, ...]:
    try:
        return FILE_DATASETS[source]
    except KeyError:
        raise ValueError(f"source must be files or mysql, got {source!r}") from None


@cache
def _landing_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One regex per dated landing dataset, built from its contract ``landing_path``."""
    patterns = []
    for ds in contracts().by_zone("landing"):
        if not ds.landing_path or "{date}" not in ds.landing_path:
            continue  # e.g. orders: not tied to a business date
        regex = re.escape(ds.landing_path)
        regex = regex.replace(re.escape("{date}"), r"(?P<date>\d{4}-\d{2}-\d{2})")
        regex = regex.replace(re.escape("{store_num}"), r"(?P<store_num>\d+)")
        patterns.append((ds.name, re.compile(f"^{regex}$")))
    return tuple(patterns)


def parse_landing_key(rel_key: str) -> LandingKey | None:
    """``landing/retail/2024-03-04/sales.csv`` -> (sales, 2024-03-04); ``None`` if the
    key is not a dated landing file of any contract."""
    for name, pattern in _landing_patterns():
        match = pattern.match(rel_key)
        if match is None:
            continue
        try:
            day = dt.date.fromisoformat(match["date"])
        except ValueError:
            return None
        store = match.groupdict().get("store_num")
        return LandingKey(name, day, int(store) if store is not None else None)
    return None


def franchise_stores_from_store_csv(
    storage: LakeStorage, business_date: dt.date
) -> list[int] | None:
    """``store_num`` of the rows with ``frnchs_flg`` = 1 in that date's landed ``store.csv``;
    ``None`` when the file has not arrived (the franchise list is then unknown)."""
    rel = layout.landing_retail(business_date, "store")
    if not storage.exists(rel):
        return None
    text = storage.read_bytes(rel).decode("utf-8-sig")
    stores: set[int] = set()
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if (row.get("frnchs_flg") or "").strip() != "1":
            continue
        try:
            stores.add(int((row.get("store_num") or "").strip()))
        except ValueError:
            log.warning("%s line %d: franchise store without a valid store_num, skipped", rel, line)
    return sorted(stores)


def franchise_stores_from_validated(storage: LakeStorage) -> list[int] | None:
    """``store_num`` of the franchise stores in the lake's validated store dimension;
    ``None`` when the lake has none yet (no run has loaded a store dimension).

    With ``--source mysql`` no ``store.csv`` lands: the dimension is extracted by the
    run itself, so the check uses the latest one a previous run validated (one
    current table, each store as last restated).
    """
    import pyarrow.parquet as pq

    parts = [
        rel
        for rel in storage.list_files(layout.validated_dir("store"))
        if rel.endswith(".parquet") and not rel.rsplit("/", 1)[-1].startswith(("_", "."))
    ]
    if not parts:
        return None
    stores: set[int] = set()
    for rel in parts:
        table = pq.read_table(
            io.BytesIO(storage.read_bytes(rel)), columns=["store_num", "frnchs_flg"]
        )
        for row in table.to_pylist():
            if row["frnchs_flg"] and row["store_num"] is not None:  # a typed boolean
                stores.add(int(row["store_num"]))
    return sorted(stores)


def resolve_franchise_stores(
    storage: LakeStorage,
    business_date: dt.date,
    override: Sequence[int] | None = None,
    source: str = "files",
) -> list[int] | None:
    """The configured override list if any, else the store dimension: the date's
    landed ``store.csv`` (``files``) or the lake's validated one (``mysql``)."""
    if override:
        return sorted(set(int(n) for n in override))
    if "store" not in _file_datasets(source):  # the dimension does not land as a file
        return franchise_stores_from_validated(storage)
    return franchise_stores_from_store_csv(storage, business_date)
