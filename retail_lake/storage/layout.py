"""Relative paths of the lake layout (docs/design.md, Lake layout); the only place that spells them."""

from __future__ import annotations

import datetime as dt

from retail_lake.contracts import dataset

CONTROL = "_control"


def landing_retail(day: dt.date, table: str) -> str:
    return f"landing/retail/{day.isoformat()}/{table}.csv"


def landing_store_sales_dir(day: dt.date) -> str:
    return f"landing/store_sales/{day.isoformat()}"


def landing_store_sales(day: dt.date, store_num: int) -> str:
    return f"{landing_store_sales_dir(day)}/{store_num}.csv"


def landing_orders() -> str:
    return "landing/orders"


def raw_dir(name: str) -> str:
    path = dataset(name).raw_path
    if not path:
        raise ValueError(f"dataset {name!r} has no raw zone")
    return path


def raw_partition(name: str, day: dt.date) -> str:
    return f"{raw_dir(name)}/load_date={day.isoformat()}"


def validated_dir(name: str) -> str:
    return f"validated/{name}"


def quarantine_dir(name: str) -> str:
    return f"quarantine/{name}"


def quarantine_partition(name: str, day: dt.date) -> str:
    return f"{quarantine_dir(name)}/load_date={day.isoformat()}"


def curated_dir(name: str) -> str:
    path = dataset(name).curated_path
    if not path:
        raise ValueError(f"dataset {name!r} is not curated")
    return path


def order_changes_dir() -> str:
    return raw_dir("order_changes")


def staging_dir(run_id: str) -> str:
    return f"{CONTROL}/staging/{run_id}"


def reports_dir() -> str:
    return f"{CONTROL}/reports"


def report(day: dt.date, step: str) -> str:
    return f"{reports_dir()}/{day.isoformat()}/{step}.json"


def report_date(folder: str) -> dt.date | None:
    """The business date a folder under :func:`reports_dir` holds reports for; ``None``
    for a folder that is not named by a date (a stray ``2026-01-01-old``)."""
    try:
        return dt.date.fromisoformat(folder)
    except ValueError:
        return None


def lineage_dir(day: dt.date) -> str:
    """OpenLineage events emitted on ``day`` (UTC), one JSON object each: a writer never
    rewrites another's object, so concurrent writers cannot lose an event."""
    return f"{CONTROL}/lineage/{day.isoformat()}"


def validation_counts_dir() -> str:
    return f"{CONTROL}/validation_counts"


def validation_counts(day: dt.date) -> str:
    """Per-file validation counts of the load of ``day``, flattened from its validate report."""
    return f"{validation_counts_dir()}/{day.isoformat()}.jsonl"


def metrics(day: str, name: str) -> str:
    """Metric values about the loads of business date ``day`` (local metrics adapter)."""
    return f"{CONTROL}/metrics/{day}/{name}.jsonl"


def tracker_db() -> str:
    return f"{CONTROL}/tracker.sqlite"


def catalog_db() -> str:
    return f"{CONTROL}/catalog.duckdb"


def outbox_dir() -> str:
    return f"{CONTROL}/outbox"


def dead_letters() -> str:
    return f"{CONTROL}/dead_letters.jsonl"
