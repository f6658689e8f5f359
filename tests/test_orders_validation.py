"""The validate Lambda on real-shaped events: every rule, batch inspection, duplicates."""

from __future__ import annotations

import json

import pytest

from retail_lake.orders import (
    REASONS,
    InvalidBatchError,
    InvalidOrderError,
    decode_document,
    parse_batch,
    validate_order,
)
from tests.orders_support import DROP, load_lambda, seed_order, with_contact, without_info

validate = load_lambda("validate_order")


def reject_reason(event) -> str:
    with pytest.raises(validate.InvalidOrder) as info:
        validate.handler(event, None)
    assert type(info.value).__name__ == "InvalidOrder"  # the name the ASL Catch sees
    reason, _, detail = str(info.value).partition(": ")
    assert detail
    return reason


def test_valid_order_is_normalized_to_contract_columns_and_dynamodb_item():
    result = validate.handler({"order": seed_order(), "index": 0, "duplicates": []}, None)
    assert result["order"] == {
        "order_id": "O-20260105-000001",
        "item_id": "P-0001",
        "qty": 2,
        "price": 19.99,
        "order_date": "2026-01-05",
        "contact_name": "Ana Diaz",
        "contact_email": "ana@example.com",
        "contact_phone": "+1-555-0100",
    }
    assert result["item"] == {
        "order_id": {"S": "O-20260105-000001"},
        "item_id": {"S": "P-0001"},
        "qty": {"N": "2"},
        "price": {"N": "19.99"},
        "order_date": {"S": "2026-01-05"},
        "contact_name": {"S": "Ana Diaz"},
        "contact_email": {"S": "ana@example.com"},
        "contact_phone": {"S": "+1-555-0100"},
    }
    json.dumps(result)  # the Lambda's answer must be JSON


def test_optional_fields_may_be_absent_and_are_left_out():
    order = seed_order()
    for key in ("price", "order-date"):
        order["order-info"].pop(key)
    order["contact-info"].pop("phone")
    result = validate.handler(order, None)  # a bare order is accepted too
    assert set(result["order"]) == {"order_id", "item_id", "qty", "contact_name", "contact_email"}
    assert set(result["item"]) == set(result["order"])


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        ("not an order", "malformed_order"),
        ({"order-info": seed_order()["order-info"]}, "malformed_order"),
        ({"contact-info": seed_order()["contact-info"], "order-info": []}, "malformed_order"),
        (with_contact(seed_order(), name=DROP), "missing_contact_name"),
        (with_contact(seed_order(), name="   "), "missing_contact_name"),
        (with_contact(seed_order(), name=42), "missing_contact_name"),
        (with_contact(seed_order(), email=DROP), "missing_contact_email"),
        (with_contact(seed_order(), email=""), "missing_contact_email"),
        (with_contact(seed_order(), email="ana.example.com"), "bad_contact_email"),
        (with_contact(seed_order(), email="ana@example"), "bad_contact_email"),
        (with_contact(seed_order(), email="ana @example.com"), "bad_contact_email"),
        (with_contact(seed_order(), email="a@b@example.com"), "bad_contact_email"),
        (with_contact(seed_order(), phone=5550100), "bad_contact_phone"),
        (without_info(seed_order(), "OrderId"), "missing_order_id"),
        (seed_order(""), "missing_order_id"),
        (seed_order(None), "missing_order_id"),
        (seed_order(12345), "bad_order_id"),
        (without_info(seed_order(), "item-id"), "missing_item_id"),
        (seed_order(**{"item-id": " "}), "missing_item_id"),
        (seed_order(**{"item-id": 7}), "bad_item_id"),
        (without_info(seed_order(), "qty"), "bad_qty"),
        (seed_order(qty=0), "bad_qty"),
        (seed_order(qty=-3), "bad_qty"),
        (seed_order(qty=True), "bad_qty"),
        (seed_order(qty=2.0), "bad_qty"),
        (seed_order(qty=2.5), "bad_qty"),
        (seed_order(qty="2"), "bad_qty"),
        (seed_order(qty=None), "bad_qty"),
        (seed_order(price=-1), "bad_price"),
        (seed_order(price="19.99"), "bad_price"),
        (seed_order(price=True), "bad_price"),
        (seed_order(price=19.999), "bad_price"),
        (seed_order(**{"order-date": "05-01-2026"}), "bad_order_date"),
        (seed_order(**{"order-date": "2026-02-30"}), "bad_order_date"),
    ],
)
def test_each_rule_rejects_with_its_reason(order, reason):
    assert reason in REASONS
    assert reject_reason({"order": order, "index": 0, "duplicates": []}) == reason


