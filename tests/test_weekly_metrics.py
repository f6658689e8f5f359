"""The weekly metrics (docs/design.md, Weekly metrics) on tiny hand-computed data, one behaviour per test.

Calendar: Sunday-Saturday weeks; week 202601 = 2025-12-28..2026-01-03 spans a
month and a year boundary, week 202602 = 2026-01-04..2026-01-10.
"""

from __future__ import annotations

import datetime as dt

import pytest

from retail_lake.transforms.weekly import weekly_metrics
from tests.frames import calendar_rows, typed_frame

W1, W2 = 202601, 202602


def sale(trans_id, day, qty, amt, cost, store=1, prod=10):
    return {
        "trans_id": trans_id,
        "prod_key": prod,
        "store_key": store,
        "trans_dt": day,
        "sales_qty": qty,
        "sales_amt": amt,
        "sales_cost": cost,
        "sales_price": 1,
    }


def snap(day, on_hand, on_order, oos, store=1, prod=10):
    return {
        "cal_dt": day,
        "store_key": store,
        "prod_key": prod,
        "inventory_on_hand_qty": on_hand,
        "inventory_on_order_qty": on_order,
        "out_of_stock_flg": oos,
    }


SALES = [
    sale(1, "2025-12-28", 2, 20, 12),
    sale(2, "2025-12-28", 3, 30, 18),  # two transactions on one day
    sale(3, "2025-12-30", 1, 15, 9),
    sale(4, "2025-12-31", 2, 22, 14),  # a day without snapshot
    sale(5, "2026-01-04", 4, 40, 20, prod=11),  # product 11: a week without snapshot
]
INVENTORY = [
    snap("2025-12-28", 4, 10, 0),  # low: 4 < 5
    snap("2025-12-29", 0, 0, 1),  # out of stock, no sales
    snap("2025-12-30", 0, 5, 1),  # out of stock and low: 0 < 1
    snap("2026-01-01", 8, 0, 0),  # last snapshot of week 1, two days before its end
    snap("2026-01-05", 3, 2, 0),  # week 2: snapshot but no sales
]


@pytest.fixture(scope="module")
def result(spark):
    calendar = typed_frame(spark, "calendar", calendar_rows(dt.date(2025, 12, 28), 2))
    frame = weekly_metrics(
        typed_frame(spark, "sales", SALES), typed_frame(spark, "inventory", INVENTORY), calendar
    )
    return {(r.yr_wk_num, r.store_key, r.prod_key): r.asDict() for r in frame.collect()}


def test_one_row_per_week_store_product_with_activity(result):
    assert sorted(result) == [(W1, 1, 10), (W2, 1, 10), (W2, 1, 11)]


def test_week_attributes_come_from_the_calendar(result):
    row = result[(W1, 1, 10)]
    assert (row["yr_num"], row["wk_num"], row["week_end_dt"]) == (2026, 1, dt.date(2026, 1, 3))
    assert result[(W2, 1, 11)]["week_end_dt"] == dt.date(2026, 1, 10)


def test_sales_sums_over_several_transactions_and_days(result):
    row = result[(W1, 1, 10)]
    assert row["total_sales_qty"] == 8.0
    assert row["total_sales_amt"] == 87.0
    assert row["total_cost_amt"] == 53.0


def test_avg_sales_price(result):
    assert result[(W1, 1, 10)]["avg_sales_price"] == pytest.approx(87 / 8, rel=1e-9)
    assert result[(W2, 1, 10)]["avg_sales_price"] is None  # no sales that week


def test_end_of_week_stock_is_the_last_snapshot_in_the_week(result):
    row = result[(W1, 1, 10)]
    assert (row["eow_stock_on_hand_qty"], row["eow_stock_on_order_qty"]) == (8.0, 0.0)
    row = result[(W2, 1, 11)]
    assert (row["eow_stock_on_hand_qty"], row["eow_stock_on_order_qty"]) == (None, None)


def test_in_stock_pct(result):
    assert result[(W1, 1, 10)]["in_stock_pct"] == 50.0  # 2 of 4 snapshot days
    assert result[(W2, 1, 10)]["in_stock_pct"] == 100.0
    assert result[(W2, 1, 11)]["in_stock_pct"] is None  # no snapshot


def test_low_and_out_of_stock_instances(result):
    row = result[(W1, 1, 10)]
    assert (row["low_stock_instances"], row["no_stock_instances"]) == (2, 2)
    assert row["total_low_stock_impact"] == 4  # d1: 0+1, d2: 1+0, d3: 1+1
    assert (
        result[(W2, 1, 11)]["low_stock_instances"],
        result[(W2, 1, 11)]["no_stock_instances"],
    ) == (0, 0)


def test_potential_low_stock_impact(result):
    # d1: 50 - 4*50/5 = 10; d3: 15 - 0*15/1 = 15
    assert result[(W1, 1, 10)]["potential_low_stock_impact"] == pytest.approx(25.0, rel=1e-9)
    assert result[(W2, 1, 10)]["potential_low_stock_impact"] == 0.0


def test_no_stock_impact(result):
    assert result[(W1, 1, 10)]["no_stock_impact"] == 15.0  # sales on the out-of-stock day d3
    assert result[(W2, 1, 10)]["no_stock_impact"] == 0.0


def test_weeks_of_supply(result):
    assert result[(W1, 1, 10)]["weeks_of_supply"] == 1.0  # 8 on hand / 8 sold
    assert result[(W2, 1, 10)]["weeks_of_supply"] is None  # no sales
    assert result[(W2, 1, 11)]["weeks_of_supply"] is None  # no snapshot


def test_counts_are_integers_and_amounts_doubles(spark):
    calendar = typed_frame(spark, "calendar", calendar_rows(dt.date(2025, 12, 28), 1))
    frame = weekly_metrics(
        typed_frame(spark, "sales", SALES[:1]), typed_frame(spark, "inventory", []), calendar
    )
    types = dict(frame.dtypes)
    assert types["low_stock_instances"] == "bigint"
    assert types["total_sales_amt"] == "double"
    assert list(types)[-1] == "yr_wk_num"
