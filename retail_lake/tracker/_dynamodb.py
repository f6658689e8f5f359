"""The AWS tracker: a single DynamoDB table (``pk``/``sk`` strings) plus the metadata table.

Each file version is its own item, written once with ``attribute_not_exists``: the
newest version is found by a consistent query, so there is no second "latest"
item to keep in step (and no transaction, which moto does not isolate between
threads). Plain reads and unconditional writes go through awswrangler (``wr.dynamodb.read_items``,
``wr.dynamodb.put_items``); everything two writers may race on uses boto3 with a
``ConditionExpression``, because awswrangler has no conditional write. The item
layout and the table schema are in :mod:`retail_lake.tracker._dynamodb_items`.

A ``DynamoDBTracker`` is safe to share between threads for its conditional calls;
awswrangler creates clients from the session on each call, and boto3 sessions are
not thread-safe, so give each thread its own tracker (as each Lambda has).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import awswrangler as wr
import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from retail_lake.tracker._dynamodb_items import (
    KEY_SCHEMA,
    create_dynamodb_tables,
    error_code,
    file_record,
    file_sk,
    job_run,
    published_contract,
    run_item,
    without_none,
    workflow_start,
)
from retail_lake.tracker._model import (
    FileRecord,
    JobRun,
    PublishedContract,
    RecordOutcome,
    TrackerError,
    WatermarkConflictError,
    WorkflowStart,
    conflict_message,
    dump_json,
    normalize_etag,
    to_iso,
    utcnow,
)

__all__ = ["DynamoDBTracker", "create_dynamodb_tables"]

_MAX_RECORD_ATTEMPTS = 20


class DynamoDBTracker:
    """The tracker port on DynamoDB."""

    def __init__(
        self,
        table_name: str,
        metadata_table: str,
        boto3_session: boto3.Session | None = None,
    ) -> None:
        self.table_name = table_name
        self.metadata_table = metadata_table
        self._session = boto3_session or boto3.Session()
        # The resource's client takes plain Python values (it serialises them).
        self._client = self._session.resource("dynamodb").meta.client

    def __repr__(self) -> str:
        return f"DynamoDBTracker({self.table_name!r}, {self.metadata_table!r})"

    # -- plumbing ------------------------------------------------------------------
    def _query(self, pk: str, sk_prefix: str, table: str | None = None) -> list[dict[str, Any]]:
        condition = Key("pk").eq(pk)
        if sk_prefix:  # DynamoDB rejects an empty begins_with value
            condition = condition & Key("sk").begins_with(sk_prefix)
        try:
            return wr.dynamodb.read_items(  # type: ignore[return-value]
                table_name=table or self.table_name,
                key_condition_expression=condition,
                consistent=True,
                as_dataframe=False,
                use_threads=False,
                key_schema=KEY_SCHEMA,
                boto3_session=self._session,
            )
        except ClientError as exc:
            raise TrackerError(f"cannot query {table or self.table_name} for {pk}: {exc}") from exc

    def _get(self, pk: str, sk: str, table: str | None = None) -> dict[str, Any] | None:
        try:
            items = wr.dynamodb.read_items(
                table_name=table or self.table_name,
                partition_values=[pk],
                sort_values=[sk],
                consistent=True,
                as_dataframe=False,
                use_threads=False,
                key_schema=KEY_SCHEMA,
                boto3_session=self._session,
            )
        except ClientError as exc:
            raise TrackerError(
                f"cannot read {pk}/{sk} from {table or self.table_name}: {exc}"
            ) from exc
        item = items[0] if items else {}
        return item or None  # type: ignore[return-value]

    def _put(self, items: list[dict[str, Any]], table: str | None = None) -> None:
        try:
            wr.dynamodb.put_items(
                items=[without_none(i) for i in items],
                table_name=table or self.table_name,
                use_threads=False,
                boto3_session=self._session,
            )
        except ClientError as exc:
            raise TrackerError(f"cannot write to {table or self.table_name}: {exc}") from exc

    def _get_consistent(self, pk: str, sk: str) -> dict[str, Any] | None:
        """A strongly consistent read on the thread-safe client (for retry loops)."""
        response = self._client.get_item(
            TableName=self.table_name, Key={"pk": pk, "sk": sk}, ConsistentRead=True
        )
        return response.get("Item")

    # -- file arrivals -------------------------------------------------------------
    def record_file(
        self,
        dataset: str,
        business_date: dt.date,
        key: str,
        size: int,
        etag: str,
        arrived_at: dt.datetime,
    ) -> RecordOutcome:
        etag = normalize_etag(etag)
        pk = f"FILE#{business_date.isoformat()}"
        for _ in range(_MAX_RECORD_ATTEMPTS):
            latest = self._latest_version(pk, key)
            if latest is not None and latest["etag"] == etag:
                return "duplicate"
            version = 1 if latest is None else int(latest["version"]) + 1
            item = {
                "pk": pk,
                "sk": file_sk(key, version),
                "dataset": dataset,
                "business_date": business_date.isoformat(),
                "key": key,
                "version": version,
                "size": int(size),
                "etag": etag,
                "arrived_at": to_iso(arrived_at),
                "recorded_at": to_iso(utcnow()),
            }
            try:
                # Version n+1 can be written once: a racing writer fails here and re-reads.
                self._client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue
                raise TrackerError(f"cannot record file {key}: {exc}") from exc
            return "new" if version == 1 else "new_version"
        raise TrackerError(
            f"cannot record file {key}: {_MAX_RECORD_ATTEMPTS} conflicting writes in a row"
        )

    def _latest_version(self, pk: str, key: str) -> dict[str, Any] | None:
        """The newest version item of ``key`` (strongly consistent, thread-safe client)."""
        response = self._client.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": pk, ":prefix": file_sk(key)},
            ConsistentRead=True,
            ScanIndexForward=False,
            Limit=1,
        )
        items = response.get("Items", [])
        return items[0] if items else None

    def files(self, business_date: dt.date, dataset: str | None = None) -> list[FileRecord]:
        latest: dict[str, FileRecord] = {}
        for item in self._query(f"FILE#{business_date.isoformat()}", ""):
            record = file_record(item)
            if record.key not in latest or record.version > latest[record.key].version:
                latest[record.key] = record
        records = [r for r in latest.values() if dataset is None or r.dataset == dataset]
        return sorted(records, key=lambda r: r.key)

    def file_versions(self, business_date: dt.date, key: str) -> list[FileRecord]:
        items = self._query(f"FILE#{business_date.isoformat()}", file_sk(key))
        return sorted((file_record(i) for i in items), key=lambda r: r.version)

    # -- job runs ------------------------------------------------------------------
    def record_run(self, run: JobRun) -> None:
        self._put([run_item(run)])

    def runs(self, business_date: dt.date, workflow: str | None = None) -> list[JobRun]:
        prefix = "" if workflow is None else f"{workflow}#"
        items = self._query(f"RUN#{business_date.isoformat()}", prefix)
        out = [job_run(i) for i in items]
        return sorted(out, key=lambda r: (r.started_at, r.step, r.run_id))

    # -- watermarks ----------------------------------------------------------------
    def get_watermark(self, table: str) -> str | None:
        item = self._get("WATERMARK", table)
        return None if item is None else item["value"]

    def commit_watermark(self, table: str, new_value: str, expected_previous: str | None) -> None:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {
                "pk": "WATERMARK",
                "sk": table,
                "value": new_value,
                "updated_at": to_iso(utcnow()),
            },
        }
        if expected_previous is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            kwargs["ConditionExpression"] = "#value = :expected"
            kwargs["ExpressionAttributeNames"] = {"#value": "value"}
            kwargs["ExpressionAttributeValues"] = {":expected": expected_previous}
        try:
            self._client.put_item(**kwargs)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise TrackerError(f"cannot commit watermark of {table!r}: {exc}") from exc
            current = self._get_consistent("WATERMARK", table)
            found = None if current is None else current["value"]
            raise WatermarkConflictError(
                conflict_message(table, expected_previous, found)
            ) from None

    # -- workflow starts -----------------------------------------------------------
    def claim_workflow_start(
        self,
        workflow: str,
        business_date: dt.date,
        run_id: str,
        lease: dt.timedelta | None = None,
    ) -> bool:
        now = utcnow()
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {
                "pk": f"WORKFLOW_START#{workflow}",
                "sk": business_date.isoformat(),
                "workflow": workflow,
                "business_date": business_date.isoformat(),
                "state": "claimed",
                "claim_run_id": run_id,
                "claimed_at": to_iso(now),
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if lease is not None:
            kwargs["ConditionExpression"] += " OR (#state = :claimed AND claimed_at < :cutoff)"
            kwargs["ExpressionAttributeNames"] = {"#state": "state"}
            kwargs["ExpressionAttributeValues"] = {
                ":claimed": "claimed",
                ":cutoff": to_iso(now - lease),
            }
        try:
            self._client.put_item(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise TrackerError(
                f"cannot claim the start of {workflow} for {business_date}: {exc}"
            ) from exc
        return True

    def mark_workflow_started(
        self,
        workflow: str,
        business_date: dt.date,
        run_id: str,
        external_run_id: str | None = None,
    ) -> None:
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": f"WORKFLOW_START#{workflow}", "sk": business_date.isoformat()},
                UpdateExpression="SET #state = :started, started_at = :now, external_run_id = :ext",
                ConditionExpression="claim_run_id = :rid",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":started": "started",
                    ":now": to_iso(utcnow()),
                    ":ext": external_run_id,
                    ":rid": run_id,
                },
            )
        except ClientError as exc:
            raise TrackerError(
                f"cannot mark {workflow} {business_date} started (claim {run_id}): {exc}"
            ) from exc

    def release_workflow_start(self, workflow: str, business_date: dt.date, run_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self.table_name,
                Key={"pk": f"WORKFLOW_START#{workflow}", "sk": business_date.isoformat()},
                ConditionExpression="claim_run_id = :rid AND #state = :claimed",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":rid": run_id, ":claimed": "claimed"},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":  # not ours: nothing to release
                raise TrackerError(
                    f"cannot release the start claim of {workflow} {business_date}: {exc}"
                ) from exc

    def workflow_start(self, workflow: str, business_date: dt.date) -> WorkflowStart | None:
        item = self._get(f"WORKFLOW_START#{workflow}", business_date.isoformat())
        if item is None:
            return None
        return workflow_start(item)

    # -- contract metadata ---------------------------------------------------------
    def put_contract(
        self, version: str, content_hash: str, document: dict[str, Any]
    ) -> PublishedContract:
        published_at = utcnow()
        body = {
            "version": version,
            "content_hash": content_hash,
            "document": dump_json(document),
            "published_at": to_iso(published_at),
        }
        self._put(
            [
                {"pk": "CONTRACT", "sk": "CURRENT", **body},
                {"pk": "CONTRACT", "sk": f"VERSION#{version}#{content_hash}", **body},
            ],
            table=self.metadata_table,
        )
        return PublishedContract(version, content_hash, document, published_at)

    def get_contract(self) -> PublishedContract | None:
        item = self._get("CONTRACT", "CURRENT", table=self.metadata_table)
        if item is None:
            return None
        return published_contract(item)
