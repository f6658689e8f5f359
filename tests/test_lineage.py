"""OpenLineage events of the daily workflow: every event valid, START and COMPLETE (or
FAIL) per step, one parent workflow run, names by the naming spec, facets from the
contracts and the step reports."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest

from retail_lake.config import ConfigError, build_settings
from retail_lake.contracts import dataset
from retail_lake.jobs.errors import StepError
from retail_lake.lineage import (
    LakeTransport,
    Naming,
    StepLineage,
    as_run_id,
    build_transport,
    read_lineage_log,
    step_io,
)
from retail_lake.runner.local import run_pipeline
from retail_lake.runner.workflow import daily
from retail_lake.storage import layout, open_storage
from tests.openlineage_schema import validator
from tests.test_pipeline_files import D1, deliver, sale
from tests.test_step_alerts import outbox


def events(lake) -> list[dict]:
    """Every lineage event in the lake, day by day in emission order."""
    storage = open_storage(str(lake))
    out = []
    for day in storage.list_dirs("_control/lineage"):
        out += read_lineage_log(storage, dt.date.fromisoformat(day))
    return out


def assert_all_valid(all_events: list[dict]) -> None:
    check = validator()
    for event in all_events:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(event)]
        assert not errors, (event["eventType"], event["job"]["name"], errors[:5])


def by_name(datasets: list[dict]) -> dict[str, dict]:
    return {d["name"]: d for d in datasets}


@pytest.mark.spark
def test_every_step_emits_valid_start_and_complete_events(spark, lake_dir):
    deliver(lake_dir, D1, [sale(1, D1, 2, 20), sale(2, D1, 1, 10), sale(3, D1, -1, 5)])
    run_pipeline(build_settings({"lake": str(lake_dir)}, env={}), D1, spark=spark)

    all_events = events(lake_dir)
    assert_all_valid(all_events)
    steps = [s.name for s in daily().ordered()]
    seen = Counter((e["job"]["name"], e["eventType"]) for e in all_events)
    assert seen == Counter(
        {(f"retail-lake-daily.{s}", t): 1 for s in steps for t in ("START", "COMPLETE")}
    )
    # one run per step (START and COMPLETE share it), all under one workflow run
    runs = {e["job"]["name"]: set() for e in all_events}
    for e in all_events:
        runs[e["job"]["name"]].add(e["run"]["runId"])
    assert all(len(ids) == 1 for ids in runs.values())
    parents = {
        (p["run"]["runId"], p["job"]["namespace"], p["job"]["name"])
        for p in (e["run"]["facets"]["parent"] for e in all_events)
    }
    assert len(parents) == 1 and next(iter(parents))[2] == "retail-lake-daily"
    assert all(
        e["run"]["facets"]["nominalTime"]["nominalStartTime"] == "2026-01-05T00:00:00Z"
        for e in all_events
    )

    complete = {
        e["job"]["name"].split(".")[1]: e for e in all_events if e["eventType"] == "COMPLETE"
    }
    namespace = f"file://{lake_dir}"
    extract, validate = complete["extract"], complete["validate"]
    assert {d["namespace"] for d in extract["inputs"] + extract["outputs"]} == {namespace}
    assert "landing/retail/2026-01-05/sales.csv" in by_name(extract["inputs"])
    assert set(by_name(extract["outputs"])) == {
        "raw/retail/sales", "raw/retail/inventory", "raw/retail/calendar",
        "raw/retail/product", "raw/retail/store", "raw/store_sales",
    }  # fmt: skip
    outputs = by_name(validate["outputs"])
    assert {"validated/sales", "quarantine/sales"} <= set(outputs)
    assert outputs["validated/sales"]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert outputs["quarantine/sales"]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    fields = outputs["validated/sales"]["facets"]["schema"]["fields"]
    assert [f["name"] for f in fields][: len(dataset("sales").columns)] == dataset(
        "sales"
    ).column_names
    assert {f["name"]: f["type"] for f in fields}["sales_amt"] == "decimal(18,2)"

    raw_sales = by_name(validate["inputs"])["raw/retail/sales"]["inputFacets"]
    assertions = {a["name"]: a for a in raw_sales["dataQualityAssertions"]["assertions"]}
    assert assertions["rows_accounted"]["success"] is True
    assert assertions["rows_accounted"]["assertion"] == "rows_in = valid + quarantined"
    assert (assertions["negative_value"]["success"], assertions["negative_value"]["actual"]) == (
        False,
        "1",
    )
    assert raw_sales["dataQualityMetrics"]["rowCount"] == 3

    aggregate = by_name(complete["aggregate"]["outputs"])
    assert "curated/weekly_sales_inventory" in aggregate
    assert aggregate["curated/dim_store"]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    catalog = complete["catalog"]["outputs"]
    assert {d["namespace"] for d in catalog} == {f"duckdb://{lake_dir}/_control/catalog.duckdb"}
    assert {"retail_lake.weekly_sales_inventory", "retail_lake.v_data_quality_summary"} <= {
        d["name"] for d in catalog
    }


@pytest.mark.spark
def test_a_failing_step_emits_fail_and_one_alert(spark, lake_dir):
    deliver(lake_dir, D1, [sale(1, D1, 2, 20)])
    (lake_dir / layout.landing_retail(D1, "sales")).write_text("not,the,header\n1,2,3\n")
    with pytest.raises(StepError, match="step 'extract' failed for 2026-01-05"):
        run_pipeline(build_settings({"lake": str(lake_dir)}, env={}), D1, spark=spark)

    all_events = events(lake_dir)
    assert_all_valid(all_events)
    assert [(e["job"]["name"], e["eventType"]) for e in all_events] == [
        ("retail-lake-daily.extract", "START"),
        ("retail-lake-daily.extract", "FAIL"),
    ]
    error = all_events[1]["run"]["facets"]["errorMessage"]
    assert "sales.csv" in error["message"] and error["programmingLanguage"] == "python"
    assert "parent" in all_events[1]["run"]["facets"]

    [message] = outbox(lake_dir)
    assert message["Subject"] == "[retail-lake] step 'extract' failed for 2026-01-05"
    assert "sales.csv" in message.get_content()


def test_s3_names_keep_the_lake_prefix_and_mysql_the_database():
    naming = Naming(
        "s3://bucket/lake",
        "arn:aws:glue:us-east-1:123456789012",
        glue_catalog=True,
        source_namespace="mysql://db.example.com:3306",
        source_database="shop",
    )
    inputs, outputs = step_io("validate", naming, [D1])
    assert ("s3://bucket", "lake/raw/retail/sales") in {(d.namespace, d.name) for d in inputs}
    inputs, _ = step_io("extract", naming, [D1], source="mysql")
    assert ("mysql://db.example.com:3306", "shop.sales") in {(d.namespace, d.name) for d in inputs}
    assert ("s3://bucket", "lake/landing/store_sales/2026-01-05") in {
        (d.namespace, d.name) for d in inputs
    }
    _, outputs = step_io("catalog", naming, [D1])
    assert ("arn:aws:glue:us-east-1:123456789012", "table/retail_lake/quarantine_sales") in {
        (d.namespace, d.name) for d in outputs
    }


def test_lineage_setting_selects_the_transport(lake_dir):
    storage = open_storage(str(lake_dir))
    assert type(build_transport("lake", storage)).__name__ == "LakeTransport"
    assert build_transport("off", storage) is None
    assert type(build_transport("http://marquez:5000", storage)).__name__ == "HttpTransport"
    datazone = build_transport("datazone:dzd_abc123", storage, "us-east-1")
    assert type(datazone).__name__ == "AmazonDataZoneTransport"
    assert datazone.config.domain_id == "dzd_abc123"
    with pytest.raises(ConfigError, match="lineage must be"):
        build_settings({"lake": str(lake_dir), "lineage": "kafka"}, env={})


class GatedStorage:
    """Lake storage whose writes from the first writer wait until the second has written:
    a read-modify-write log would lose the second writer's event here."""

    def __init__(self, inner, first: str) -> None:
        self.inner = inner
        self.first = first
        self.second_wrote = threading.Event()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def write_bytes(self, rel: str, data: bytes) -> None:
        if threading.current_thread().name == self.first:
            assert self.second_wrote.wait(10), "the second writer never wrote"
            self.inner.write_bytes(rel, data)
        else:
            self.inner.write_bytes(rel, data)
            self.second_wrote.set()