def test_first_broken_rule_is_reported():
    order = with_contact(seed_order(qty=0), email="bad")
    assert reject_reason({"order": order, "index": 0}) == "bad_contact_email"


def test_whitespace_is_trimmed_and_integral_price_stays_exact():
    order = with_contact(seed_order(" O-1 ", price=20), name="  Ana  ")
    normalized = validate_order(order)
    assert (normalized.order_id, normalized.contact_name) == ("O-1", "Ana")
    assert normalized.to_plain()["price"] == 20
    assert normalized.to_dynamodb_item()["price"] == {"N": "20"}


def test_price_with_zero_digits_past_the_scale_is_exact():
    """Same rule as landing decimals: extra fractional zeros lose nothing, other digits do."""
    text = json.dumps([seed_order("O-1", price="EXACT"), seed_order("O-2", price="LOSSY")])
    text = text.replace('"EXACT"', "1200.500").replace('"LOSSY"', "1200.505")
    exact, lossy = decode_document(text)
    assert validate_order(exact).to_dynamodb_item()["price"] == {"N": "1200.5"}
    with pytest.raises(InvalidOrderError) as info:
        validate_order(lossy)
    assert info.value.reason == "bad_price"


def inspect(document):
    return validate.handler({"batch": document}, None)


def test_inspect_batch_lists_identical_later_copies_and_all_conflicting_copies():
    orders = [
        seed_order("A"),
        seed_order("B"),
        seed_order("A"),  # identical to the first A: only this copy is rejected
        seed_order("C", qty=1),
        seed_order("C", qty=2),  # C differs: both copies rejected
        seed_order("B", qty=0),  # invalid for another reason: not a copy of B
    ]
    plan = inspect({"orders": orders})
    assert plan["count"] == 6
    assert plan["orders"] == orders
    assert plan["duplicates"] == [
        {"index": 2, "kind": "identical"},
        {"index": 3, "kind": "conflicting"},
        {"index": 4, "kind": "conflicting"},
    ]
    outcomes = []
    for index, order in enumerate(orders):
        event = {"order": order, "index": index, "duplicates": plan["duplicates"]}
        try:
            validate.handler(event, None)
            outcomes.append("ok")
        except validate.InvalidOrder as exc:
            outcomes.append(str(exc).split(":")[0])
    assert outcomes == [
        "ok",
        "ok",
        "duplicate_order_id",
        "duplicate_order_id",
        "duplicate_order_id",
        "bad_qty",
    ]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "missing_orders"),
        ({"order": []}, "missing_orders"),
        ({"orders": {"0": seed_order()}}, "missing_orders"),
        (None, "missing_orders"),
    ],
)
def test_inspect_rejects_a_batch_without_an_orders_list(document, reason):
    with pytest.raises(validate.InvalidBatch, match=rf"^{reason}: "):
        validate.handler({"batch": document}, None)


def test_batch_size_limit_comes_from_the_lambda_environment(monkeypatch):
    monkeypatch.setenv("MAX_BATCH_ORDERS", "2")
    with pytest.raises(validate.InvalidBatch, match=r"^too_many_orders: 3 orders, at most 2"):
        validate.handler({"batch": {"orders": [seed_order(str(i)) for i in range(3)]}}, None)
    assert validate.handler({"batch": {"orders": [seed_order("1")] * 2}}, None)["count"] == 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"orders": [', "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"", "malformed_json"),
        (b'{"orders": 3}', "missing_orders"),
    ],
)
def test_parse_batch_names_the_problem(data, reason):
    with pytest.raises(InvalidBatchError) as info:
        parse_batch(data)
    assert info.value.reason == reason


def test_parse_batch_accepts_the_generator_format():
    data = json.dumps({"orders": [seed_order()]}).encode()
    plan = parse_batch(data)
    assert plan.orders == [seed_order()]
    assert plan.duplicates == {}
