"""The throwaway MariaDB server, the MySQL loader, and reading back through Spark JDBC."""

from __future__ import annotations

import datetime as dt
import socket
from decimal import Decimal

import pytest

from retail_lake.contracts import RETAIL_TABLES, dataset
from retail_lake.generator import generate, load_mysql, parse_mysql_url
from retail_lake.mariadb import MariaDBError, MariaDBServer, _binary
from tests.landing_reference import read_text_csv, rows_mysql_can_hold

START = dt.date(2026, 3, 30)
DAYS = 3

pytestmark = pytest.mark.mariadb


@pytest.fixture(scope="module")
def loaded(mariadb, tmp_path_factory):
    """A small dirty lake loaded into the session's MariaDB."""
    lake = tmp_path_factory.mktemp("mysql-lake")
    manifest = generate(lake, START, DAYS, stores=4, products=5, seed=11, anomaly_rate=0.2)
    counts = load_mysql(lake, mariadb.url)
    return lake, manifest, counts


def expected_table(lake, name: str):
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    if dataset(name).kind != "fact":
        days = days[-1:]
    frames = [read_text_csv(lake / f"landing/retail/{d}/{name}.csv") for d in days]
    return rows_mysql_can_hold(frames, name)


def read_jdbc(spark, mariadb, table: str):
    return (
        spark.read.format("jdbc")
        .option("url", mariadb.jdbc_url)
        .option("driver", "org.mariadb.jdbc.Driver")
        .option("dbtable", table)
        .option("user", mariadb.user)
        .option("password", mariadb.password)
        .load()
    )


def as_text(value) -> str | None:
    """A JDBC value written the way the landing CSV writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return str(value)


def test_server_listens_on_loopback_only(mariadb):
    assert mariadb.jdbc_url == f"jdbc:mysql://127.0.0.1:{mariadb.port}/retail"
    assert parse_mysql_url(mariadb.url).password == mariadb.password
    with mariadb.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT @@bind_address, @@port, DATABASE(), CURRENT_USER()")
        bind, port, database, user = cur.fetchone()
    assert (bind, port, database) == ("127.0.0.1", mariadb.port, "retail")
    assert user.startswith("retail@")


def test_load_creates_typed_keyed_tables(mariadb, loaded):
    _, _, counts = loaded
    assert set(counts) == set(RETAIL_TABLES)
    with mariadb.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_KEY FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = 'retail' AND TABLE_NAME = 'inventory' ORDER BY ORDINAL_POSITION"
        )
        columns = cur.fetchall()
        cur.execute("SHOW INDEX FROM sales")
        indexes = {(row[2], row[4]) for row in cur.fetchall()}
    assert [c[0] for c in columns] == dataset("inventory").column_names
    assert [c[2] for c in columns[:3]] == ["PRI", "PRI", "PRI"]
    assert dict((c[0], c[1]) for c in columns)["inventory_on_hand_qty"] == "decimal"
    assert ("PRIMARY", "trans_id") in indexes and ("ix_sales_0", "trans_dt") in indexes


@pytest.mark.spark
@pytest.mark.parametrize("table", RETAIL_TABLES)
def test_spark_reads_back_what_was_loaded(spark, mariadb, loaded, table):
    lake, _, counts = loaded
    expected = expected_table(lake, table)
    frame = read_jdbc(spark, mariadb, table)
    assert frame.columns == dataset(table).column_names
    assert frame.count() == len(expected) == counts[table]
    key = list(dataset(table).key)
    # a few exact rows: first, middle and last by key order of the CSVs
    picks = expected.sort_values(key).iloc[[0, len(expected) // 2, -1]]
    got = {
        tuple(as_text(row[k]) for k in key): {c: as_text(row[c]) for c in frame.columns}
        for row in frame.collect()
    }
    for _, want in picks.iterrows():
        assert got[tuple(want[k] for k in key)] == want.to_dict()


def test_dirty_rows_reach_mysql_only_when_they_fit(mariadb, loaded):
    """Negative values and unknown keys are loaded; bad types and duplicate copies are not."""
    _, manifest, counts = loaded
    sales = manifest.totals["sales"]
    assert sales.injected["negative_value"] > 0 and sales.injected["unknown_store"] > 0
    with mariadb.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM sales WHERE store_key NOT IN (SELECT store_key FROM store)"
        )
        unknown_stores = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM sales WHERE LEAST(sales_qty, sales_price, sales_amt, discount, sales_cost, ship_cost) < 0"
        )
        negatives = cur.fetchone()[0]
    assert unknown_stores == sales.injected["unknown_store"]
    assert negatives == sales.injected["negative_value"]
    copies = sales.injected["duplicate_exact"] + sales.injected["duplicate_conflict"]
    assert counts["sales"] <= sales.rows - copies - sales.injected["bad_type"]


def test_stop_shuts_down_and_cleans_up(tmp_path):
    server = MariaDBServer(base_dir=tmp_path).start()
    root, port = server.root, server.port
    assert root is not None and root.exists()
    server.stop()
    assert not root.exists() and not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_a_base_dir_too_deep_for_a_socket_still_starts(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    server = MariaDBServer(base_dir=deep).start()
    try:
        assert len(str(server.socket_path)) <= 107
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    finally:
        socket_dir = server.socket_path.parent
        server.stop()
    assert not socket_dir.exists()


def test_missing_binaries_name_the_debian_package():
    with pytest.raises(MariaDBError, match="mariadb-server"):
        _binary("no-such-mariadbd-binary")
