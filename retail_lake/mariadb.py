"""A throwaway MariaDB server: the local adapter of the source-database port.

``make run``, the demo and the test suite need a real MySQL-compatible database to
extract from with Spark JDBC. Rather than depend on a system service (which may be
absent, configured differently or hold real data), :class:`MariaDBServer` creates a
fresh data directory in a temporary folder, starts ``mariadbd`` on a free loopback
port with its own socket and pid files, creates the ``retail`` database and a
password user, and removes everything again on :meth:`MariaDBServer.stop`.

It never downloads anything and never listens beyond 127.0.0.1.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

DEBIAN_PACKAGES = ("mariadb-server",)
_SEARCH_DIRS = ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")
_SOCKET_PATH_MAX = 107  # sun_path of a Unix socket address, less its final NUL


class MariaDBError(RuntimeError):
    """The local MariaDB server could not be set up, started or stopped."""


def _binary(*names: str) -> str:
    """The first of ``names`` found on PATH or in the usual sbin/bin folders."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        for folder in _SEARCH_DIRS:
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    raise MariaDBError(
        f"MariaDB binary {names[0]!r} not found; install the Debian package(s) "
        f"{' '.join(DEBIAN_PACKAGES)} (apt-get install {' '.join(DEBIAN_PACKAGES)}) "
        "and libmariadb-java for the JDBC driver"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MariaDBServer:
    """A private MariaDB server in a temporary directory, on a free loopback port.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with MariaDBServer() as db:
            spark.read.jdbc(db.jdbc_url, "sales", properties=db.jdbc_properties)
    """

    def __init__(
        self,
        database: str = "retail",
        user: str = "retail",
        password: str | None = None,
        port: int | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60.0,
        buffer_pool: str = "256M",
    ) -> None:
        self.database = database
        self.user = user
        self.password = password or secrets.token_hex(12)
        self.port = port or 0
        self._requested_port = port
        self._base_dir = base_dir
        self.startup_timeout = startup_timeout
        self.buffer_pool = buffer_pool
        self.root: Path | None = None
        self._socket_dir: Path | None = None  # only when root is too deep for a socket
        self._proc: subprocess.Popen[bytes] | None = None

    # -- addresses -------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def jdbc_url(self) -> str:
        """For Spark JDBC with driver ``org.mariadb.jdbc.Driver`` (Debian ``libmariadb-java``)."""
        return f"jdbc:mysql://{self.host}:{self.port}/{self.database}"

    @property
    def url(self) -> str:
        """``mysql://user:pass@host:port/db``, the form ``generate --to-mysql`` takes."""
        return (
            f"mysql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{self.database}"
        )

    @property
    def jdbc_properties(self) -> dict[str, str]:
        return {"user": self.user, "password": self.password, "driver": "org.mariadb.jdbc.Driver"}

    @property
    def socket_path(self) -> Path:
        return (self._socket_dir or self._dir) / "mysqld.sock"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def _dir(self) -> Path:
        if self.root is None:
            raise MariaDBError("the server has not been started")
        return self.root

    # -- life cycle ------------------------------------------------------------

    def start(self) -> MariaDBServer:
        """Initialise a data directory, start the server and create database and user."""
        if self.running:
            return self
        mariadbd = _binary("mariadbd", "mysqld")
        install_db = _binary("mariadb-install-db", "mysql_install_db")
        self.root = Path(tempfile.mkdtemp(prefix="retail-lake-mariadb-", dir=self._base_dir))
        if len(os.fsencode(self.root / "mysqld.sock")) > _SOCKET_PATH_MAX:
            # A Unix socket address holds at most 107 bytes; a deep base_dir (a pytest
            # worker's tmp path) would make mariadbd abort, so the socket lives apart.
            self._socket_dir = Path(tempfile.mkdtemp(prefix="rl-mariadb-"))
        try:
            self._install(install_db)
            attempts = 1 if self._requested_port else 3
            for attempt in range(attempts):
                self.port = self._requested_port or free_port()
                self._launch(mariadbd)
                if self._wait_ready():
                    break
                self._terminate()
                if attempt == attempts - 1 or "already in use" not in self._log_tail():
                    raise MariaDBError(
                        f"mariadbd did not start within {self.startup_timeout:.0f}s; "
                        f"log:\n{self._log_tail()}"
                    )
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM, then wait) and delete its directory."""
        self._terminate()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None
        atexit.unregister(self.stop)

    def __enter__(self) -> MariaDBServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def connect(self, database: str | None = None, **kwargs: object):
        """A pymysql connection as the password user over TCP (like any client)."""
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database or self.database,
            **kwargs,  # type: ignore[arg-type]
        )

    # -- internals -------------------------------------------------------------

    def _root_args(self) -> list[str]:
        # mariadbd refuses to run as root unless told to; elsewhere it runs as us.
        return ["--user=root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []

    def _install(self, install_db: str) -> None:
        cmd = [
            install_db,
            "--no-defaults",
            f"--datadir={self._dir / 'data'}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            *self._root_args(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise MariaDBError(
                f"mariadb-install-db failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )

    def _launch(self, mariadbd: str) -> None:
        root = self._dir
        (root / "tmp").mkdir(exist_ok=True)
        log = root / "error.log"
        if log.exists():
            log.unlink()
        cmd = [
            mariadbd,
            "--no-defaults",
            f"--datadir={root / 'data'}",
            f"--socket={self.socket_path}",
            f"--pid-file={root / 'mariadbd.pid'}",
            f"--log-error={log}",
            f"--tmpdir={root / 'tmp'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--local-infile=1",
            "--skip-log-bin",
            f"--innodb-buffer-pool-size={self.buffer_pool}",
            # A throwaway server: durability on crash does not matter, speed does.
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--sync-binlog=0",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            *self._root_args(),
        ]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def _wait_ready(self) -> bool:
        import pymysql

        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                return False
            if self.socket_path.exists():
                try:
                    pymysql.connect(unix_socket=str(self.socket_path), user="root").close()
                    return True
                except pymysql.MySQLError:
                    pass
            time.sleep(0.1)
        return False

    def _bootstrap(self) -> None:
        import pymysql

        conn = pymysql.connect(unix_socket=str(self.socket_path), user="root", autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                )
                for host in ("127.0.0.1", "localhost"):
                    cur.execute(
                        f"CREATE USER IF NOT EXISTS %s@'{host}' IDENTIFIED BY %s",
                        (self.user, self.password),
                    )
                    cur.execute(
                        f"GRANT ALL PRIVILEGES ON `{self.database}`.* TO %s@'{host}'",
                        (self.user,),
                    )
                    # LOAD DATA LOCAL needs no FILE privilege; nothing else is granted.
        finally:
            conn.close()

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # mariadbd shuts down cleanly on SIGTERM
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def _log_tail(self, lines: int = 30) -> str:
        log = self._dir / "error.log" if self.root else None
        if log is None or not log.exists():
            return "(no log)"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def __repr__(self) -> str:
        state = f"port {self.port}" if self.running else "stopped"
        return f"MariaDBServer({self.database!r}, {state})"
