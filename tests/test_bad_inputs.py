"""Bad inputs: every kind has a clear outcome and nothing is lost (docs/reliability.md).

The CSV kinds share ONE lake and ONE pipeline run (Spark is the expensive part):
each kind is its own franchise-store file of the same business date (franchise
files are not checked against the store dimension, so any store number will do)
or a row of the retail ``sales`` dump. Every test then asserts on that run: the
per-file counts of the validate report, the rows in ``validated/`` and
``quarantine/`` of that file, and rows in = valid + quarantined. A file that cannot
be read at all is rejected on its own (listed with its fix in the ingest report)
while the other stores' files go on; it stays in ``landing/`` unchanged.

The order-channel kinds need no Spark and are in ``test_bad_order_inputs.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retail_lake.config import build_settings
from retail_lake.contracts import dataset
from retail_lake.runner.local import run_pipeline
from retail_lake.storage import layout
from tests.frames import calendar_rows, csv_text, write_landing

D = dt.date(2026, 1, 5)  # a Monday
STORES = [{"store_key": 1, "store_num": 101, "frnchs_flg": 1}]
PRODUCTS = [{"prod_key": 10, "prod_name": "Tea"}]
MB = 1_000_000


def franchise(row_id: int, store: int, **values: Any) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "order_id": f"O-{row_id}",
        "item": "Tea",
        "sale_amount": "10.00",
        "tax_amount": "1.00",
        "discount_amount": "0.00",
        "quantity": 2,
        "franchise_store": store,
        "transaction_date": D.isoformat(),
        "customer_name": "Bob",
        **values,
    }


def sale(trans_id: int, **values: Any) -> dict[str, Any]:
    return {
        "trans_id": trans_id,
        "prod_key": 10,
        "store_key": 1,
        "trans_dt": D.isoformat(),
        "sales_qty": 1,
        "sales_amt": "5.00",
        **values,
    }


def text_file(store: int, rows: list[dict[str, Any]]) -> str:
    return csv_text("store_sales", rows)


HEADER = ",".join(dataset("store_sales").column_names)

# store number -> (bytes of the file, what it is)
CASES: dict[int, bytes] = {
    201: text_file(201, [franchise(i, 201) for i in (1, 2, 3)]).replace("\n", "\r\n").encode(),
    202: b"\xef\xbb\xbf" + text_file(202, [franchise(i, 202) for i in (1, 2, 3)]).encode(),
    203: text_file(
        203,
        [
            franchise(1, 203, customer_name='Smith, "JJ", Jr.'),
            franchise(2, 203, customer_name="two\nlines, one field"),
        ],
    ).encode(),
    # Line 2 opens a quote that is never closed: it swallows line 3.
    204: text_file(204, [franchise(i, 204) for i in (1, 2, 3)])
    .replace("O-2,", 'O-2,"unclosed ', 1)
    .encode(),
    205: text_file(
        205, [franchise(1, 205, customer_name="José"), franchise(2, 205, customer_name="Jose")]
    ).encode("latin-1"),
    206: text_file(
        206,
        [franchise(1, 206, customer_name="x" * MB), franchise(2, 206, sale_amount="1" * MB)],
    ).encode(),
    207: (HEADER + "\n").encode(),
    208: b"",
    209: b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8,  # a gzip file sent by mistake
    210: text_file(210, [franchise(1, 210)]).replace("quantity", "qty", 1).encode(),
    211: text_file(211, [franchise(1, 211), franchise(2, 211)]).split("\n", 1)[1].encode(),
    212: text_file(212, [franchise(1, 212)]).replace("\n", ",extra\n").encode(),
    213: csv_text(
        "store_sales",
        [franchise(1, 213)],
        header=[c for c in dataset("store_sales").column_names if c != "sub_category"],
    ).encode(),
    214: text_file(
        214,
        [
            franchise(1, 214),
            franchise(2, 214, transaction_date="05-01-2026"),
            franchise(3, 214, order_date="05-01-2026"),
        ],
    ).encode(),
    215: text_file(
        215,
        [
            franchise(1, 215, profit="-5.00"),
            franchise(2, 215, quantity=-1),
            franchise(3, 215, discount_amount="-0.50"),
        ],
    ).encode(),
    216: text_file(
        216,
        [
            franchise(1, 216),
            franchise(2, 216, sale_amount="ten"),
            franchise(3, 216, quantity="2.0"),
            franchise(4, 216, tax_amount="1,5"),
        ],
    ).encode(),
    217: text_file(
        217,
        [
            franchise(1, 217),
            franchise(1, 217),  # identical copy: the first is kept
            franchise(2, 217, quantity=1),
            franchise(2, 217, quantity=3),  # differing copies: all rejected
        ],
    ).encode(),
}
SALES = [
    sale(1),
    sale(2, store_key=99),
    sale(3, prod_key=99),
    sale(4, trans_dt="2026-03-01"),  # a valid date that is not in the calendar
]


def store_file(store: int) -> str:
    return layout.landing_store_sales(D, store)


@pytest.fixture(scope="module")
def lake(tmp_path_factory, spark) -> Path:
    """One lake holding every CSV case, processed by one pipeline run."""
    root = tmp_path_factory.mktemp("bad-inputs") / "lake"
    for name, rows in {
        "calendar": calendar_rows(dt.date(2026, 1, 4), 1),
        "store": STORES,
        "product": PRODUCTS,
        "sales": SALES,
        "inventory": [],
    }.items():
        write_landing(root, layout.landing_retail(D, name), name, rows)
    for store, data in CASES.items():
        path = root / store_file(store)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    run_pipeline(build_settings({"lake": str(root)}, env={}), D, spark=spark)
    return root


def report(lake: Path, step: str) -> dict[str, Any]:
    return json.loads((lake / layout.report(D, step)).read_text())


def zone(lake: Path, rel_dir: str) -> pd.DataFrame:
    return pd.read_parquet(lake / rel_dir)


def outcome(
    lake: Path, rel: str, name: str = "store_sales"
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """The validate report entry of one landing file and its valid and rejected rows.

    Also checks the accounting: rows in = valid + quarantined, and the rows found
    in ``validated/`` and ``quarantine/`` are exactly those numbers.
    """
    counts = report(lake, "validate")["datasets"][name]["files"][rel]
    valid = zone(lake, layout.validated_dir(name))
    valid = valid[valid.source_file == rel]
    rejected = zone(lake, layout.quarantine_partition(name, D))
    rejected = rejected[rejected.source_file == rel]
    assert counts["rows_in"] == counts["valid"] + counts["quarantined"]
    assert (len(valid), len(rejected)) == (counts["valid"], counts["quarantined"])
    assert sum(counts["reasons"].values()) == counts["quarantined"]
    return counts, valid, rejected


def reasons_by_row(rejected: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(zip(rejected.row_id, rejected.reject_reason, strict=True))


def assert_rejected_file(lake: Path, store: int, *fragments: str) -> None:
    """The file is listed with a message naming it and the fix; no row of it anywhere;
    it is still in landing, byte for byte (nothing lost, it awaits a corrected delivery)."""
    rel = store_file(store)
    ingest = report(lake, "ingest")
    message = ingest["rejected_files"][rel]
    assert message.startswith(f"{rel}: ")
    for fragment in fragments:
        assert fragment in message
    assert rel not in ingest["files"]["store_sales"]
    assert rel not in report(lake, "validate")["datasets"]["store_sales"]["files"]
    raw = zone(lake, layout.raw_partition("store_sales", D))
    assert rel not in set(raw.source_file)
    assert (lake / rel).read_bytes() == CASES[store]


# -- CSV: file level ------------------------------------------------------------------


def test_crlf_line_ends_are_read_like_lf(lake):
    counts, valid, _ = outcome(lake, store_file(201))
    assert counts == {"rows_in": 3, "valid": 3, "quarantined": 0, "reasons": {}}
    assert set(valid.customer_name) == {"Bob"}  # no stray \r in the last or any field
    assert set(valid.sub_category.isna()) == {True}


def test_utf8_byte_order_mark_is_ignored(lake):
    counts, valid, _ = outcome(lake, store_file(202))
    assert counts == {"rows_in": 3, "valid": 3, "quarantined": 0, "reasons": {}}
    assert sorted(valid.row_id) == [1, 2, 3]


def test_quoted_commas_quotes_and_newlines_stay_in_their_field(lake):
    counts, valid, _ = outcome(lake, store_file(203))
    assert counts == {"rows_in": 2, "valid": 2, "quarantined": 0, "reasons": {}}
    assert sorted(valid.customer_name) == ['Smith, "JJ", Jr.', "two\nlines, one field"]


def test_unbalanced_quote_is_one_malformed_record_kept_whole_in_raw(lake):
    """A quote that never closes runs to the end of the file: lines 2 and 3 become one
    record whose fields do not match the header. It is quarantined as ``bad_type``;
    its full text stays in ``raw/`` (``_corrupt_record``), so line 3 is not lost."""
    counts, valid, rejected = outcome(lake, store_file(204))
    assert counts == {"rows_in": 2, "valid": 1, "quarantined": 1, "reasons": {"bad_type": 1}}
    assert list(valid.row_id) == [1]
    assert list(rejected.reject_reason) == ["bad_type"]
    raw = zone(lake, layout.raw_partition("store_sales", D))
    (record,) = raw[raw.source_file == store_file(204)]._corrupt_record.dropna()
    assert record.startswith("2,O-2,") and "\n3,O-3," in record


def test_non_utf8_text_is_quarantined_as_bad_type(lake):
    """Latin-1 'é' is not UTF-8: the reader replaces it (U+FFFD), so the row no longer
    holds what was delivered. Decision: ``bad_type`` for that row, the rest loads."""
    counts, valid, rejected = outcome(lake, store_file(205))
    assert counts == {"rows_in": 2, "valid": 1, "quarantined": 1, "reasons": {"bad_type": 1}}
    assert list(valid.customer_name) == ["Jose"]
    assert reasons_by_row(rejected) == [("1", "bad_type")]


def test_oversize_fields_text_kept_whole_number_rejected(lake):
    """1 MB in a text column is loaded intact (text has no length limit in the
    contract); 1 MB of digits in a decimal(18,2) column is ``bad_type``."""
    counts, valid, rejected = outcome(lake, store_file(206))
    assert counts == {"rows_in": 2, "valid": 1, "quarantined": 1, "reasons": {"bad_type": 1}}
    assert list(valid.customer_name) == ["x" * MB]
    assert reasons_by_row(rejected) == [("2", "bad_type")]
    assert rejected.sale_amount.iloc[0] == "1" * MB  # the reject keeps its text


def test_header_only_file_is_an_empty_delivery(lake):
    rel = store_file(207)
    assert rel in report(lake, "ingest")["files"]["store_sales"]
    assert rel not in report(lake, "ingest")["rejected_files"]
    # 0 rows in: nothing in validated/ or quarantine/, and no accounting entry needed.
    assert rel not in report(lake, "validate")["datasets"]["store_sales"]["files"]
    assert rel not in set(zone(lake, layout.validated_dir("store_sales")).source_file)


def test_zero_byte_file_is_rejected_naming_the_fix(lake):
    assert_rejected_file(lake, 208, "the file is empty", "deliver it again with a header row")


def test_binary_garbage_is_rejected_naming_the_fix(lake):
    assert_rejected_file(lake, 209, "not UTF-8", "re-export the file as UTF-8")


def test_wrong_header_is_rejected_naming_the_columns(lake):
    assert_rejected_file(
        lake, 210, "missing columns ['quantity']", "not in the 'store_sales' contract ['qty']"
    )
    assert "expected row_id,order_id," in report(lake, "ingest")["rejected_files"][store_file(210)]


def test_missing_header_is_rejected(lake):
    assert_rejected_file(lake, 211, "header does not match", "expected row_id,order_id,")


def test_extra_column_is_rejected(lake):
    assert_rejected_file(lake, 212, "not in the 'store_sales' contract ['extra']")


def test_missing_column_is_rejected(lake):
    assert_rejected_file(lake, 213, "missing columns ['sub_category']")


def test_a_rejected_file_does_not_hold_back_the_other_stores(lake):
    ingest = report(lake, "ingest")
    assert sorted(ingest["rejected_files"]) == [store_file(s) for s in range(208, 214)]
    accepted = set(ingest["files"]["store_sales"])
    assert accepted == {store_file(s) for s in CASES} - set(ingest["rejected_files"])
    totals = report(lake, "validate")["datasets"]["store_sales"]["totals"]
    assert totals["rows_in"] == totals["valid"] + totals["quarantined"]
    daily = zone(lake, layout.curated_dir("daily_store_sales"))
    assert set(daily.franchise_store) == {201, 202, 203, 204, 205, 206, 214, 215, 216, 217}


# -- CSV: row level --------------------------------------------------------------------


def test_dd_mm_yyyy_dates_are_bad_type(lake):
    counts, _valid, rejected = outcome(lake, store_file(214))
    assert counts == {"rows_in": 3, "valid": 1, "quarantined": 2, "reasons": {"bad_type": 2}}
    assert reasons_by_row(rejected) == [("2", "bad_type"), ("3", "bad_type")]
    assert list(rejected.sort_values("row_id").transaction_date) == ["05-01-2026", "2026-01-05"]


def test_negative_values_are_quarantined_but_negative_profit_is_valid(lake):
    counts, valid, rejected = outcome(lake, store_file(215))
    assert counts == {
        "rows_in": 3,
        "valid": 1,
        "quarantined": 2,
        "reasons": {"negative_value": 2},
    }
    assert float(valid.profit.iloc[0]) == -5.0
    assert reasons_by_row(rejected) == [("2", "negative_value"), ("3", "negative_value")]


def test_non_numeric_numbers_are_bad_type(lake):
    counts, _valid, rejected = outcome(lake, store_file(216))
    assert counts == {"rows_in": 4, "valid": 1, "quarantined": 3, "reasons": {"bad_type": 3}}
    assert sorted(rejected.sale_amount) == ["10.00", "10.00", "ten"]
    assert reasons_by_row(rejected) == [("2", "bad_type"), ("3", "bad_type"), ("4", "bad_type")]


def test_duplicates_keep_one_identical_copy_and_reject_conflicting_ones(lake):
    counts, valid, rejected = outcome(lake, store_file(217))
    assert counts == {
        "rows_in": 4,
        "valid": 1,
        "quarantined": 3,
        "reasons": {"duplicate_key": 3},
    }
    assert list(valid.row_id) == [1]
    # The later identical copy of row 1 and both conflicting copies of row 2.
    assert reasons_by_row(rejected) == [("1", "duplicate_key"), *[("2", "duplicate_key")] * 2]


def test_unknown_store_product_and_date_are_quarantined(lake):
    counts, valid, rejected = outcome(lake, layout.landing_retail(D, "sales"), "sales")
    assert counts == {
        "rows_in": 4,
        "valid": 1,
        "quarantined": 3,
        "reasons": {"unknown_date": 1, "unknown_store": 1, "unknown_product": 1},
    }
    assert list(valid.trans_id) == [1]
    assert sorted(zip(rejected.trans_id, rejected.reject_reason, strict=True)) == [
        ("2", "unknown_store"),
        ("3", "unknown_product"),
        ("4", "unknown_date"),
    ]
