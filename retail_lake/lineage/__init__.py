"""OpenLineage events of the daily workflow's steps (docs/design.md, Lineage).

Every step run, local or on Glue/EMR, goes through
:func:`retail_lake.jobs.recording.recorded`, which calls a :class:`StepLineage`:
a START event, then COMPLETE or FAIL, with the step's inputs and outputs named by
the OpenLineage naming spec, their schemas from the contracts, row counts and
data-quality facets from the step reports, and a parent facet naming the workflow
run. :func:`open_lineage` builds it from the ``lineage`` setting.

Modules: ``_naming`` (namespaces and names), ``_datasets`` (what each step reads and
writes), ``_facets`` (schema, statistics, data quality), ``_transport`` (where events
go), ``_emitter`` (the events).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from retail_lake.lineage._datasets import DatasetRef, step_io
from retail_lake.lineage._emitter import JOB_NAMESPACE, StepLineage, as_run_id
from retail_lake.lineage._naming import (
    Naming,
    duckdb_catalog_namespace,
    glue_catalog_namespace,
    source_from_jdbc,
)
from retail_lake.lineage._transport import (
    LakeTransport,
    build_transport,
    check_lineage_setting,
    read_lineage_log,
)

if TYPE_CHECKING:
    from retail_lake.config import Settings
    from retail_lake.storage import LakeStorage

log = logging.getLogger(__name__)


def _aws_account(settings: Settings, boto3_session: Any = None) -> str:
    """The account of the Glue Data Catalog (the caller's); ``unknown`` if STS cannot say."""
    try:
        import boto3

        session = boto3_session or boto3.Session(region_name=settings.region)
        return session.client("sts", region_name=settings.region).get_caller_identity()["Account"]
    except Exception as exc:
        log.warning("lineage: cannot tell the AWS account of the Glue catalog: %s", exc)
        return "unknown"


def naming_for(settings: Settings, boto3_session: Any = None) -> Naming:
    """The dataset naming of the lake, catalog and source database ``settings`` select."""
    glue = settings.catalog == "aws"
    catalog = (
        glue_catalog_namespace(settings.region, _aws_account(settings, boto3_session))
        if glue
        else duckdb_catalog_namespace(settings.lake)
    )
    source, database = source_from_jdbc(settings.jdbc_url, settings.glue_connection)
    return Naming(
        lake=settings.lake,
        catalog_namespace=catalog,
        glue_database=settings.glue_database,
        glue_catalog=glue,
        source_namespace=source,
        source_database=database,
    )


def open_lineage(
    settings: Settings,
    storage: LakeStorage,
    *,
    workflow_run_id: str,
    boto3_session: Any = None,
) -> StepLineage | None:
    """The lineage emitter of one workflow run, or ``None`` when ``lineage = off``."""
    transport = build_transport(settings.lineage, storage, settings.region)
    if transport is None:
        return None
    return StepLineage(
        transport,
        naming_for(settings, boto3_session),
        settings.workflow_name,
        workflow_run_id,
        source=settings.source,
    )


__all__ = [
    "JOB_NAMESPACE",
    "DatasetRef",
    "LakeTransport",
    "Naming",
    "StepLineage",
    "as_run_id",
    "build_transport",
    "check_lineage_setting",
    "naming_for",
    "open_lineage",
    "read_lineage_log",
    "step_io",
]
