"""The local runner: executes ``workflows/daily.toml`` for a range of business dates.

Every step runs once for the whole range, in dependency order, exactly as a Glue
workflow run or an EMR state machine execution over ``business_date``..``end_date``
does: a backfill reads, validates and writes all its dates in one pass. Any failure
stops the run with a :class:`StepError` naming the step, the dates and the cause.

This is the composition root of a local run: it opens every adapter once
(:func:`retail_lake.runtime.adapters.open_adapters`) and hands each step the ones it
uses, as the Glue/EMR job entry does on AWS.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retail_lake.catalog import refresh_after_run
from retail_lake.config import Settings
from retail_lake.contracts.publish import check_published
from retail_lake.dates import date_range
from retail_lake.jobs import aggregate, extract, validate
from retail_lake.jobs.errors import StepError
from retail_lake.jobs.recording import recorded
from retail_lake.jobs.step_hooks import StepHooks, step_hooks
from retail_lake.runner.workflow import Step, Workflow, daily
from retail_lake.runtime.adapters import Adapters, open_adapters
from retail_lake.runtime.spark import build_spark

log = logging.getLogger(__name__)


@dataclass
class LocalRun:
    """What a local step needs: the same things a Glue job gets from the runtime."""

    settings: Settings
    adapters: Adapters
    spark: Any
    workflow: str = "retail-lake-daily"
    hooks: StepHooks | None = None


def _extract(run: LocalRun, days: Sequence[dt.date]) -> Any:
    ports = run.adapters
    return extract.run(
        run.spark, ports.storage, run.settings, days, tracker=ports.tracker, source=ports.source
    )


def _validate(run: LocalRun, days: Sequence[dt.date]) -> Any:
    return validate.run(run.spark, run.adapters.storage, days)


def _aggregate(run: LocalRun, days: Sequence[dt.date]) -> Any:
    return aggregate.run(run.spark, run.adapters.storage, days)


def _catalog(run: LocalRun, days: Sequence[dt.date]) -> Any:
    return refresh_after_run(run.adapters.catalog(), run.adapters.storage, days=days)


def _crawl(run: LocalRun, days: Sequence[dt.date]) -> Any:
    """Crawlers only discover landing/raw schemas on AWS; locally the contracts fix them."""
    return "skipped locally"


LOCAL_ACTIONS: dict[str, Callable[[LocalRun, Sequence[dt.date]], Any]] = {
    "extract": _extract,
    "validate": _validate,
    "aggregate": _aggregate,
    "catalog": _catalog,
    "crawl": _crawl,
}
"""The local implementation of each workflow step, by step name."""


@dataclass
class RunResult:
    days: list[dt.date]
    steps: list[tuple[str, str, Any]] = field(default_factory=list)


def _execute(
    result: RunResult, run: LocalRun, step: Step, days: Sequence[dt.date], action: Callable[[], Any]
) -> None:
    label = days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]}"
    log.info("%s %s: start", step.name, label)
    try:
        outcome = recorded(
            run.adapters.tracker,
            run.workflow,
            step.name,
            days[-1],
            action,
            days=days,
            hooks=run.hooks,
        )
    except StepError:
        raise
    except Exception as exc:
        raise StepError(step.name, label, f"{type(exc).__name__}: {exc}") from exc
    result.steps.append((step.name, label, outcome))


def run_pipeline(
    settings: Settings,
    start: dt.date,
    end: dt.date | None = None,
    spark=None,
    progress: Callable[[str, str], None] | None = None,
    workflow: Workflow | None = None,
) -> RunResult:
    """Run the daily workflow locally for ``start``..``end`` (inclusive)."""
    workflow = workflow or daily()
    missing = [s.name for s in workflow.steps if s.name not in LOCAL_ACTIONS]
    if missing:
        raise StepError(missing[0], start, "the local runner has no implementation of this step")
    days = date_range(start, end)
    if spark is None:
        spark = build_spark(settings)
    # One workflow run id per call: the parent of every step's lineage run.
    adapters = open_adapters(settings, workflow_run_id=uuid.uuid4().hex)
    check_published(adapters.tracker)
    hooks = step_hooks(settings, adapters.notifier, adapters.lineage, metrics=adapters.metrics)
    run = LocalRun(settings, adapters, spark, workflow.name, hooks)
    result = RunResult(days)
    for step in workflow.ordered():
        _execute(result, run, step, days, lambda s=step: LOCAL_ACTIONS[s.name](run, days))
        if progress:
            progress(step.name, result.steps[-1][1])
    return result
