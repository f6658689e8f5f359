"""The runtime for --platform local and the one configuration object."""

from __future__ import annotations

import sys

import pytest

from retail_lake.config import ConfigError, build_settings, resolve_job_arguments
from retail_lake.jobs.entry import OPTIONAL, REQUIRED
from retail_lake.runtime.spark import build_context, mariadb_jdbc_jar, spark_conf


def test_job_arguments_go_through_get_resolved_options():
    argv = [
        "validate.py",
        "--lake",
        "/tmp/lake",
        "--business_date",
        "2026-01-05",
        "--JOB_NAME",
        "v",
    ]
    assert resolve_job_arguments(argv, REQUIRED, OPTIONAL) == {
        "lake": "/tmp/lake",
        "business_date": "2026-01-05",
        "JOB_NAME": "v",
    }


def test_missing_required_argument_is_a_config_error_not_an_exit():
    with pytest.raises(ConfigError, match="lake"):
        resolve_job_arguments(["validate.py", "--business_date", "2026-01-05"], REQUIRED, OPTIONAL)


def test_glue_adds_arguments_we_do_not_know_and_they_are_ignored():
    argv = [
        "x.py",
        "--lake",
        "s3://b/p",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--TempDir",
        "s3://t",
    ]
    assert resolve_job_arguments(argv, REQUIRED, OPTIONAL) == {"lake": "s3://b/p"}


def test_settings_defaults_follow_the_lake(tmp_path):
    local = build_settings({"lake": str(tmp_path)}, env={})
    assert (local.tracker, local.catalog, local.query, local.notifier) == ("local",) * 4
    remote = build_settings({"lake": "s3://bucket/prefix/", "platform": "glue"}, env={})
    assert remote.lake == "s3://bucket/prefix"
    assert (remote.tracker, remote.catalog, remote.query, remote.notifier) == ("aws",) * 4


def test_environment_is_read_in_one_place_and_arguments_win(tmp_path):
    env = {
        "RETAIL_LAKE_LOOKBACK_DAYS": "5",
        "RETAIL_LAKE_JDBC_PARTITIONS": "2",
        "RETAIL_LAKE_ALERT_RECIPIENTS": "a@x, b@x",
    }
    settings = build_settings({"lake": str(tmp_path), "jdbc_partitions": 8}, env=env)
    assert (settings.lookback_days, settings.jdbc_partitions) == (5, 8)
    assert settings.alert_recipients == ("a@x", "b@x")


@pytest.mark.parametrize(
    "values,message",
    [
        ({"platform": "glue"}, "needs an s3:// lake"),
        ({"platform": "spark"}, "platform must be one of"),
        ({"source": "oracle"}, "source must be"),
        ({"lookback_days": "x"}, "lookback_days must be an integer"),
    ],
)
def test_bad_settings_are_rejected_clearly(tmp_path, values, message):
    with pytest.raises(ConfigError, match=message):
        build_settings({"lake": str(tmp_path), **values}, env={})


def test_secrets_stay_out_of_repr_and_reports(tmp_path):
    settings = build_settings(
        {
            "lake": str(tmp_path),
            "db_password": "s3cr3t!",
            "jdbc_url": "jdbc:mysql://u:s3cr3t!@h:3306/db?password=s3cr3t!",
        },
        env={},
    )
    assert "s3cr3t!" not in repr(settings)
    assert "s3cr3t!" not in str(settings.redacted())


def test_local_spark_conf_suits_two_cores(tmp_path):
    conf = spark_conf(build_settings({"lake": str(tmp_path)}, env={}))
    assert conf["spark.master"].startswith("local[")
    assert conf["spark.sql.adaptive.enabled"] == "true"
    assert conf["spark.sql.sources.partitionOverwriteMode"] == "dynamic"
    assert conf.get("spark.jars") == (str(mariadb_jdbc_jar()) if mariadb_jdbc_jar() else None)


def test_local_context_is_a_plain_spark_session_with_the_running_python(spark, tmp_path):
    context = build_context(build_settings({"lake": str(tmp_path)}, env={}), "test-job")
    assert context.spark is spark  # the session that existed is reused ...
    assert context.spark.range(3).count() == 3
    context.commit()
    assert spark.range(2).count() == 2  # ... and not stopped by the job's commit
    import os

    assert os.environ["PYSPARK_PYTHON"] == sys.executable


def test_emr_and_local_arguments_resolve_without_awsglue(monkeypatch):
    """EMR Serverless images have no awsglue: importing it there must never happen."""
    monkeypatch.setitem(sys.modules, "awsglue", None)
    monkeypatch.setitem(sys.modules, "awsglue.utils", None)
    argv = ["aggregate.py", "--lake", "s3://b", "--platform", "emr", "--end_date=2026-01-06"]
    assert resolve_job_arguments(argv, REQUIRED, OPTIONAL) == {
        "lake": "s3://b",
        "platform": "emr",
        "end_date": "2026-01-06",
    }
    with pytest.raises(ConfigError, match="lake"):
        resolve_job_arguments(["aggregate.py", "--platform", "emr"], REQUIRED, OPTIONAL)


def test_glue_arguments_go_through_awsglue(monkeypatch):
    """On Glue the runtime's getResolvedOptions parses; with awsglue missing that fails."""
    argv = ["x.py", "--lake", "s3://b", "--platform", "glue", "--JOB_RUN_ID", "jr_1"]
    assert resolve_job_arguments(argv, REQUIRED, OPTIONAL) == {"lake": "s3://b", "platform": "glue"}
    monkeypatch.setitem(sys.modules, "awsglue.utils", None)
    with pytest.raises(ImportError):
        resolve_job_arguments(argv, REQUIRED, OPTIONAL)


def test_rehearsal_switch_keeps_the_s3_lake_for_every_port_but_storage(tmp_path):
    from retail_lake.storage import LocalStorage, S3Storage, open_lake_storage

    values = {"lake": "s3://bucket", "platform": "emr"}
    plain = build_settings(values, env={})
    s3 = open_lake_storage(plain)
    assert (type(s3), s3.bucket, s3.prefix) == (S3Storage, "bucket", "")
    rehearsed = build_settings({**values, "rehearsal_lake_dir": str(tmp_path)}, env={})
    assert rehearsed.lake == "s3://bucket" and rehearsed.tracker == "aws"
    storage = open_lake_storage(rehearsed)
    assert (type(storage), storage.root) == (LocalStorage, str(tmp_path))
    storage.write_bytes("raw/x.txt", b"rehearsed")  # lands in the folder, not on S3
    assert (tmp_path / "raw" / "x.txt").read_bytes() == b"rehearsed"
