"""End to end on a local lake: batches, an update, a delete, the views and the DLQ."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from retail_lake.orders import (
    LocalOrderStore,
    delete_order,
    ingest_file,
    redrive_local,
    validate_order,
)
from retail_lake.sql import athena_to_duckdb
from retail_lake.storage import layout
from tests.orders_support import REPO, seed_order, with_contact

VIEWS = REPO / "retail_lake" / "sql" / "views"


class TickClock:
    """A clock that moves 1 ms per reading from ``start``: deterministic event times."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now


def batch_file(tmp_path: Path, name: str, orders: list) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"orders": orders}))
    return path


def order(order_id: str, item: str, qty: int, **contact) -> dict:
    return with_contact(seed_order(order_id, **{"item-id": item, "qty": qty}), **contact)


def lake_views(lake: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB over the NDJSON written, with the two views translated from Athena SQL."""
    con = duckdb.connect()
    files = str(lake / layout.order_changes_dir() / "**" / "*")
    con.execute(
        "CREATE TABLE order_changes AS SELECT op, order_id, CAST(event_time AS TIMESTAMP) AS event_time, "
        "sequence_number, new_image, old_image FROM read_json(?, format = 'newline_delimited', "
        "columns = {op: 'VARCHAR', order_id: 'VARCHAR', event_time: 'VARCHAR', "
        "sequence_number: 'VARCHAR', new_image: 'VARCHAR', old_image: 'VARCHAR'})",
        [files],
    )
    for view in ("v_order_current", "v_sales_outlook"):
        body = athena_to_duckdb((VIEWS / f"{view}.sql").read_text())
        con.execute(f"CREATE VIEW {view} AS {body}")
    return con


def dead_letters(lake: Path) -> list[dict]:
    path = lake / layout.dead_letters()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def clock():
    return TickClock(dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC))


def test_batches_update_delete_give_current_orders_outlook_and_dead_letters(
    tmp_path, lake_dir, clock
):
    first = [
        order("A", "P-1", 2),
        order("B", "P-1", 1),
        order("C", "P-2", 5),
        order("D", "P-3", 1, email="not-an-email"),
        order("E", "P-3", 0),
        order("F", "P-4", 1),
        order("F", "P-4", 2),  # conflicting copies: both rejected
        order("G", "P-2", 1),
        order("G", "P-2", 1),  # identical copy: the later one rejected
    ]
    summary = ingest_file(lake_dir, batch_file(tmp_path, "b1.json", first), clock=clock)
    assert summary.to_dict() | {"changes_file": None} == {
        "source": "landing/orders/b1.json",
        "orders_in": 9,
        "stored": 4,
        "dead_lettered": 5,
        "inserted": 4,
        "modified": 0,
        "unchanged": 0,
        "batch_rejected": None,
        "changes_file": None,
    }
    assert (lake_dir / "landing/orders/b1.json").exists()
    assert summary.changes_file.startswith("raw/order_changes/2026/01/05/")

    second = [order("A", "P-1", 4), order("C", "P-2", 5), order("H", "P-5", 7)]
    summary = ingest_file(lake_dir, batch_file(tmp_path, "b2.json", second), clock=clock)
    assert (summary.stored, summary.inserted, summary.modified, summary.unchanged) == (3, 1, 1, 1)
    assert delete_order(lake_dir, "B", clock=clock) is True
    assert delete_order(lake_dir, "nope", clock=clock) is False

    con = lake_views(lake_dir)
    ops = con.execute("SELECT op, count(*) FROM order_changes GROUP BY op ORDER BY op").fetchall()
    assert ops == [("INSERT", 5), ("MODIFY", 1), ("REMOVE", 1)]
    current = con.execute(
        "SELECT order_id, item_id, qty, CAST(price AS VARCHAR), CAST(order_date AS VARCHAR), "
        "contact_name, last_change_op FROM v_order_current ORDER BY order_id"
    ).fetchall()
    assert current == [
        ("A", "P-1", 4, "19.99", "2026-01-05", "Ana Diaz", "MODIFY"),
        ("C", "P-2", 5, "19.99", "2026-01-05", "Ana Diaz", "INSERT"),
        ("G", "P-2", 1, "19.99", "2026-01-05", "Ana Diaz", "INSERT"),
        ("H", "P-5", 7, "19.99", "2026-01-05", "Ana Diaz", "INSERT"),
    ]
    outlook = con.execute(
        "SELECT item_id, order_count, total_qty, CAST(total_amount AS DOUBLE) "
        "FROM v_sales_outlook ORDER BY item_id"
    ).fetchall()
    assert outlook == [("P-1", 1, 4, 79.96), ("P-2", 2, 6, 119.94), ("P-5", 1, 7, 139.93)]

    letters = dead_letters(lake_dir)
    assert [(x["order"]["order-info"]["OrderId"], x["reason"]) for x in letters] == [
        ("D", "bad_contact_email"),
        ("E", "bad_qty"),
        ("F", "duplicate_order_id"),
        ("F", "duplicate_order_id"),
        ("G", "duplicate_order_id"),
    ]
    assert letters[0]["order"] == first[3]  # the original, untouched
    assert all(x["source"] == "landing/orders/b1.json" for x in letters)

    # nothing lost: every order of the first batch is stored or dead-lettered exactly once
    stored_ids = {"A", "B", "C", "G"}
    rejected = [x["order"]["order-info"]["OrderId"] for x in letters]
    assert sorted([*stored_ids, *rejected]) == sorted(o["order-info"]["OrderId"] for o in first)


def test_redrive_after_fixing_a_dead_letter(tmp_path, lake_dir, clock):
    orders = [order("A", "P-1", 2, email="ana(at)example.com"), order("B", "P-1", 0)]
    ingest_file(lake_dir, batch_file(tmp_path, "b.json", orders), clock=clock)
    path = lake_dir / layout.dead_letters()
    letters = dead_letters(lake_dir)
    letters[0]["order"]["contact-info"]["email"] = "ana@example.com"  # the operator's fix
    path.write_text("".join(json.dumps(x) + "\n" for x in letters))

    summary = redrive_local(lake_dir, clock=clock)
    assert summary["read"] == 2 and summary["written"] == 1 and summary["kept"] == 1
    assert summary["kept_reasons"] == {"bad_qty": 1}
    assert [x["order"]["order-info"]["OrderId"] for x in dead_letters(lake_dir)] == ["B"]
    current = lake_views(lake_dir).execute("SELECT order_id, qty FROM v_order_current").fetchall()
    assert current == [("A", 2)]


def test_a_malformed_batch_is_dead_lettered_whole(tmp_path, lake_dir, clock):
    path = tmp_path / "broken.json"
    path.write_text('{"orders": [')
    summary = ingest_file(lake_dir, path, clock=clock)
    assert summary.batch_rejected.startswith("malformed_json: ")
    assert (summary.orders_in, summary.stored, summary.dead_lettered) == (0, 0, 0)
    (letter,) = dead_letters(lake_dir)
    assert (letter["reason"], letter["error"], letter["order"]) == (
        "malformed_json",
        "InvalidBatch",
        None,
    )
    assert letter["source"] == "landing/orders/broken.json"

    big = batch_file(tmp_path, "big.json", [order(str(i), "P-1", 1) for i in range(3)])
    assert ingest_file(lake_dir, big, max_orders=2, clock=clock).batch_rejected.startswith(
        "too_many_orders"
    )


def test_a_file_already_in_landing_is_not_copied(lake_dir, clock):
    landing = lake_dir / "landing" / "orders"
    landing.mkdir(parents=True)
    path = batch_file(landing, "in-place.json", [order("A", "P-1", 1)])
    summary = ingest_file(lake_dir, path, clock=clock)
    assert summary.source == "landing/orders/in-place.json"
    assert sorted(p.name for p in landing.iterdir()) == ["in-place.json"]


def test_store_emits_no_change_for_an_identical_put_and_orders_changes(lake_dir, clock):
    with LocalOrderStore(str(lake_dir), clock=clock) as store:
        a = validate_order(order("A", "P-1", 1))
        assert store.put(a) == "INSERT"
        assert store.put(a) is None
        assert store.put(validate_order(order("A", "P-1", 3))) == "MODIFY"
        assert store.delete("A") is True
        assert store.pending() == 3
        rel = store.flush()
        assert store.pending() == 0 and store.flush() is None
    lines = [json.loads(x) for x in (lake_dir / rel).read_text().splitlines()]
    assert [x["op"] for x in lines] == ["INSERT", "MODIFY", "REMOVE"]
    seqs = [int(x["sequence_number"]) for x in lines]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert json.loads(lines[2]["old_image"])["qty"] == 3 and lines[2]["new_image"] is None


def test_latest_change_wins_by_time_then_sequence_even_when_files_arrive_out_of_order(lake_dir):
    """Change lines for one order in several files; equal times fall back to sequence."""
    base = lake_dir / layout.order_changes_dir() / "2026" / "01" / "05"
    base.mkdir(parents=True)

    def line(op, seq, time, qty):
        image = (
            None if op == "REMOVE" else json.dumps({"order_id": "X", "item_id": "P-1", "qty": qty})
        )
        return json.dumps(
            {
                "op": op,
                "order_id": "X",
                "event_time": time,
                "sequence_number": seq,
                "new_image": image,
                "old_image": None,
            }
        )

    (base / "late.json").write_text(line("MODIFY", "10", "2026-01-05T10:00:01.000Z", 9) + "\n")
    (base / "early.json").write_text(
        line("INSERT", "1", "2026-01-05T10:00:00.000Z", 1)
        + "\n"
        + line("MODIFY", "9", "2026-01-05T10:00:01.000Z", 5)  # same time, lower sequence
        + "\n"
    )
    con = lake_views(lake_dir)
    assert con.execute("SELECT qty FROM v_order_current").fetchall() == [(9,)]
    (base / "removed.json").write_text(line("REMOVE", "11", "2026-01-05T10:00:02.000Z", 0) + "\n")
    con = lake_views(lake_dir)
    assert con.execute("SELECT count(*) FROM v_order_current").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM v_sales_outlook").fetchone() == (0,)
