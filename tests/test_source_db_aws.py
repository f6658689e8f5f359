"""Where the extract job finds the database on AWS: the Glue connection and its secret."""

from __future__ import annotations

import json

import pytest

from retail_lake.config import build_settings
from retail_lake.source_db import MARIADB_DRIVER, SourceConfigError, resolve_source


def _secret(session, name: str, **values) -> str:
    client = session.client("secretsmanager")
    return client.create_secret(Name=name, SecretString=json.dumps(values))["ARN"]


def _connection(session, name: str, properties: dict[str, str]) -> None:
    session.client("glue").create_connection(
        ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": properties}
    )


def test_glue_connection_url_with_its_secret(aws):
    arn = _secret(aws, "db", username="etl", password="s3cr3t!", host="ignored", dbname="retail")
    _connection(
        aws, "conn", {"JDBC_CONNECTION_URL": "jdbc:mysql://db.internal:3306", "SECRET_ID": arn}
    )
    settings = build_settings(
        {"lake": "s3://b", "platform": "glue", "glue_connection": "conn"}, env={}
    )
    source = resolve_source(settings, boto3_session=aws)
    assert source.url == "jdbc:mysql://db.internal:3306/retail"
    assert (source.user, source.password, source.driver) == ("etl", "s3cr3t!", MARIADB_DRIVER)
    assert "s3cr3t!" not in repr(source) and source.origin == "glue connection conn + secret " + arn


def test_job_secret_wins_over_the_connection_credentials(aws):
    arn = _secret(aws, "rotated", username="etl", password="new")
    _connection(
        aws,
        "conn",
        {"JDBC_CONNECTION_URL": "jdbc:mysql://h:3306/retail", "USERNAME": "old", "PASSWORD": "old"},
    )
    settings = build_settings(
        {"lake": "s3://b", "platform": "glue", "glue_connection": "conn", "db_secret_id": arn},
        env={},
    )
    source = resolve_source(settings, boto3_session=aws)
    assert (source.url, source.user, source.password) == (
        "jdbc:mysql://h:3306/retail",
        "etl",
        "new",
    )


def test_missing_glue_connection_names_it(aws):
    settings = build_settings(
        {"lake": "s3://b", "platform": "glue", "glue_connection": "nope"}, env={}
    )
    with pytest.raises(SourceConfigError, match="Glue connection 'nope'"):
        resolve_source(settings, boto3_session=aws)


def test_emr_reads_the_secret_and_ignores_the_glue_connection(aws):
    arn = _secret(aws, "db", username="etl", password="pw", host="rds.local", port=3307, dbname="r")
    settings = build_settings(
        {"lake": "s3://b", "platform": "emr", "glue_connection": "absent", "db_secret_id": arn},
        env={},
    )
    source = resolve_source(settings, boto3_session=aws)
    assert source.url == "jdbc:mysql://rds.local:3307/r"
