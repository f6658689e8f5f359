"""What a date waits for depends on the source, and what starts a MySQL-sourced date.

With ``source=files`` the five retail dumps and the franchise files land; with
``source=mysql`` the run reads the retail tables over JDBC, so only the franchise
files are waited for, and a schedule (not a file) starts the date. Whatever fires
first (that schedule, the file checks, ``retail-lake check``) starts the date once.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retail_lake.completeness import (
    FILE_DATASETS,
    expected_files,
    franchise_stores_from_validated,
    resolve_franchise_stores,
    run_check,
)
from retail_lake.config import build_settings
from retail_lake.contracts import RETAIL_TABLES
from retail_lake.storage import layout, open_storage
from tests.aws_readback import ses_sent
from tests.completeness_support import (
    BUCKET,
    FRANCHISE,
    ONE_DATE_RUN,
    PREFIX,
    ROOT,
    WORKFLOW,
    AwsLake,
    D,
    RecordingStarter,
    landing_files,
    outbox,
    scheduled,
    section,
)
from tests.infra_support import load

FRANCHISE_FILES = sorted(layout.landing_store_sales(D, n) for n in FRANCHISE)


def validated_store(franchise=FRANCHISE, others=(103,)) -> bytes:
    """A validated store dimension as Parquet: typed columns, boolean flag."""
    nums = [*franchise, *others]
    table = pa.table(
        {
            "store_key": pa.array(range(1, len(nums) + 1), pa.int64()),
            "store_num": pa.array(nums, pa.int64()),
            "frnchs_flg": pa.array([True] * len(franchise) + [False] * len(others)),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


VALIDATED_STORE = f"{layout.validated_dir('store')}/part-00000-abc.snappy.parquet"


# -- which files, per source -------------------------------------------------------------


def test_expected_files_depend_on_the_source():
    files = [e.key for e in expected_files(D, FRANCHISE, "files")]
    assert files == [layout.landing_retail(D, t) for t in RETAIL_TABLES] + FRANCHISE_FILES
    mysql = expected_files(D, FRANCHISE, "mysql")
    assert [(e.dataset, e.key) for e in mysql] == [("store_sales", k) for k in FRANCHISE_FILES]
    with pytest.raises(ValueError, match="files or mysql"):
        expected_files(D, FRANCHISE, "oracle")


def test_the_files_waited_for_are_the_files_the_extract_ingests():
    from retail_lake.jobs.extract_files import FILE_ONLY_DATASETS

    assert FILE_DATASETS["mysql"] == FILE_ONLY_DATASETS
    assert set(FILE_DATASETS["files"]) == {*RETAIL_TABLES, *FILE_ONLY_DATASETS}


def test_mysql_franchise_stores_come_from_the_validated_store_dimension(lake_dir):
    storage = open_storage(str(lake_dir))
    assert franchise_stores_from_validated(storage) is None
    assert resolve_franchise_stores(storage, D, source="mysql") is None
    storage.write_bytes(VALIDATED_STORE, validated_store((7, 3), others=(5,)))
    storage.write_bytes(f"{layout.validated_dir('store')}/_SUCCESS", b"")
    assert franchise_stores_from_validated(storage) == [3, 7]
    # no store.csv lands with mysql; the date's landing folder is not consulted
    assert resolve_franchise_stores(storage, D, source="mysql") == [3, 7]
    assert resolve_franchise_stores(storage, D, source="files") is None
    assert resolve_franchise_stores(storage, D, override=[9], source="mysql") == [9]


# -- local check with source=mysql -------------------------------------------------------


@pytest.fixture
def mysql_lake(lake_dir):
    settings = build_settings({"lake": str(lake_dir), "source": "mysql"}, env={})
    storage = open_storage(settings.lake)
    storage.write_bytes(VALIDATED_STORE, validated_store())
    return settings, storage


def test_local_mysql_date_starts_with_only_the_franchise_files(mysql_lake):
    settings, storage = mysql_lake
    for rel, content in landing_files(tables=()).items():
        storage.write_bytes(rel, content)
    starter = RecordingStarter()
    result = run_check(settings, D, starter, claim_lease=None)
    assert (result.action, result.missing, result.source) == ("started", (), "mysql")
    assert [e.key for e in result.expected] == FRANCHISE_FILES
    assert starter.calls == [D]


def test_local_mysql_missing_franchise_file_alerts(mysql_lake, lake_dir):
    settings, storage = mysql_lake
    storage.write_bytes(layout.landing_store_sales(D, 101), b"sales of 101\n")
    starter = RecordingStarter()
    result = run_check(settings, D, starter)
    assert result.action == "alerted" and starter.calls == []
    [mail] = outbox(lake_dir)
    assert mail["Subject"] == "[retail-lake] 2024-03-04: 1 of 2 expected files missing"
    assert section(mail.get_content(), "Missing") == [layout.landing_store_sales(D, 102)]


def test_local_first_mysql_load_expects_no_franchise_file(lake_dir):
    """No run has validated a store dimension yet: the date starts, not waits forever."""
    settings = build_settings({"lake": str(lake_dir), "source": "mysql"}, env={})
    starter = RecordingStarter()
    result = run_check(settings, D, starter, claim_lease=None)
    assert (result.action, result.expected) == ("started", ())
    assert starter.calls == [D]


# -- AWS: the MySQL schedule through the Lambda ------------------------------------------


@pytest.fixture
def aws_mysql(aws, monkeypatch):
    monkeypatch.setenv("RETAIL_LAKE_SOURCE", "mysql")
    lake = AwsLake(aws, monkeypatch)
    key = f"{PREFIX}/{VALIDATED_STORE}"
    aws.client("s3").put_object(Bucket=BUCKET, Key=key, Body=validated_store())
    return lake


def test_scheduled_event_starts_a_mysql_date_once_and_a_later_file_check_does_not(aws_mysql):
    aws_mysql.deliver_all(landing_files(tables=()))  # franchise files only
    at_two = scheduled("2024-03-05T02:00:00Z")  # the MysqlRunRule's event for the 4th

    first = aws_mysql.check(at_two)
    second = aws_mysql.check(at_two)  # the same event delivered twice

    assert (first["action"], second["action"]) == ("started", "already_started")
    assert first["business_date"] == "2024-03-04" and first["source"] == "mysql"
    assert first["expected"] == FRANCHISE_FILES and first["missing"] == []
    assert aws_mysql.glue_runs() == [ONE_DATE_RUN]

    # a franchise store re-sends its file, and the file check of 03:00 runs
    assert aws_mysql.deliver(FRANCHISE_FILES[0], b"restated\n")["status"] == "new_version"
    later = aws_mysql.check(scheduled("2024-03-05T03:00:00Z"))
    assert later["action"] == "already_started"
    assert later["workflow_run_id"] == first["workflow_run_id"]
    assert aws_mysql.glue_runs() == [ONE_DATE_RUN]
    start = aws_mysql.tracker().workflow_start(WORKFLOW, D)
    assert (start.state, start.external_run_id) == ("started", first["workflow_run_id"])
    assert ses_sent() == []


def test_scheduled_mysql_check_alerts_about_missing_franchise_files(aws_mysql):
    aws_mysql.deliver(FRANCHISE_FILES[0], b"sales of 101\n")
    result = aws_mysql.check(scheduled("2024-03-05T02:00:00Z"))
    assert result["action"] == "alerted" and result["missing"] == FRANCHISE_FILES[1:]
    [mail] = ses_sent()
    assert mail.subject == "[retail-lake] 2024-03-04: 1 of 2 expected files missing"
    assert section(mail.body, "Missing") == FRANCHISE_FILES[1:]
    assert aws_mysql.glue_runs() == []


# -- the schedule in the root template ---------------------------------------------------


def test_the_mysql_schedule_invokes_the_check_only_when_the_source_is_mysql():
    template = load(ROOT / "cloudformation" / "retail_lake.yaml")
    resources = template["Resources"]
    assert template["Conditions"]["IsMysqlSource"] == {"Fn::Equals": [{"Ref": "Source"}, "mysql"]}
    assert template["Parameters"]["MysqlRunSchedule"]["Default"] == "cron(0 2 * * ? *)"

    rule = resources["MysqlRunRule"]
    assert rule["Type"] == "AWS::Events::Rule" and rule["Condition"] == "IsMysqlSource"
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "MysqlRunSchedule"}
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["CheckCompletenessFunction", "Arn"]}

    permission = resources["MysqlRunPermission"]
    assert permission["Condition"] == "IsMysqlSource"
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    assert permission["Properties"]["FunctionName"] == {"Ref": "CheckCompletenessFunction"}
    assert permission["Properties"]["SourceArn"] == {"Fn::GetAtt": ["MysqlRunRule", "Arn"]}

    # the Lambda knows the source, so it waits for the right files
    env = resources["CheckCompletenessFunction"]["Properties"]["Environment"]["Variables"]
    assert env["RETAIL_LAKE_SOURCE"] == {"Ref": "Source"}
    assert env["RETAIL_LAKE_FRANCHISE_STORES"] == {"Ref": "FranchiseStores"}
