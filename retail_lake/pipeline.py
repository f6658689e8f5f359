"""The local runner: the daily workflow for a range of business dates, in one process.

For each business date in order it ingests what is in ``landing/`` (or extracts
from MySQL with ``--source mysql``) and validates it; then it aggregates the weeks
those loads touched, each week once, and refreshes the catalog and views. Any
failure stops the run with a :class:`StepError` naming the step, the date and the
cause.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from retail_lake.config import Settings
from retail_lake.jobs.errors import StepError
from retail_lake.storage import LakeStorage, open_storage

log = logging.getLogger(__name__)


def date_range(start: dt.date, end: dt.date | None = None) -> list[dt.date]:
    end = end or start
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass
class RunResult:
    days: list[dt.date]
    steps: list[tuple[str, str, Any]] = field(default_factory=list)


def _step(result: RunResult, name: str, day: str, action: Callable[[], Any]) -> Any:
    log.info("%s %s: start", name, day)
    try:
        outcome = action()
    except StepError:
        raise
    except Exception as exc:
        raise StepError(name, day, f"{type(exc).__name__}: {exc}") from exc
    result.steps.append((name, day, outcome))
    return outcome


def run_pipeline(
    settings: Settings,
    start: dt.date,
    end: dt.date | None = None,
    spark=None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ingest → validate for each date, then aggregate → catalog for the range."""
    from retail_lake.jobs import aggregate, ingest, validate
    from retail_lake.runtime import build_spark

    days = date_range(start, end)
    storage: LakeStorage = open_storage(settings.lake)
    spark = spark or build_spark(settings)
    result = RunResult(days)
    for day in days:
        if settings.source == "mysql":
            from retail_lake.jobs import extract

            _step(
                result,
                "extract",
                day.isoformat(),
                lambda d=day: extract.run(spark, storage, settings, d),
            )
        else:
            _step(result, "ingest", day.isoformat(), lambda d=day: ingest.run(spark, storage, d))
        _step(result, "validate", day.isoformat(), lambda d=day: validate.run(spark, storage, d))
        if progress:
            progress(day.isoformat())
    label = days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]}"
    _step(result, "aggregate", label, lambda: aggregate.run(spark, storage, days))
    for name, action in _catalog_steps(settings, storage):
        _step(result, name, label, action)
    return result


def _catalog_steps(
    settings: Settings, storage: LakeStorage
) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Catalog registration and views, when the catalog adapter is available."""
    try:
        from retail_lake.catalog import refresh_after_run  # type: ignore[attr-defined]
    except ImportError:
        return
    yield "catalog", lambda: refresh_after_run(settings, storage)
