"""Property: over random mixes of good and bad rows, no row is lost or duplicated and
every bad row is quarantined with the first rule it broke (the order of docs/design.md, Validation rules)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_lake.contracts import RULE_ORDER, dataset
from retail_lake.transforms.rules import (
    reference_keys,
    rejected_rows,
    valid_rows,
    with_reject_reason,
)
from tests.frames import typed_frame
from tests.test_validation_rules import GOOD_SALE, raw_frame

# column -> (bad value, the reason it breaks); one mutation per column at most.
MUTATIONS = {
    "sales_amt": [(None, "missing_required"), ("-2.00", "negative_value"), ("1.2.3", "bad_type")],
    "sales_qty": [("x", "bad_type"), ("-1", "negative_value")],
    "trans_dt": [
        ("05-01-2026", "bad_type"),
        ("2020-01-01", "unknown_date"),
        (None, "missing_required"),
    ],
    "store_key": [("999", "unknown_store"), ("s1", "bad_type")],
    "prod_key": [("999", "unknown_product")],
    "sales_cost": [("-0.01", "negative_value")],
    "sales_mgrn": [("-50", None)],  # allowed to be negative: no rule broken
}

row_strategy = st.dictionaries(
    st.sampled_from(sorted(MUTATIONS)),
    st.integers(min_value=0, max_value=2),
    max_size=3,
)
copies_strategy = st.sampled_from(["none", "exact", "conflict"])


def expected_reason(mutation: dict[str, int]) -> str | None:
    reasons = []
    for column, index in mutation.items():
        choices = MUTATIONS[column]
        reasons.append(choices[index % len(choices)][1])
    reasons = [r for r in reasons if r]
    return min(reasons, key=RULE_ORDER.index) if reasons else None


def build(mutation: dict[str, int], trans_id: int) -> dict:
    row = {**GOOD_SALE, "trans_id": str(trans_id)}
    for column, index in mutation.items():
        choices = MUTATIONS[column]
        row[column] = choices[index % len(choices)][0]
    return row


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(row_strategy, copies_strategy), min_size=1, max_size=25))
def test_every_row_is_accounted_for_with_its_first_broken_rule(spark, plan):
    rows, expected_rejects, expected_valid = [], [], []
    for i, (mutation, copies) in enumerate(plan, start=1):
        row = build(mutation, i)
        reason = expected_reason(mutation)
        rows.append(row)
        if copies == "none":
            (expected_valid if reason is None else expected_rejects).append((i, reason))
            continue
        copy = dict(row) if copies == "exact" else {**row, "ship_cost": "7.77"}
        rows.append(copy)
        if reason is not None:  # bad rows never take part in duplicate detection
            expected_rejects += [(i, reason), (i, reason)]
        elif copies == "exact":
            expected_valid.append((i, None))
            expected_rejects.append((i, "duplicate_key"))
        else:
            expected_rejects += [(i, "duplicate_key"), (i, "duplicate_key")]

    ds = dataset("sales")
    refs = {
        "calendar": reference_keys(
            "calendar", typed_frame(spark, "calendar", [{"cal_dt": "2026-01-05"}])
        ),
        "store": reference_keys("store", typed_frame(spark, "store", [{"store_key": 1}])),
        "product": reference_keys("product", typed_frame(spark, "product", [{"prod_key": 10}])),
    }
    checked = with_reject_reason(raw_frame(spark, "sales", rows), ds, refs).cache()
    from pyspark.sql import functions as F

    valid = [(r.trans_id, None) for r in valid_rows(checked, ds, F.current_date()).collect()]
    rejected = [(int(r.trans_id), r.reject_reason) for r in rejected_rows(checked, ds).collect()]
    checked.unpersist()
    assert len(valid) + len(rejected) == len(rows)
    assert sorted(valid) == sorted(expected_valid)
    assert sorted(rejected, key=str) == sorted(expected_rejects, key=str)
