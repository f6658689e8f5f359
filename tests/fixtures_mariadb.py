"""The ``mariadb`` fixture: one throwaway MariaDB server for the whole test session.

It is a real server (``mariadbd`` in a temporary directory on a free loopback
port), not a fake. When the binaries are missing the fixture errors with the
Debian package names instead of skipping, so CI cannot pass without the tests.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pymysql
import pytest

from retail_lake.mariadb import MariaDBServer


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A started :class:`MariaDBServer` with database ``retail`` and a password user."""
    server = MariaDBServer(base_dir=tmp_path_factory.mktemp("mariadb"))
    server.start()
    yield server
    server.stop()


class Database:
    """A private database on the shared server, reached with the server's password user."""

    def __init__(self, server: MariaDBServer, name: str) -> None:
        self.server, self.name = server, name

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:mysql://{self.server.host}:{self.server.port}/{self.name}"

    @property
    def url(self) -> str:
        user, password = quote(self.server.user, safe=""), quote(self.server.password, safe="")
        return f"mysql://{user}:{password}@{self.server.host}:{self.server.port}/{self.name}"

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = self.server.connect(database=self.name, autocommit=True)
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())


@pytest.fixture
def mariadb_database(mariadb):
    """A fresh database per test on the session's server, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    root = pymysql.connect(unix_socket=str(mariadb.socket_path), user="root", autocommit=True)
    try:
        with root.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@'{host}'", (mariadb.user,))
        yield Database(mariadb, name)
    finally:
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        root.close()
