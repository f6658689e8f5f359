"""The composition root: every adapter a run talks to, opened once from the settings.

The local runner (:func:`retail_lake.runner.local.run_pipeline`) and the Glue/EMR
job entry (:func:`retail_lake.jobs.entry.start_job`) call :func:`open_adapters` once
per run and hand the pieces to the job bodies, which take them as parameters and
never open a client themselves. Which adapter a setting selects (DynamoDB or
SQLite, SES or ``.eml`` files, S3 or a directory) is decided here and in the
``open_*`` factory of each port, nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from retail_lake.catalog import Catalog, open_catalog
from retail_lake.config import Settings
from retail_lake.lineage import StepLineage, open_lineage
from retail_lake.metrics import MetricsPublisher, open_metrics
from retail_lake.notify import Notifier, open_notifier
from retail_lake.source_db import SourceDatabase, resolve_source
from retail_lake.storage import LakeStorage, open_lake_storage
from retail_lake.tracker import Tracker, open_tracker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Adapters:
    """The ports of one run.

    ``notifier``, ``metrics`` and ``lineage`` are ``None`` when they could not be
    built (or lineage is off): none of them may stop a run. ``source`` and ``catalog`` are opened
    on first use, by the one step that needs them: resolving the source database
    reads a secret and the Glue connection, which only the MySQL extract has the
    arguments and permissions for, and the local catalog is a DuckDB file that
    stays locked while it is open.
    """

    storage: LakeStorage
    tracker: Tracker
    notifier: Notifier | None = field(default=None, repr=False)
    metrics: MetricsPublisher | None = field(default=None, repr=False)
    lineage: StepLineage | None = field(default=None, repr=False)
    source: Callable[[], SourceDatabase] = field(default=lambda: _no("source"), repr=False)
    catalog: Callable[[], Catalog] = field(default=lambda: _no("catalog"), repr=False)


def _no(port: str) -> Any:
    raise RuntimeError(f"this run was built without a {port} adapter")


def open_adapters(
    settings: Settings,
    *,
    workflow_run_id: str,
    boto3_session: Any = None,
    storage: LakeStorage | None = None,
) -> Adapters:
    """Every adapter of a run selected by ``settings``, sharing one boto3 session.

    ``workflow_run_id`` ties every step's lineage run to its workflow run (Glue's
    ``WORKFLOW_RUN_ID``, or one id per local run). ``storage`` replaces the lake
    storage of ``settings`` (a test's own). A notifier or lineage emitter that cannot
    be built is logged and left out; the run itself goes on.
    """
    storage = storage or open_lake_storage(settings, boto3_session)
    notifier: Notifier | None = None
    metrics: MetricsPublisher | None = None
    lineage: StepLineage | None = None
    try:
        notifier = open_notifier(settings, boto3_session)
    except Exception:
        log.exception("no failure alerts for this run: the notifier could not be built")
    try:
        metrics = open_metrics(settings, boto3_session)
    except Exception:
        log.exception("no quality-gate metrics for this run: the publisher could not be built")
    try:
        lineage = open_lineage(
            settings, storage, workflow_run_id=workflow_run_id, boto3_session=boto3_session
        )
    except Exception:
        log.exception("no lineage for this run: lineage %r could not be set up", settings.lineage)
    return Adapters(
        storage=storage,
        tracker=open_tracker(settings, boto3_session),
        notifier=notifier,
        metrics=metrics,
        lineage=lineage,
        source=partial(resolve_source, settings, boto3_session),
        catalog=partial(open_catalog, settings, boto3_session),
    )


def glue_run_properties(
    settings: Settings, workflow_name: str, run_id: str, boto3_session: Any = None
) -> dict[str, str]:
    """The run properties of a Glue workflow run (its business dates).

    Read before the adapters exist: the dates decide the run's lineage id.
    """
    if boto3_session is None:
        import boto3

        boto3_session = boto3.Session(region_name=settings.region)
    glue = boto3_session.client("glue", region_name=settings.region)
    return glue.get_workflow_run_properties(Name=workflow_name, RunId=run_id)["RunProperties"]
