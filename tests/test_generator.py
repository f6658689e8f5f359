"""The retail data generator: determinism, layout, consistency and its manifest.

The manifest is checked against the written files by an independent re-derivation:
the CSVs are read back with pandas as text and the validation rules are applied here,
in the test, without using any generator code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from retail_lake.contracts import RETAIL_TABLES, RULE_ORDER, dataset
from retail_lake.generator import Manifest, generate
from retail_lake.generator.calendar import build_calendar
from tests.landing_reference import dimension_keys, expected_reasons, read_text_csv

START = dt.date(2026, 1, 29)  # Thursday: the first week spans January and February
DAYS = 4
DIRTY = {"stores": 4, "products": 6, "seed": 7, "anomaly_rate": 0.25}
CLEAN = {"stores": 5, "products": 8, "seed": 3}


@pytest.fixture(scope="module")
def dirty_lake(tmp_path_factory) -> tuple[Path, Manifest]:
    lake = tmp_path_factory.mktemp("dirty")
    return lake, generate(lake, START, DAYS, **DIRTY)


@pytest.fixture(scope="module")
def clean_lake(tmp_path_factory) -> tuple[Path, Manifest]:
    lake = tmp_path_factory.mktemp("clean")
    return lake, generate(lake, START, DAYS, **CLEAN)


def business_days() -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range(DAYS)]


def all_files(lake: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()
    }


# -- tests -----------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path, dirty_lake):
    lake, _ = dirty_lake
    again = tmp_path / "again"
    generate(again, START, DAYS, **DIRTY)
    assert all_files(again) == all_files(lake)


def test_another_seed_gives_other_sales(tmp_path, dirty_lake):
    lake, _ = dirty_lake
    other = tmp_path / "other"
    generate(other, START, DAYS, **{**DIRTY, "seed": 8})
    path = f"landing/retail/{START}/sales.csv"
    assert (other / path).read_bytes() != (lake / path).read_bytes()


def test_layout_and_headers_follow_the_contracts(dirty_lake):
    lake, manifest = dirty_lake
    written = {p for p in all_files(lake) if p.startswith("landing/")}
    assert written == set(manifest.files)
    for day in business_days():
        for table in RETAIL_TABLES:
            path = lake / f"landing/retail/{day}/{table}.csv"
            header = path.read_text("utf-8").splitlines()[0].split(",")
            assert header == dataset(table).column_names
    for path in (lake / "landing/store_sales").rglob("*.csv"):
        header = path.read_text("utf-8").splitlines()[0].split(",")
        assert header == dataset("store_sales").column_names


def test_manifest_counts_match_the_files(dirty_lake):
    lake, manifest = dirty_lake
    checked = 0
    for path, entry in manifest.files.items():
        if entry.dataset not in ("sales", "inventory", "store_sales"):
            continue
        frame = read_text_csv(lake / path)
        dims = dimension_keys(lake / f"landing/retail/{entry.date}")
        counts = expected_reasons(frame, entry.dataset, dims).value_counts().to_dict()
        assert len(frame) == entry.rows, path
        assert counts == entry.quarantined, path
        checked += 1
    assert checked == 2 * DAYS + DAYS * len(franchise_store_nums(lake))


def test_every_anomaly_kind_is_injected(dirty_lake):
    _, manifest = dirty_lake
    totals = manifest.totals
    every = set(RULE_ORDER)
    assert set(totals["sales"].quarantined) == every - {"bad_flag"}
    assert set(totals["inventory"].quarantined) == every
    assert set(totals["store_sales"].quarantined) == {
        "missing_required",
        "bad_type",
        "negative_value",
        "duplicate_key",
    }
    for name in ("sales", "inventory", "store_sales"):
        injected = totals[name].injected
        assert injected["duplicate_exact"] >= 1 and injected["duplicate_conflict"] >= 1
        # a conflicting duplicate quarantines both rows, an exact one only the copy
        assert totals[name].quarantined["duplicate_key"] == (
            injected["duplicate_exact"] + 2 * injected["duplicate_conflict"]
        )
    for name in ("calendar", "store", "product", "orders"):
        assert totals[name].quarantined == {}


def test_manifest_file_round_trips(dirty_lake):
    lake, manifest = dirty_lake
    loaded = Manifest.load(lake)
    assert loaded.to_dict() == manifest.to_dict()
    doc = json.loads((lake / "_control/generator_manifest.json").read_text())
    assert doc["parameters"]["seed"] == DIRTY["seed"]
    assert doc["totals"]["sales"]["rows"] == sum(
        e["rows"] for e in doc["files"].values() if e["dataset"] == "sales"
    )


def test_bad_type_dates_are_day_month_year(dirty_lake):
    lake, _ = dirty_lake
    frames = [read_text_csv(p) for p in (lake / "landing/store_sales").rglob("*.csv")]
    dates = pd.concat(frames)["transaction_date"].dropna()
    odd = dates[~dates.str.match(r"^\d{4}-\d{2}-\d{2}$")]
    assert len(odd) >= 1
    assert odd.str.match(r"^\d{2}-\d{2}-\d{4}$").all()


def test_calendar_has_whole_iso_weeks(clean_lake):
    lake, _ = clean_lake
    cal = read_text_csv(lake / f"landing/retail/{START}/calendar.csv")
    dates = pd.to_datetime(cal["cal_dt"])
    assert dates.min().date() <= START and dates.max().date() >= business_days()[-1]
    assert (dates.diff().dropna() == pd.Timedelta(days=1)).all()
    as_int = cal.drop(columns=["cal_dt", "cal_type_desc", "day_of_wk_desc"]).astype(int)
    assert (as_int["yr_wk_num"] == as_int["yr_num"] * 100 + as_int["wk_num"]).all()
    weeks = cal.groupby("yr_wk_num")
    assert (weeks.size() == 7).all()
    for _, week in weeks:
        assert week["day_of_wk_num"].astype(int).tolist() == list(range(1, 8))
    assert dates.dt.dayofweek.iloc[0] == 0 and dates.dt.dayofweek.iloc[-1] == 6
    assert (weeks["mnth_num"].nunique() > 1).any(), "a week spans a month boundary"
    assert (as_int["yr_mnth_num"] == dates.dt.year * 100 + dates.dt.month).all()
    assert (as_int["yr_qtr_num"] == dates.dt.year * 10 + dates.dt.quarter).all()
    assert (as_int["day_of_wk_num"] == dates.dt.dayofweek + 1).all()
    # every day's snapshot is the same full calendar
    for day in business_days():
        assert read_text_csv(lake / f"landing/retail/{day}/calendar.csv").equals(cal)


def test_iso_week_across_new_year():
    cal = build_calendar(dt.date(2025, 12, 30), 3).to_pandas()
    assert str(cal["cal_dt"].iloc[0]) == "2025-12-29"
    assert set(cal["yr_wk_num"]) == {202601}
    assert list(cal["yr_mnth_num"].unique()) == [202512, 202601]


def franchise_store_nums(lake: Path) -> set[str]:
    store = read_text_csv(lake / f"landing/retail/{START}/store.csv")
    return set(store.loc[store["frnchs_flg"] == "1", "store_num"])


def test_franchise_files_one_per_franchise_store(clean_lake):
    lake, _ = clean_lake
    store = read_text_csv(lake / f"landing/retail/{START}/store.csv")
    franchised = franchise_store_nums(lake)
    assert 0 < len(franchised) < len(store)
    names = set(read_text_csv(lake / f"landing/retail/{START}/product.csv")["prod_name"])
    lines_per_order = []
    for day in business_days():
        folder = lake / f"landing/store_sales/{day}"
        assert {p.stem for p in folder.glob("*.csv")} == franchised
        for path in folder.glob("*.csv"):
            frame = read_text_csv(path)
            assert (frame["franchise_store"] == path.stem).all()
            assert (frame["transaction_date"] == str(day)).all()
            assert frame["item"].isin(names).all()
            assert frame["row_id"].is_unique
            lines_per_order += frame.groupby("order_id").size().tolist()
    assert max(lines_per_order) > 1


def test_sales_amounts_are_consistent(clean_lake):
    lake, _ = clean_lake
    for day in business_days():
        sales = read_text_csv(lake / f"landing/retail/{day}/sales.csv")
        cents = {c: (sales[c].astype(float) * 100).round().astype(int) for c in sales.columns[5:]}
        assert (sales["trans_dt"] == str(day)).all()
        assert sales["trans_id"].is_unique
        assert (
            cents["sales_amt"]
            == cents["sales_qty"] * cents["sales_price"] // 100 - cents["discount"]
        ).all()
        assert (cents["sales_mgrn"] == cents["sales_amt"] - cents["sales_cost"]).all()
        assert sales["sales_amt"].str.match(r"^\d+\.\d\d$").all()


def test_inventory_makes_low_and_out_of_stock_days(clean_lake):
    lake, manifest = clean_lake
    low = oos = 0
    for day in business_days():
        inv = read_text_csv(lake / f"landing/retail/{day}/inventory.csv")
        sales = read_text_csv(lake / f"landing/retail/{day}/sales.csv")
        assert len(inv) == CLEAN["stores"] * CLEAN["products"]
        assert not inv.duplicated(["cal_dt", "store_key", "prod_key"]).any()
        sold = (
            sales.assign(q=sales["sales_qty"].astype(float))
            .groupby(["store_key", "prod_key"])["q"]
            .sum()
            .rename("qty")
        )
        joined = inv.join(sold, on=["store_key", "prod_key"]).fillna({"qty": 0.0})
        on_hand = joined["inventory_on_hand_qty"].astype(float)
        low += int((on_hand < joined["qty"]).sum())
        oos += int((joined["out_of_stock_flg"] == "1").sum())
        assert (on_hand[joined["out_of_stock_flg"] == "1"] == 0).all()
    assert low > 0 and oos > 0
    assert manifest.stats["low_stock_snapshots"] == low
    assert manifest.stats["out_of_stock_snapshots"] == oos


def test_orders_batches_use_the_agreed_format(clean_lake):
    lake, _ = clean_lake
    for day in business_days():
        doc = json.loads((lake / f"landing/orders/orders_{day}.json").read_text("utf-8"))
        assert list(doc) == ["orders"] and doc["orders"]
        for order in doc["orders"]:
            assert set(order) == {"contact-info", "order-info"}
            assert set(order["contact-info"]) == {"name", "email", "phone"}
            info = order["order-info"]
            assert set(info) == {"OrderId", "item-id", "qty", "price", "order-date"}
            assert re.match(rf"^O-{day:%Y%m%d}-\d{{6}}$", info["OrderId"])
            assert re.match(r"^P-\d{4}$", info["item-id"])
            assert info["order-date"] == str(day) and info["qty"] >= 1


def test_clean_run_has_no_anomalies(clean_lake):
    lake, manifest = clean_lake
    for path, entry in manifest.files.items():
        assert entry.quarantined == {}, path
    inv = read_text_csv(lake / f"landing/retail/{START}/inventory.csv")
    dims = dimension_keys(lake / f"landing/retail/{START}")
    assert expected_reasons(inv, "inventory", dims).isna().all()
