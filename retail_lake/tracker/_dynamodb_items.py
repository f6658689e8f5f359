"""How the DynamoDB tracker lays out its tables and items, and reads them back.

The table schema (``pk``/``sk`` strings, on-demand), the sort-key conventions and
the item <-> record conversions live here, apart from
:class:`~retail_lake.tracker._dynamodb.DynamoDBTracker`, so that the adapter reads as
its conditional-write protocol and the layout can be checked on its own (it is the
one CloudFormation declares). Item layout:

====================================  =================================  =========================
pk                                    sk                                 what
====================================  =================================  =========================
``FILE#<date>``                       ``<key>#v<000001>``                one version of a file
``RUN#<date>``                        ``<workflow>#<step>#<run_id>``     a step's run
``WATERMARK``                         ``<table>``                        an extraction watermark
``WORKFLOW_START#<workflow>``         ``<date>``                         the exactly-once guard
``CONTRACT`` (metadata table)         ``CURRENT`` / ``VERSION#<v>#<h>``  published contracts
====================================  =================================  =========================

Reports and contract documents are stored as JSON strings: DynamoDB rejects Python
floats and nested documents are read back whole anyway.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError

from retail_lake.tracker._model import (
    FileRecord,
    JobRun,
    PublishedContract,
    WorkflowStart,
    dump_json,
    from_iso,
    to_iso,
)

KEY_SCHEMA: list[dict[str, str]] = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
ATTRIBUTE_DEFINITIONS: list[dict[str, str]] = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
]


def create_dynamodb_tables(
    tracker_table: str, metadata_table: str, boto3_session: boto3.Session | None = None
) -> None:
    """Create both tables as CloudFormation declares them (on-demand, ``pk``/``sk`` strings).

    For tests and local setup against moto or a sandbox account; an existing table
    is left alone.
    """
    client = (boto3_session or boto3.Session()).client("dynamodb")
    for name in (tracker_table, metadata_table):
        try:
            client.create_table(
                TableName=name,
                KeySchema=KEY_SCHEMA,
                AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if error_code(exc) != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(TableName=name)


def error_code(exc: ClientError) -> str:
    """The AWS error code of ``exc`` (``ConditionalCheckFailedException`` …)."""
    return exc.response.get("Error", {}).get("Code", "")


def file_sk(key: str, version: int | None = None) -> str:
    """``<key>#v000001``: versions of a key sort together and in order.

    Without a version, the prefix every version of ``key`` begins with.
    """
    return f"{key}#v" if version is None else f"{key}#v{version:06d}"


def without_none(item: dict[str, Any]) -> dict[str, Any]:
    """The item without its ``None`` attributes, which DynamoDB would store as NULLs."""
    return {k: v for k, v in item.items() if v is not None}


def file_record(item: dict[str, Any]) -> FileRecord:
    """A file-version item as a record (numbers come back as ``Decimal``)."""
    return FileRecord(
        dataset=item["dataset"],
        business_date=dt.date.fromisoformat(item["business_date"]),
        key=item["key"],
        size=int(Decimal(item["size"])),
        etag=item["etag"],
        arrived_at=from_iso(item["arrived_at"]),  # type: ignore[arg-type]
        version=int(Decimal(item["version"])),
    )


def run_item(run: JobRun) -> dict[str, Any]:
    """A step's run as its item under ``RUN#<date>``."""
    return {
        "pk": f"RUN#{run.business_date.isoformat()}",
        "sk": f"{run.workflow}#{run.step}#{run.run_id}",
        "workflow": run.workflow,
        "step": run.step,
        "run_id": run.run_id,
        "business_date": run.business_date.isoformat(),
        "status": run.status,
        "started_at": to_iso(run.started_at),
        "ended_at": to_iso(run.ended_at),
        "report": dump_json(run.report),
    }


def job_run(item: dict[str, Any]) -> JobRun:
    """A run item as a record, its report parsed back from JSON."""
    return JobRun(
        workflow=item["workflow"],
        step=item["step"],
        business_date=dt.date.fromisoformat(item["business_date"]),
        run_id=item["run_id"],
        status=item["status"],
        started_at=from_iso(item["started_at"]),  # type: ignore[arg-type]
        ended_at=from_iso(item.get("ended_at")),
        report=json.loads(item["report"]),
    )


def workflow_start(item: dict[str, Any]) -> WorkflowStart:
    """A ``WORKFLOW_START`` guard item as a record."""
    return WorkflowStart(
        workflow=item["workflow"],
        business_date=dt.date.fromisoformat(item["business_date"]),
        state=item["state"],
        claim_run_id=item["claim_run_id"],
        claimed_at=from_iso(item["claimed_at"]),  # type: ignore[arg-type]
        started_at=from_iso(item.get("started_at")),
        external_run_id=item.get("external_run_id"),
    )


def published_contract(item: dict[str, Any]) -> PublishedContract:
    """A ``CONTRACT`` item of the metadata table as a record."""
    return PublishedContract(
        version=item["version"],
        content_hash=item["content_hash"],
        document=json.loads(item["document"]),
        published_at=from_iso(item["published_at"]),  # type: ignore[arg-type]
    )