def test_two_interleaved_writers_lose_no_event(lake_dir):
    storage = GatedStorage(open_storage(str(lake_dir)), first="glue-job")
    naming = Naming(str(lake_dir), "duckdb://catalog")

    def writer(step: str) -> None:
        lineage = StepLineage(LakeTransport(storage), naming, "retail-lake-daily", "wr_1")
        lineage.start(step, f"run-{step}", [D1])

    threads = [
        threading.Thread(target=writer, args=("crawl",), name="glue-job"),
        threading.Thread(target=writer, args=("catalog",), name="lambda"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    all_events = events(lake_dir)
    assert_all_valid(all_events)
    assert sorted(e["job"]["name"] for e in all_events) == [
        "retail-lake-daily.catalog",
        "retail-lake-daily.crawl",
    ]
    assert [e["eventTime"] for e in all_events] == sorted(e["eventTime"] for e in all_events)


def test_the_log_of_a_day_is_in_emission_order(lake_dir):
    storage = open_storage(str(lake_dir))
    lineage = StepLineage(LakeTransport(storage), Naming(str(lake_dir), "duckdb://c"), "wf", "wr")
    for n in range(5):
        lineage.start("crawl", f"run-{n}", [D1])
        lineage.complete("crawl", f"run-{n}", [D1], None)
    day = dt.datetime.now(dt.UTC).date()

    log = read_lineage_log(storage, day)
    assert [e["eventTime"] for e in log] == sorted(e["eventTime"] for e in log)
    ids = [(e["run"]["runId"], e["eventType"]) for e in log]
    assert ids == [(as_run_id(f"run-{n}"), t) for n in range(5) for t in ("START", "COMPLETE")]
    files = storage.list_files(f"_control/lineage/{day}")
    assert len(files) == 10 and all(f.endswith(".json") for f in files)


def test_run_ids_are_uuids_and_stable():
    assert as_run_id("0" * 32) == "00000000-0000-0000-0000-000000000000"
    assert as_run_id("wr_1") == as_run_id("wr_1") != as_run_id("wr_2")
