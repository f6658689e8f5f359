"""What every Glue/EMR job script does first: resolve arguments, build settings and runtime.

This is the composition root of a job on AWS, as the local runner is of a local
run: it opens the adapters once (:func:`retail_lake.runtime.adapters.open_adapters`)
and the script hands them to the job body, which opens nothing itself.

The arguments are the same snake_case names in CloudFormation, in the workflow
definition and in :class:`retail_lake.config.Settings`. ``business_date`` comes
from ``--business_date`` or, inside a Glue workflow run, from the run property of
that name that the completeness check set when it started the run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retail_lake.config import ConfigError, Settings, build_settings, resolve_job_arguments
from retail_lake.contracts import contracts
from retail_lake.contracts.publish import check_published
from retail_lake.dates import date_range, parse_date
from retail_lake.jobs.recording import recorded
from retail_lake.jobs.step_hooks import StepHooks, step_hooks
from retail_lake.runtime.adapters import Adapters, glue_run_properties, open_adapters
from retail_lake.runtime.spark import JobContext, build_context
from retail_lake.storage import LakeStorage

log = logging.getLogger(__name__)

REQUIRED = ("lake",)
OPTIONAL = (
    "business_date",
    "end_date",
    "platform",
    "source",
    "jdbc_url",
    "db_user",
    "db_secret_id",
    "glue_connection",
    "jdbc_partitions",
    "lookback_days",
    "region",
    "glue_database",
    "tracker_table",
    "metadata_table",
    "athena_workgroup",
    "shuffle_partitions",
    "alert_sender",
    "alert_recipients",
    "lineage",
    "JOB_NAME",
    "WORKFLOW_NAME",
    "WORKFLOW_RUN_ID",
)
_NOT_SETTINGS = {"business_date", "end_date", "JOB_NAME", "WORKFLOW_NAME", "WORKFLOW_RUN_ID"}


@dataclass
class Job:
    name: str
    context: JobContext
    settings: Settings
    days: list[dt.date]
    adapters: Adapters = field(repr=False)
    hooks: StepHooks | None = field(default=None, repr=False)

    @property
    def spark(self) -> Any:
        return self.context.spark

    @property
    def storage(self) -> LakeStorage:
        return self.adapters.storage

    def once(self, action: Callable[[], Any]) -> Any:
        """Run the step once for all its dates, recorded under the last date.

        A failure sends the step's failure alert and a lineage FAIL event before the
        error propagates (:func:`~retail_lake.jobs.recording.recorded`).
        """
        return recorded(
            self.adapters.tracker,
            self.settings.workflow_name,
            self.name,
            self.days[-1],
            action,
            days=self.days,
            hooks=self.hooks,
        )

    def commit(self) -> None:
        self.context.commit()


def workflow_run_properties(args: dict[str, str], settings: Settings) -> dict[str, str]:
    """The run properties of the Glue workflow run this job belongs to (none elsewhere).

    Glue passes ``--WORKFLOW_NAME`` and ``--WORKFLOW_RUN_ID`` to every job a workflow
    trigger starts; the dates of the run are properties of that run, set by whoever
    started it (the completeness check, or ``retail-lake run --platform glue``).
    """
    if "WORKFLOW_NAME" not in args or "WORKFLOW_RUN_ID" not in args:
        return {}
    return glue_run_properties(settings, args["WORKFLOW_NAME"], args["WORKFLOW_RUN_ID"])


def workflow_run_id(args: dict[str, str], settings: Settings, days: list[dt.date]) -> str:
    """The id that ties the jobs of one workflow run together (lineage's parent run).

    Glue's ``WORKFLOW_RUN_ID`` when the job runs in a workflow; otherwise (EMR, a job
    started by hand) one derived from the workflow and its dates, so every job of the
    run gets the same one (a rerun of the same dates shares it too).
    """
    if args.get("WORKFLOW_RUN_ID"):
        return args["WORKFLOW_RUN_ID"]
    return f"{settings.workflow_name}:{days[0]}..{days[-1]}"


def start_job(argv: Sequence[str], job_name: str) -> Job:
    """Resolve arguments with ``getResolvedOptions`` and build the job for its platform."""
    args = resolve_job_arguments(argv, REQUIRED, OPTIONAL)
    settings = build_settings({k: v for k, v in args.items() if k not in _NOT_SETTINGS})
    dates = {k: args[k] for k in ("business_date", "end_date") if args.get(k)}
    if not dates.get("business_date"):
        dates = workflow_run_properties(args, settings)
    if not dates.get("business_date"):
        raise ConfigError(f"{job_name}: no --business_date and no workflow run property")
    start = _date(dates["business_date"], "business_date")
    end = _date(dates["end_date"], "end_date") if dates.get("end_date") else None
    if end is not None and end < start:
        raise ConfigError(f"end_date {end} is before business_date {start}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    days = date_range(start, end)
    adapters = open_adapters(settings, workflow_run_id=workflow_run_id(args, settings, days))
    published = check_published(adapters.tracker, strict=settings.platform != "local")
    log.info(
        "%s runs with contracts %s (hash %s); published: %s",
        job_name,
        contracts().version,
        contracts().content_hash,
        published.version if published else "none",
    )
    context = build_context(settings, args.get("JOB_NAME", job_name))
    hooks = step_hooks(settings, adapters.notifier, adapters.lineage, metrics=adapters.metrics)
    return Job(job_name, context, settings, days, adapters, hooks)


def _date(text: str, what: str) -> dt.date:
    """A date argument; a malformed one is a :class:`ConfigError` naming the argument."""
    try:
        return parse_date(text, what)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
