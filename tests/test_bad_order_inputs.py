"""Bad inputs of the order channel: every kind has a clear outcome and nothing is
lost (docs/reliability.md); the CSV kinds are in ``test_bad_inputs.py``.

No Spark: orders in = stored + dead-lettered, and a malformed change-stream record
comes back failed with its data while the good ones go on.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from retail_lake.orders import DEFAULT_MAX_ORDERS, ingest_file, transform_firehose_event
from retail_lake.storage import layout
from tests.orders_support import DROP, seed_order, with_contact

# -- order batches and the orders table's change stream ----------------------------------


def dead_letters(lake: Path) -> list[dict[str, Any]]:
    path = lake / layout.dead_letters()
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def deliver_batch(tmp_path: Path, lake: Path, name: str, document: Any, **kwargs) -> Any:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return ingest_file(lake, path, **kwargs)


def test_malformed_order_json_is_dead_lettered_and_the_batch_file_is_kept(tmp_path, lake_dir):
    """A batch file that is not JSON is one dead letter (``malformed_json``) naming the
    file, which stays in landing unchanged; no order of it is stored."""
    text = '{"orders": [{"contact-info": {"name": "A"'
    summary = deliver_batch(tmp_path, lake_dir, "truncated.json", text)
    assert summary.batch_rejected.startswith("malformed_json: ")
    assert (summary.stored, summary.dead_lettered) == (0, 0)
    (letter,) = dead_letters(lake_dir)
    assert (letter["reason"], letter["error"]) == ("malformed_json", "InvalidBatch")
    assert (lake_dir / letter["source"]).read_text() == text


def test_malformed_orders_inside_a_batch_are_dead_lettered_alone(tmp_path, lake_dir):
    orders = [seed_order("A"), "not an order", 42, {"contact-info": [], "order-info": {}}]
    summary = deliver_batch(tmp_path, lake_dir, "mixed.json", {"orders": orders})
    assert summary.orders_in == summary.stored + summary.dead_lettered == 4
    assert summary.stored == 1
    letters = dead_letters(lake_dir)
    assert [x["reason"] for x in letters] == ["malformed_order"] * 3
    assert [x["order"] for x in letters] == orders[1:]  # each kept exactly as received


def test_order_without_contact_information_is_dead_lettered(tmp_path, lake_dir):
    no_contact = seed_order("B")
    del no_contact["contact-info"]
    orders = [
        seed_order("A"),
        no_contact,
        with_contact(seed_order("C"), name=DROP),
        with_contact(seed_order("D"), email="  "),
    ]
    summary = deliver_batch(tmp_path, lake_dir, "contacts.json", {"orders": orders})
    assert (summary.orders_in, summary.stored, summary.dead_lettered) == (4, 1, 3)
    assert [(x["order"]["order-info"]["OrderId"], x["reason"]) for x in dead_letters(lake_dir)] == [
        ("B", "malformed_order"),
        ("C", "missing_contact_name"),
        ("D", "missing_contact_email"),
    ]


def test_oversize_order_batch_is_dead_lettered_whole(tmp_path, lake_dir):
    """Over the Step Functions payload budget (``DEFAULT_MAX_ORDERS``): the batch is
    rejected as a whole, never half processed; the file stays for a split redelivery."""
    orders = [seed_order(f"O-{i}") for i in range(DEFAULT_MAX_ORDERS + 1)]
    summary = deliver_batch(tmp_path, lake_dir, "big.json", {"orders": orders})
    assert summary.batch_rejected == (
        f"too_many_orders: {DEFAULT_MAX_ORDERS + 1} orders, at most {DEFAULT_MAX_ORDERS} per file"
    )
    assert (summary.stored, summary.dead_lettered) == (0, 0)
    (letter,) = dead_letters(lake_dir)
    assert (letter["reason"], letter["source"]) == ("too_many_orders", "landing/orders/big.json")
    assert len(json.loads((lake_dir / letter["source"]).read_text())["orders"]) == len(orders)
    assert not (lake_dir / layout.order_changes_dir()).exists()


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


def test_malformed_stream_records_fail_alone_with_their_data(tmp_path):
    """Firehose transform: every record comes back; a malformed one as
    ``ProcessingFailed`` with its original data (Firehose's error prefix is the
    stream's dead-letter place), the good ones as NDJSON lines."""
    good = {
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": 1767607200,
            "Keys": {"order_id": {"S": "O-1"}},
            "NewImage": {"order_id": {"S": "O-1"}, "qty": {"N": "2"}},
            "SequenceNumber": "1",
        },
    }
    datas = [
        _b64(good),
        "%%% not base64",
        _b64(b"\xff\xfe not json"),
        _b64({**good, "eventName": "UPSERT"}),
        _b64({"eventName": "INSERT", "dynamodb": {"Keys": {"order_id": {"S": "O-2"}}}}),
    ]
    event = {"records": [{"recordId": f"r{i}", "data": d} for i, d in enumerate(datas)]}
    out = transform_firehose_event(event)["records"]
    ok = [r for r in out if r["result"] == "Ok"]
    failed = [r for r in out if r["result"] == "ProcessingFailed"]
    assert len(out) == len(ok) + len(failed) == len(datas)
    assert [r["recordId"] for r in ok] == ["r0"]
    assert [r["data"] for r in failed] == datas[1:]
    line = json.loads(base64.b64decode(ok[0]["data"]))
    assert (line["op"], line["order_id"]) == ("INSERT", "O-1")
