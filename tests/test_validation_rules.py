"""One test per reject reason (docs/design.md, Validation rules), with the exact rows in quarantine and validated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from retail_lake.contracts import ColumnType, dataset
from retail_lake.jobs.extract_files import raw_schema
from retail_lake.transforms.parsing import parse_value
from retail_lake.transforms.rules import (
    reference_keys,
    rejected_rows,
    valid_rows,
    with_reject_reason,
)
from tests.frames import typed_frame

GOOD_SALE = {
    "trans_id": "1",
    "prod_key": "10",
    "store_key": "1",
    "trans_dt": "2026-01-05",
    "trans_time": "101500",
    "sales_qty": "2",
    "sales_price": "9.50",
    "sales_amt": "19.00",
    "discount": "0",
    "sales_cost": "12.00",
    "sales_mgrn": "-1.25",
    "ship_cost": "0.99",
}
GOOD_SNAPSHOT = {
    "cal_dt": "2026-01-05",
    "store_key": "1",
    "prod_key": "10",
    "inventory_on_hand_qty": "5",
    "inventory_on_order_qty": "0",
    "out_of_stock_flg": "0",
    "waste_qty": "0",
    "promotion_flg": "1",
    "next_delivery_dt": "2026-01-09",
}


def raw_frame(spark, name, rows):
    """Raw rows as delivered (text), in delivery order, from one file."""
    schema = raw_schema(name)
    data = [
        (*tuple(row.get(f.name) for f in schema.fields[:-3]), None, f"landing/{name}.csv", i)
        for i, row in enumerate(rows)
    ]
    return spark.createDataFrame(data, schema)


@pytest.fixture(scope="module")
def references(spark):
    return {
        "calendar": reference_keys(
            "calendar",
            typed_frame(spark, "calendar", [{"cal_dt": "2026-01-05"}, {"cal_dt": "2026-01-06"}]),
        ),
        "store": reference_keys("store", typed_frame(spark, "store", [{"store_key": 1}])),
        "product": reference_keys("product", typed_frame(spark, "product", [{"prod_key": 10}])),
    }


def check(spark, references, name, rows):
    ds = dataset(name)
    # Cached like the validate job caches it: both outcomes come from one evaluation.
    checked = with_reject_reason(raw_frame(spark, name, rows), ds, references).cache()
    try:
        rejected = [
            (r["trans_id"] if name == "sales" else r[ds.key[-1]], r["reject_reason"])
            for r in rejected_rows(checked, ds).collect()
        ]
        valid = valid_rows(checked, ds, F.lit("2026-01-05").cast("date")).collect()
    finally:
        checked.unpersist()
    return sorted(rejected), valid


def sales_with(trans_id, **changes):
    return {**GOOD_SALE, "trans_id": str(trans_id), **changes}


def test_good_row_is_typed(spark, references):
    rejected, valid = check(spark, references, "sales", [GOOD_SALE])
    assert rejected == []
    row = valid[0].asDict()
    assert row["trans_dt"] == dt.date(2026, 1, 5)
    assert row["sales_amt"] == Decimal("19.00")
    assert row["sales_mgrn"] == Decimal("-1.25")
    assert row["load_date"] == dt.date(2026, 1, 5)
    assert row["source_file"] == "landing/sales.csv"


def test_missing_required(spark, references):
    rows = [sales_with(1), sales_with(2, sales_amt=None), sales_with(3, trans_time=None)]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("2", "missing_required")]
    assert sorted(r.trans_id for r in valid) == [1, 3]  # trans_time is optional


@pytest.mark.parametrize(
    "column,value",
    [
        ("trans_dt", "05-01-2026"),
        ("trans_dt", "2026-02-30"),
        ("sales_qty", "abc"),
        ("sales_qty", "1e3"),
        ("sales_amt", "1.234"),
        ("sales_amt", "1200.505"),
        ("sales_amt", "1200.5000001"),
        ("sales_amt", "1200."),
        ("prod_key", "10.5"),
        ("ship_cost", "1,5"),
    ],
)
def test_bad_type(spark, references, column, value):
    rejected, valid = check(
        spark, references, "sales", [sales_with(1), sales_with(2, **{column: value})]
    )
    assert rejected == [("2", "bad_type")]
    assert [r.trans_id for r in valid] == [1]


def test_decimal_with_zero_extra_digits_is_exact(spark, references):
    rows = [
        sales_with(1, sales_amt="1200.500"),
        sales_with(2, sales_amt="1200.505"),
        sales_with(3, sales_price="9.5000000000", sales_mgrn="-1.250", ship_cost="0.990"),
        sales_with(4, sales_qty="2.0", discount="0.00000"),
    ]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("2", "bad_type")]
    got = sorted(
        (r.trans_id, r.sales_qty, r.sales_price, r.sales_amt, r.discount, r.sales_mgrn, r.ship_cost)
        for r in valid
    )
    d = Decimal
    assert got == [
        (1, d("2.00"), d("9.50"), d("1200.50"), d("0.00"), d("-1.25"), d("0.99")),
        (3, d("2.00"), d("9.50"), d("19.00"), d("0.00"), d("-1.25"), d("0.99")),
        (4, d("2.00"), d("9.50"), d("19.00"), d("0.00"), d("-1.25"), d("0.99")),
    ]
    assert {str(r.sales_amt) for r in valid if r.trans_id == 1} == {"1200.50"}  # at scale 2


@pytest.mark.parametrize(
    "text,expected",
    [
        ("52.520008", Decimal("52.520008")),
        ("52.5200080000", Decimal("52.520008")),
        ("-0.1000000", Decimal("-0.100000")),
        ("7", Decimal("7.000000")),
        ("52.5200081", None),
        ("52.52000800001", None),
        ("1234567890123.0", Decimal("1234567890123.000000")),
        ("12345678901234.0", None),  # 14 whole digits do not fit decimal(19,6)
    ],
)
def test_decimal_parse_at_scale_six(spark, text, expected):
    frame = spark.createDataFrame([(text,)], "t string")
    column = parse_value(F.col("t"), ColumnType("decimal", 19, 6))
    assert frame.select(column.alias("v")).collect()[0].v == expected


def test_copies_with_trailing_zeros_are_identical(spark, references):
    rows = [sales_with(1, sales_amt="19.000"), sales_with(1, sales_amt="19.00"), sales_with(2)]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("1", "duplicate_key")]
    assert sorted((r.trans_id, r.sales_amt) for r in valid) == [
        (1, Decimal("19.00")),
        (2, Decimal("19.00")),
    ]


def test_missing_required_comes_before_bad_type(spark, references):
    rejected, _ = check(spark, references, "sales", [sales_with(2, sales_amt=None, sales_qty="x")])
    assert rejected == [("2", "missing_required")]


def test_negative_value(spark, references):
    rows = [
        sales_with(1, sales_mgrn="-5"),
        sales_with(2, discount="-0.01"),
        sales_with(3, ship_cost="-1"),
    ]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("2", "negative_value"), ("3", "negative_value")]
    assert [r.trans_id for r in valid] == [1]  # sales_mgrn may be negative


def test_bad_flag(spark, references):
    rows = [
        GOOD_SNAPSHOT,
        {
            **GOOD_SNAPSHOT,
            "prod_key": "10",
            "store_key": "1",
            "cal_dt": "2026-01-06",
            "out_of_stock_flg": "2",
        },
        {
            **GOOD_SNAPSHOT,
            "cal_dt": "2026-01-06",
            "store_key": "1",
            "prod_key": "10",
            "promotion_flg": "yes",
        },
    ]
    ds = dataset("inventory")
    checked = with_reject_reason(raw_frame(spark, "inventory", rows), ds, references)
    reasons = sorted(r.reject_reason for r in rejected_rows(checked, ds).collect())
    assert reasons == ["bad_flag", "bad_type"]  # "yes" does not parse as a flag at all
    valid = valid_rows(checked, ds, F.lit("2026-01-05").cast("date")).collect()
    assert [(r.out_of_stock_flg, r.promotion_flg) for r in valid] == [(0, True)]


def test_unknown_date_store_product_in_rule_order(spark, references):
    rows = [
        sales_with(1),
        sales_with(2, trans_dt="2025-01-01"),
        sales_with(3, store_key="99"),
        sales_with(4, prod_key="99"),
        sales_with(5, store_key="99", prod_key="99", trans_dt="2025-01-01"),
        sales_with(6, store_key="99", prod_key="99"),
    ]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [
        ("2", "unknown_date"),
        ("3", "unknown_store"),
        ("4", "unknown_product"),
        ("5", "unknown_date"),
        ("6", "unknown_store"),
    ]
    assert [r.trans_id for r in valid] == [1]


def test_duplicate_identical_copies_keep_the_first(spark, references):
    rows = [sales_with(1), sales_with(1), sales_with(1), sales_with(2)]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("1", "duplicate_key"), ("1", "duplicate_key")]
    assert sorted(r.trans_id for r in valid) == [1, 2]


def test_duplicate_differing_copies_are_all_rejected(spark, references):
    rows = [sales_with(1), sales_with(1, sales_amt="20.00"), sales_with(2)]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("1", "duplicate_key"), ("1", "duplicate_key")]
    assert [r.trans_id for r in valid] == [2]


def test_copies_equal_in_value_are_identical(spark, references):
    rows = [sales_with(1, sales_amt="19.00"), sales_with(1, sales_amt="19.0")]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("1", "duplicate_key")]
    assert [r.trans_id for r in valid] == [1]


def test_duplicates_only_count_rows_that_passed_other_rules(spark, references):
    rows = [sales_with(1), sales_with(1, sales_qty="-1")]
    rejected, valid = check(spark, references, "sales", rows)
    assert rejected == [("1", "negative_value")]
    assert [r.trans_id for r in valid] == [1]


def test_malformed_line_is_bad_type(spark, references):
    schema = raw_schema("sales")
    good = tuple(GOOD_SALE.get(f.name) for f in schema.fields[:-3])
    data = [(*good, None, "f.csv", 0), (*good[:1], "2", *good[2:], "1,2,3", "f.csv", 1)]
    ds = dataset("sales")
    checked = with_reject_reason(spark.createDataFrame(data, schema), ds, references)
    assert [r.reject_reason for r in rejected_rows(checked, ds).collect()] == ["bad_type"]


def test_franchise_rules(spark, references):
    base = {
        "row_id": "1",
        "order_id": "A-1",
        "order_date": "2026-01-05",
        "item": "Tea",
        "sale_amount": "10.00",
        "tax_amount": "1.00",
        "quantity": "2",
        "discount_amount": "0",
        "profit": "-3.00",
        "franchise_store": "101",
        "transaction_date": "2026-01-05",
    }
    rows = [
        base,
        {**base, "row_id": "2", "transaction_date": "05-01-2026"},
        {**base, "row_id": "3", "quantity": "-2"},
        {**base, "row_id": "4", "item": None},
        {**base, "row_id": "5", "ship_date": "2026/01/07"},
    ]
    ds = dataset("store_sales")
    checked = with_reject_reason(raw_frame(spark, "store_sales", rows), ds, {})
    rejected = sorted((r.row_id, r.reject_reason) for r in rejected_rows(checked, ds).collect())
    assert rejected == [
        ("2", "bad_type"),
        ("3", "negative_value"),
        ("4", "missing_required"),
        ("5", "bad_type"),
    ]
