"""OpenLineage events of the order channel: the local channel's batch, change and
redrive runs, the Lambdas' events on moto, FAIL for a failing write, and a lineage
transport that fails without breaking the order path."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from retail_lake.contracts import dataset
from retail_lake.lineage import read_lineage_log
from retail_lake.orders import LocalOrderStore, ingest_file, redrive_local, validate_order
from retail_lake.orders.changes import firehose_record
from retail_lake.storage import layout, open_storage
from tests.orders_support import load_lambda, seed_order, with_contact
from tests.test_lineage import assert_all_valid, by_name

ACCOUNT = "123456789012"
LAKE = "s3://lake-bucket/lake"
DLQ_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/orders-dlq"
EXECUTION = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:order-events:run-1"
SOURCE = "s3://lake-bucket/lake/landing/orders/b.json"
CHANGES_RUN = [("capture_changes", "START"), ("capture_changes", "COMPLETE")]


class LambdaContext:
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:validate-order"


def order(order_id: str, qty: int = 1) -> dict:
    return with_contact(seed_order(order_id, qty=qty))


def write_batch(tmp_path: Path, orders: list, name: str = "b.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"orders": orders}))
    return path


def events(storage) -> list[dict]:
    out = []
    for day in storage.list_dirs("_control/lineage"):
        out += read_lineage_log(storage, dt.date.fromisoformat(day))
    assert_all_valid(out)
    return out


def kinds(all_events: list[dict]) -> list[tuple[str, str]]:
    return [(e["job"]["name"].split(".", 1)[1], e["eventType"]) for e in all_events]


def rows(dataset_event: dict) -> int:
    return dataset_event["outputFacets"]["outputStatistics"]["rowCount"]


# -- the local channel ----------------------------------------------------------------
def test_a_local_batch_emits_ingest_and_change_runs_with_counts(tmp_path, lake_dir):
    batch = write_batch(tmp_path, [order("A"), order("B"), order("C"), order("D", qty=0)])
    summary = ingest_file(lake_dir, batch)
    assert (summary.stored, summary.dead_lettered) == (3, 1)

    all_events = events(open_storage(str(lake_dir)))
    assert kinds(all_events) == [
        ("ingest_batch", "START"),
        *CHANGES_RUN,
        ("ingest_batch", "COMPLETE"),
    ]
    namespace = f"file://{lake_dir}"
    start, _, changes, done = all_events
    assert start["run"]["runId"] == done["run"]["runId"] != changes["run"]["runId"]
    assert [(d["namespace"], d["name"]) for d in done["inputs"]] == [
        (namespace, "landing/orders/b.json")
    ]
    outputs = by_name(done["outputs"])
    assert set(outputs) == {"_control/orders.sqlite", "_control/dead_letters.jsonl"}
    assert rows(outputs["_control/orders.sqlite"]) == 3
    assert rows(outputs["_control/dead_letters.jsonl"]) == 1
    fields = [f["name"] for f in outputs["_control/orders.sqlite"]["facets"]["schema"]["fields"]]
    assert fields == dataset("orders").column_names
    assert start["outputs"][0].get("outputFacets", {}) == {}  # counts only once known

    assert [d["name"] for d in changes["inputs"]] == ["_control/orders.sqlite"]
    (out,) = changes["outputs"]
    assert (out["namespace"], out["name"], rows(out)) == (namespace, "raw/order_changes", 3)
    assert [f["name"] for f in out["facets"]["schema"]["fields"]] == dataset(
        "order_changes"
    ).column_names
    assert changes["job"]["facets"]["jobType"]["processingType"] == "STREAMING"


def test_a_rejected_batch_emits_fail_with_the_dead_letter(tmp_path, lake_dir):
    path = tmp_path / "broken.json"
    path.write_text('{"orders": [')
    assert ingest_file(lake_dir, path).batch_rejected

    start, fail = events(open_storage(str(lake_dir)))
    assert kinds([start, fail]) == [("ingest_batch", "START"), ("ingest_batch", "FAIL")]
    assert fail["run"]["facets"]["errorMessage"]["message"].startswith(
        "InvalidBatch: malformed_json"
    )
    outputs = by_name(fail["outputs"])
    assert rows(outputs["_control/dead_letters.jsonl"]) == 1
    assert rows(outputs["_control/orders.sqlite"]) == 0


def test_a_failing_write_emits_fail_and_raises(tmp_path, lake_dir, monkeypatch):
    def refuse(self, order):
        raise OSError("disk full")

    monkeypatch.setattr(LocalOrderStore, "put", refuse)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(lake_dir, write_batch(tmp_path, [order("A")]))
    start, fail = events(open_storage(str(lake_dir)))
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "OSError: disk full" and "refuse" in error["stackTrace"]


def test_a_failing_change_flush_emits_fail_for_the_changes_run(tmp_path, lake_dir, monkeypatch):
    def broken(self):
        raise OSError("lake not writable")

    monkeypatch.setattr(LocalOrderStore, "flush", broken)
    with pytest.raises(OSError):
        ingest_file(lake_dir, write_batch(tmp_path, [order("A")]))
    assert kinds(events(open_storage(str(lake_dir)))) == [
        ("ingest_batch", "START"),
        ("capture_changes", "START"),
        ("capture_changes", "FAIL"),
        ("ingest_batch", "FAIL"),
    ]


def test_redrive_emits_its_run_with_the_orders_written(tmp_path, lake_dir):
    ingest_file(lake_dir, write_batch(tmp_path, [order("A", qty=0)]), lineage="off")
    path = lake_dir / layout.dead_letters()
    letter = json.loads(path.read_text())
    letter["order"]["order-info"]["qty"] = 2  # the operator's fix
    path.write_text(json.dumps(letter) + "\n")

    assert redrive_local(lake_dir)["written"] == 1
    all_events = events(open_storage(str(lake_dir)))
    assert kinds(all_events) == [("redrive", "START"), ("redrive", "COMPLETE"), *CHANGES_RUN]
    done = all_events[1]
    assert [d["name"] for d in done["inputs"]] == ["_control/dead_letters.jsonl"]
    assert [(d["name"], rows(d)) for d in done["outputs"]] == [("_control/orders.sqlite", 1)]


def test_an_unreachable_lineage_endpoint_is_logged_and_orders_still_go_through(
    tmp_path, lake_dir, caplog
):
    caplog.set_level(logging.ERROR, logger="retail_lake.lineage._orders")
    summary = ingest_file(
        lake_dir, write_batch(tmp_path, [order("A")]), lineage="http://127.0.0.1:9"
    )
    assert summary.stored == 1
    assert "could not be sent; the order channel goes on" in caplog.text
    assert not (lake_dir / "_control" / "lineage").exists()


def test_lineage_off_emits_nothing(tmp_path, lake_dir):
    ingest_file(lake_dir, write_batch(tmp_path, [order("A")]), lineage="off")
    assert not (lake_dir / "_control" / "lineage").exists()


# -- the Lambdas on moto --------------------------------------------------------------
@pytest.fixture
def lambda_env(aws, monkeypatch):
    aws.client("s3").create_bucket(Bucket="lake-bucket")
    for name, value in {
        "RETAIL_LAKE_LINEAGE": "lake",
        "RETAIL_LAKE_LAKE": LAKE,
        "RETAIL_LAKE_REGION": "us-east-1",
        "RETAIL_LAKE_ORDERS_TABLE": "orders",
        "RETAIL_LAKE_ORDERS_DLQ_URL": DLQ_URL,
    }.items():
        monkeypatch.setenv(name, value)
    return open_storage(LAKE, aws)


def test_the_validate_lambda_emits_the_batch_run_of_an_execution(lambda_env):
    validate = load_lambda("validate_order").handler
    context = LambdaContext()
    batch = {"orders": [order("A"), order("B", qty=0)]}
    plan = validate({"batch": batch, "lineage": {"run": EXECUTION, "source": SOURCE}}, context)
    assert plan["count"] == 2
    outcomes = [{"outcome": "stored", "index": 0}, {"outcome": "dead_lettered", "index": 1}]
    finished = {"lineage": "COMPLETE", "run": EXECUTION, "source": SOURCE, "outcomes": outcomes}
    assert validate(finished, context) == {"stored": 1, "dead_lettered": 1}

    start, done = events(lambda_env)
    assert kinds([start, done]) == [("ingest_batch", "START"), ("ingest_batch", "COMPLETE")]
    assert start["run"]["runId"] == done["run"]["runId"]
    assert [(d["namespace"], d["name"]) for d in done["inputs"]] == [
        ("s3://lake-bucket", "lake/landing/orders/b.json")
    ]
    outputs = {(d["namespace"], d["name"]): rows(d) for d in done["outputs"]}
    assert outputs == {
        (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}", "table/orders"): 1,
        (f"arn:aws:sqs:us-east-1:{ACCOUNT}", "orders-dlq"): 1,
    }
    keys = lambda_env.list_files("_control/lineage")
    assert len(keys) == 2 and all(k.endswith(".json") for k in keys)


def test_the_validate_lambda_emits_fail_for_a_rejected_batch(lambda_env):
    validate = load_lambda("validate_order").handler
    cause = json.dumps({"errorMessage": "too_many_orders: 600 orders, at most 500 per file"})
    rejected = {
        "lineage": "FAIL",
        "run": EXECUTION,
        "source": SOURCE,
        "error": "InvalidBatch",
        "cause": cause,
        "dead_lettered": 1,
    }
    validate(rejected, LambdaContext())
    (fail,) = events(lambda_env)
    assert fail["eventType"] == "FAIL"
    assert "too_many_orders" in fail["run"]["facets"]["errorMessage"]["message"]
    assert {d["name"]: rows(d) for d in fail["outputs"]} == {"table/orders": 0, "orders-dlq": 1}


def test_the_transform_lambda_emits_one_changes_run_per_invocation(lambda_env):
    transform = load_lambda("order_stream_transform").handler
    change = {
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": 1767607200000,
            "Keys": {"order_id": {"S": "A"}},
            "NewImage": validate_order(order("A")).to_dynamodb_item(),
        },
    }
    records = [firehose_record("r1", change, "1"), {"recordId": "r2", "data": "bm90IGpzb24="}]
    result = transform({"invocationId": "inv-1", "records": records}, LambdaContext())
    assert [r["result"] for r in result["records"]] == ["Ok", "ProcessingFailed"]

    start, done = events(lambda_env)
    assert kinds([start, done]) == [("capture_changes", "START"), ("capture_changes", "COMPLETE")]
    assert [(d["namespace"], d["name"]) for d in done["inputs"]] == [
        (f"arn:aws:dynamodb:us-east-1:{ACCOUNT}", "table/orders")
    ]
    assert {(d["namespace"], d["name"]): rows(d) for d in done["outputs"]} == {
        ("s3://lake-bucket", "lake/raw/order_changes"): 1,
        ("s3://lake-bucket", "lake/_control/firehose_errors/order_changes"): 1,
    }


def test_a_lambda_whose_lineage_cannot_be_written_still_answers(aws, lambda_env, caplog):
    aws.client("s3").delete_bucket(Bucket="lake-bucket")  # the put will fail
    caplog.set_level(logging.ERROR)
    validate = load_lambda("validate_order").handler
    plan = validate(
        {"batch": {"orders": [order("A")]}, "lineage": {"run": EXECUTION, "source": SOURCE}},
        LambdaContext(),
    )
    assert plan["count"] == 1
    assert "lineage START of retail-lake-orders.ingest_batch could not be sent" in caplog.text


def test_lambdas_without_lineage_settings_emit_nothing(aws, monkeypatch):
    monkeypatch.delenv("RETAIL_LAKE_LINEAGE", raising=False)
    validate = load_lambda("validate_order").handler
    assert validate({"lineage": "COMPLETE", "run": EXECUTION, "outcomes": []}) == {
        "stored": 0,
        "dead_lettered": 0,
    }


def test_the_sqs_redrive_emits_its_run_on_the_aws_datasets(aws, lambda_env):
    from retail_lake.config import build_settings
    from retail_lake.orders import DeadLetter, DynamoOrderWriter, SqsDeadLetters
    from retail_lake.orders.lineage import redrive_with_lineage, settings_order_lineage

    aws.client("dynamodb").create_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    url = aws.client("sqs").create_queue(QueueName="orders-dlq")["QueueUrl"]
    queue = SqsDeadLetters(url, boto3_session=aws)
    queue.send(DeadLetter("bad_qty", "fixed since", order("A"), source=SOURCE))
    settings = build_settings({"lake": LAKE, "orders_dlq_url": url}, env={})

    emitter = settings_order_lineage(settings, aws)
    summary = redrive_with_lineage(queue, DynamoOrderWriter("orders", aws), emitter)
    assert summary.written == 1
    start, done = events(lambda_env)
    assert kinds([start, done]) == [("redrive", "START"), ("redrive", "COMPLETE")]
    assert [d["name"] for d in done["inputs"]] == ["orders-dlq"]
    assert [(d["name"], rows(d)) for d in done["outputs"]] == [("table/orders", 1)]


# The Lambda zips carry retail_lake but no third-party module: a handler must run, and
# log, when openlineage-python cannot be imported.
_WITHOUT_OPENLINEAGE = """
import json, logging, runpy, sys
sys.modules["openlineage"] = None  # import openlineage... now raises ImportError
logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
handler = runpy.run_path(sys.argv[1])["handler"]
print(json.dumps(handler(json.load(sys.stdin), None)))
"""


def test_a_lambda_without_openlineage_installed_still_validates(tmp_path):
    import subprocess
    import sys

    from tests.orders_support import REPO

    env = {
        "PATH": "/usr/bin:/bin",
        "RETAIL_LAKE_LINEAGE": "lake",
        "RETAIL_LAKE_LAKE": str(tmp_path),
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    event = {"batch": {"orders": [order("A")]}, "lineage": {"run": EXECUTION, "source": SOURCE}}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _WITHOUT_OPENLINEAGE,
            str(REPO / "lambdas/validate_order/handler.py"),
        ],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=env,
    )
    assert json.loads(done.stdout)["count"] == 1
    assert "no lineage for this invocation" in done.stderr
