"""Contracts published through the tracker, and the version check."""

from __future__ import annotations

import importlib.util
import tomllib
import uuid
from importlib import resources
from pathlib import Path

import awswrangler as wr
import boto3
import pytest
from boto3.dynamodb.conditions import Key

from retail_lake.contracts import ContractError, contracts
from retail_lake.contracts.publish import check_published, contract_document, publish
from retail_lake.tracker import DynamoDBTracker, SQLiteTracker, create_dynamodb_tables

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "dynamodb"])
def tracker(request, tmp_path):
    if request.param == "sqlite":
        return SQLiteTracker(tmp_path / "_control" / "tracker.sqlite")
    request.getfixturevalue("aws")
    session = boto3.Session(region_name="us-east-1")
    create_dynamodb_tables("tracker", "metadata", session)
    return DynamoDBTracker("tracker", "metadata", session)


def test_document_is_the_shipped_toml():
    text = resources.files("retail_lake.contracts").joinpath("datasets.toml").read_text("utf-8")
    assert contract_document() == tomllib.loads(text)


def test_publish_and_read_back(tracker):
    published = publish(tracker)
    registry = contracts()
    assert (published.version, published.content_hash) == (registry.version, registry.content_hash)
    back = tracker.get_contract()
    assert (back.version, back.content_hash) == (registry.version, registry.content_hash)
    assert back.document == contract_document()
    assert sorted(back.document["datasets"]) == sorted(registry.datasets)
    assert check_published(tracker) == back


def test_nothing_published_passes_unless_strict(tracker):
    assert check_published(tracker) is None
    with pytest.raises(ContractError, match=r"no contract version is published.*contracts publish"):
        check_published(tracker, strict=True)


def test_a_different_published_version_fails_clearly(tracker):
    registry = contracts()
    tracker.put_contract("0.9.0", "0123456789abcdef", {"version": "0.9.0", "datasets": {}})
    expected = (
        f"published contract version 0.9.0 (hash 0123456789abcdef) differs from the code's "
        f"{registry.version} (hash {registry.content_hash}); run `retail-lake contracts publish`"
    )
    with pytest.raises(ContractError) as info:
        check_published(tracker)
    assert str(info.value) == expected
    publish(tracker)
    check_published(tracker, strict=True)


def test_same_version_with_other_content_fails(tracker):
    registry = contracts()
    tracker.put_contract(registry.version, "ffffffffffffffff", contract_document())
    with pytest.raises(ContractError, match="hash ffffffffffffffff"):
        check_published(tracker)


def test_metadata_table_items_on_dynamodb(aws):
    create_dynamodb_tables("tracker", "metadata", aws)
    publish(DynamoDBTracker("tracker", "metadata", aws))
    items = wr.dynamodb.read_items(
        "metadata",
        key_condition_expression=Key("pk").eq("CONTRACT"),
        as_dataframe=False,
        boto3_session=aws,
    )
    registry = contracts()
    assert sorted(i["sk"] for i in items) == sorted(
        ["CURRENT", f"VERSION#{registry.version}#{registry.content_hash}"]
    )
    assert {i["pk"] for i in items} == {"CONTRACT"}
    assert {i["content_hash"] for i in items} == {registry.content_hash}


def test_check_lambda_refuses_to_run_on_a_mismatch(aws, monkeypatch):
    monkeypatch.setenv("RETAIL_LAKE_LAKE", "s3://retail-bucket/lake")
    monkeypatch.setenv("RETAIL_LAKE_TRACKER_TABLE", "tracker")
    monkeypatch.setenv("RETAIL_LAKE_METADATA_TABLE", "metadata")
    create_dynamodb_tables("tracker", "metadata", aws)
    DynamoDBTracker("tracker", "metadata", aws).put_contract("0.1.0", "deadbeefdeadbeef", {})
    path = ROOT / "lambdas" / "check_completeness" / "handler.py"
    spec = importlib.util.spec_from_file_location(f"lambda_check_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ContractError, match=r"published contract version 0\.1\.0"):
        module.handler({"detail-type": "Scheduled Event", "time": "2024-03-05T03:00:00Z"})
