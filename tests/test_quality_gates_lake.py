"""Quality gates through the whole local workflow: a halted load, a warning, and the rerun.

Three days of a tiny lake are merged; on the fourth the store snapshot cannot be
parsed at all (a halt by default) and the sales file shrinks to one row (a volume
warning). The store dimension and the curated tables must stay byte for byte as
they were, the rejects must be in quarantine, the operator must get one gate alert
and one failure alert, and a rerun with the fixed file must merge cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
import pytest

from retail_lake.config import build_settings
from retail_lake.jobs.errors import StepError
from retail_lake.runner.local import run_pipeline
from retail_lake.storage import layout
from retail_lake.transforms.key_loss import key_loss_counts
from retail_lake.transforms.rules import LOAD_DATE
from tests.completeness_support import outbox
from tests.frames import calendar_rows, write_landing

D1 = dt.date(2026, 1, 5)
DAYS = [D1 + dt.timedelta(days=i) for i in range(4)]
D4 = DAYS[-1]
STORES = [
    {"store_key": 1, "store_num": 101, "frnchs_flg": 0, "region": "West"},
    {"store_key": 2, "store_num": 102, "frnchs_flg": 0, "region": "East"},
]
PRODUCTS = [{"prod_key": 10, "prod_name": "Tea"}, {"prod_key": 11, "prod_name": "Coffee"}]


def _sales(day: dt.date, n: int) -> list[dict]:
    base = day.toordinal() * 100
    return [
        {
            "trans_id": base + i,
            "prod_key": 10 + i % 2,
            "store_key": 1 + i % 2,
            "trans_dt": day.isoformat(),
            "sales_qty": 1,
            "sales_amt": 2,
            "sales_cost": 1,
        }
        for i in range(n)
    ]


def _deliver(lake, day: dt.date, stores: list[dict], sales: int) -> None:
    for name, rows in {
        "calendar": calendar_rows(dt.date(2026, 1, 4), 1),
        "store": stores,
        "product": PRODUCTS,
        "sales": _sales(day, sales),
        "inventory": [],
    }.items():
        write_landing(lake, layout.landing_retail(day, name), name, rows)


def _fingerprint(folder) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(lake, spark, start, end=None):
    settings = build_settings({"lake": str(lake), "lineage": "off"}, env={})
    return run_pipeline(settings, start, end, spark=spark)


@pytest.fixture(scope="module")
def halted(spark, tmp_path_factory):
    """The lake after three good days and a fourth whose store snapshot is unparseable."""
    lake = tmp_path_factory.mktemp("gates") / "lake"
    for day in DAYS[:3]:
        _deliver(lake, day, STORES, sales=10)
    _run(lake, spark, DAYS[0], DAYS[2])
    before = {
        zone: _fingerprint(lake / zone)
        for zone in (layout.validated_dir("store"), layout.curated_dir("weekly_sales_inventory"))
    }
    garbled = [{**row, "store_key": f"#{row['store_key']}"} for row in STORES]
    _deliver(lake, D4, garbled, sales=1)
    with pytest.raises(StepError) as raised:
        _run(lake, spark, D4)
    return lake, before, raised.value


def test_the_step_fails_naming_dataset_file_figure_and_threshold(halted):
    _lake, _before, error = halted
    assert error.step == "validate"
    assert (
        "GateHalt: 1 quality gate(s) halted: store load 2026-01-08 (landing/retail/2026-01-08/store.csv):"
        in str(error)
    )
    assert "quarantine_share 100.0% >= 100.0% -> halt; 2 of 2 rows quarantined" in str(error)


def test_the_halted_dimension_and_the_curated_tables_are_untouched(halted):
    lake, before, _error = halted
    for zone, fingerprint in before.items():
        assert _fingerprint(lake / zone) == fingerprint, zone


def test_the_rejects_are_in_quarantine_and_the_facts_used_the_previous_dimension(halted):
    lake, _before, _error = halted
    rejects = pd.read_parquet(lake / layout.quarantine_partition("store", D4))
    assert sorted(rejects["store_key"]) == ["#1", "#2"]
    assert set(rejects["reject_reason"]) == {"bad_type"}
    sales = pd.read_parquet(lake / layout.validated_dir("sales"))
    # the one sale of the day references store 1, known from the merged loads
    of_d4 = sales[sales["trans_dt"].astype(str) == D4.isoformat()]
    assert of_d4["trans_id"].tolist() == [D4.toordinal() * 100]


def test_the_report_records_every_judged_gate(halted):
    lake, _before, _error = halted
    report = json.loads((lake / layout.report(D4, "validate")).read_text())
    store, sales = report["datasets"]["store"], report["datasets"]["sales"]
    assert store["halted"] is True and sales["halted"] is False
    assert [(g["gate"], g["action"]) for g in store["gates"]] == [
        ("quarantine_share", "halt"),
        ("volume", None),
        ("key_loss", "warn"),
    ]
    volume = next(g for g in sales["gates"] if g["gate"] == "volume")
    assert (volume["figure"], volume["action"], volume["threshold"]) == (10.0, "warn", 5.0)


def test_one_gate_alert_and_one_failure_alert(halted):
    lake, _before, _error = halted
    subjects = sorted(m["Subject"] for m in outbox(lake))
    assert subjects == [
        "[retail-lake] quality gates for 2026-01-08: 1 halted, 2 warned",
        "[retail-lake] step 'validate' failed for 2026-01-08",
    ]
    gates = next(m for m in outbox(lake) if "quality gates" in m["Subject"]).get_content()
    assert (
        "[halt] store load 2026-01-08 (landing/retail/2026-01-08/store.csv): quarantine_share 100.0%"
        in gates
    )
    assert (
        "[warn] store load 2026-01-08 (landing/retail/2026-01-08/store.csv): key_loss 100.0% >= 20.0%"
        in gates
    )
    assert (
        "[warn] sales load 2026-01-08 (landing/retail/2026-01-08/sales.csv): volume 10.0x >= 5.0x"
        in gates
    )


def test_the_gate_figures_are_published_as_metrics(halted):
    lake, _before, _error = halted
    lines = (lake / layout.metrics(D4.isoformat(), "data_quality")).read_text().splitlines()
    points = [json.loads(line) for line in lines]
    by = {
        (p["metric"], p["dimensions"]["Dataset"], p["dimensions"].get("Action")): p for p in points
    }
    assert by[("QuarantineShare", "store", None)]["value"] == 100.0
    assert by[("GateBreaches", "store", "halt")]["value"] == 1
    assert by[("GateBreaches", "sales", "warn")]["value"] == 1
    assert by[("VolumeFactor", "sales", None)]["value"] == 10.0


def test_the_fixed_snapshot_reruns_cleanly(halted, spark):
    lake, before, _error = halted
    _deliver(lake, D4, STORES, sales=10)
    _run(lake, spark, D4)
    report = json.loads((lake / layout.report(D4, "validate")).read_text())
    assert not any(g["action"] for d in report["datasets"].values() for g in d["gates"])
    assert report["datasets"]["store"]["halted"] is False
    store = pd.read_parquet(lake / layout.validated_dir("store"))
    assert set(store[LOAD_DATE].astype(str)) == {D4.isoformat()}
    assert not (lake / layout.quarantine_partition("store", D4)).exists()
    assert (
        _fingerprint(lake / layout.curated_dir("weekly_sales_inventory"))
        != before[layout.curated_dir("weekly_sales_inventory")]
    )


def test_key_loss_counts_per_load(spark):
    known = spark.createDataFrame(
        [(1, dt.date(1, 1, 1)), (2, dt.date(1, 1, 1)), (3, dt.date(2026, 1, 6))],
        "__ref_key int, __ref_since date",
    )
    valid = spark.createDataFrame(
        [(1, dt.date(2026, 1, 6)), (3, dt.date(2026, 1, 6)), (3, dt.date(2026, 1, 7))],
        f"store_key int, {LOAD_DATE} date",
    )
    rows = key_loss_counts(known, valid, "store_key", ["2026-01-06", "2026-01-07"]).collect()
    # on the 6th keys 1 and 2 were known and 2 is missing; on the 7th 1, 2 and 3
    # were known (3 since the 6th) and only 3 came
    assert sorted((str(r[LOAD_DATE]), r["had"], r["lost"]) for r in rows) == [
        ("2026-01-06", 2, 1),
        ("2026-01-07", 3, 2),
    ]


def test_in_a_backfill_only_the_halted_load_is_left_out(spark, tmp_path):
    """Five loads in one run, the fourth store snapshot unparseable: the fifth is merged."""
    lake = tmp_path / "lake"
    days = [*DAYS, D4 + dt.timedelta(days=1)]
    for day in days:
        garbled = [{**row, "store_key": f"#{row['store_key']}"} for row in STORES]
        _deliver(lake, day, garbled if day == D4 else STORES, sales=10)
    with pytest.raises(StepError, match="store load 2026-01-08"):
        _run(lake, spark, days[0], days[-1])
    store = pd.read_parquet(lake / layout.validated_dir("store"))
    assert set(store[LOAD_DATE].astype(str)) == {days[-1].isoformat()}
    reports = {day: json.loads((lake / layout.report(day, "validate")).read_text()) for day in days}
    assert [reports[day]["datasets"]["store"]["halted"] for day in days] == [
        False,
        False,
        False,
        True,
        False,
    ]
    assert len(pd.read_parquet(lake / layout.quarantine_partition("store", D4))) == 2
