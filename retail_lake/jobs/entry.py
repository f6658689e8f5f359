"""What every Glue/EMR job script does first: resolve arguments, build settings and runtime.

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
from retail_lake.dates import date_range
from retail_lake.jobs.recording import recorded
from retail_lake.jobs.step_hooks import StepHooks, open_step_hooks
from retail_lake.runtime import JobContext, build_context
from retail_lake.storage import LakeStorage, open_lake_storage
from retail_lake.tracker import Tracker, open_tracker

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
    storage: LakeStorage
    days: list[dt.date]
    tracker: Tracker | None = field(default=None, repr=False)
    hooks: StepHooks | None = field(default=None, repr=False)

    @property
    def spark(self):
        return self.context.spark

    def once(self, action: Callable[[], Any]) -> Any:
        """Run the step once for all its dates, recorded under the last date.

        A failure sends the step's failure alert and a lineage FAIL event before the
        error propagates (:func:`~retail_lake.jobs.recording.recorded`).
        """
        return recorded(
            self.tracker,
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
    import boto3

    glue = boto3.client("glue", region_name=settings.region)
    return glue.get_workflow_run_properties(
        Name=args["WORKFLOW_NAME"], RunId=args["WORKFLOW_RUN_ID"]
    )["RunProperties"]


def workflow_run_id(args: dict[str, str], settings: Settings, days: list[dt.date]) -> str:
    """The id that ties the jobs of one workflow run together (lineage's parent run).

    Glue's ``WORKFLOW_RUN_ID`` when the job runs in a workflow; otherwise (EMR, a job
    started by hand) one derived from the workflow and its dates, so every job of the
    run gets the same one (a rerun of the same dates shares it too).
    """
    if args.get("WORKFLOW_RUN_ID"):
        return args["WORKFLOW_RUN_ID"]
    return f"{settings.workflow_name}:{days[0]}..{days[-1]}"


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} must be YYYY-MM-DD, got {text!r}") from None


def start_job(argv: Sequence[str], job_name: str) -> Job:
    """Resolve arguments with ``getResolvedOptions`` and build the job for its platform."""
    args = resolve_job_arguments(argv, REQUIRED, OPTIONAL)
    settings = build_settings({k: v for k, v in args.items() if k not in _NOT_SETTINGS})
    dates = {k: args[k] for k in ("business_date", "end_date") if args.get(k)}
    if not dates.get("business_date"):
        dates = workflow_run_properties(args, settings)
    if not dates.get("business_date"):
        raise ConfigError(f"{job_name}: no --business_date and no workflow run property")
    start = parse_date(dates["business_date"], "business_date")
    end = parse_date(dates["end_date"], "end_date") if dates.get("end_date") else None
    if end is not None and end < start:
        raise ConfigError(f"end_date {end} is before business_date {start}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    tracker = open_tracker(settings)
    published = check_published(tracker, strict=settings.platform != "local")
    log.info(
        "%s runs with contracts %s (hash %s); published: %s",
        job_name,
        contracts().version,
        contracts().content_hash,
        published.version if published else "none",
    )
    context = build_context(settings, args.get("JOB_NAME", job_name))
    storage = open_lake_storage(settings)
    days = date_range(start, end)
    hooks = open_step_hooks(
        settings, storage, workflow_run_id=workflow_run_id(args, settings, days)
    )
    return Job(job_name, context, settings, storage, days, tracker, hooks)
