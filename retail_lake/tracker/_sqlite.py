"""The local tracker: one SQLite file at ``<lake>/_control/tracker.sqlite``.

Every public method opens its own connection, so one ``SQLiteTracker`` can be used
from several threads and several processes can share the file. WAL mode lets
readers run beside a writer; every read-modify-write runs in ``BEGIN IMMEDIATE``,
which takes the write lock before reading, so two racing writers are serialised
and the second one sees the first one's result (the SQLite equivalent of a
DynamoDB condition expression).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retail_lake.tracker._model import (
    FileRecord,
    JobRun,
    PublishedContract,
    RecordOutcome,
    TrackerError,
    WatermarkConflictError,
    WorkflowStart,
    conflict_message,
    dump_json,
    from_iso,
    normalize_etag,
    to_iso,
    utcnow,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_versions (
    business_date TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    arrived_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (business_date, key, version)
);
CREATE TABLE IF NOT EXISTS job_runs (
    workflow TEXT NOT NULL,
    step TEXT NOT NULL,
    run_id TEXT NOT NULL,
    business_date TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    report TEXT NOT NULL,
    PRIMARY KEY (workflow, step, run_id)
);
CREATE INDEX IF NOT EXISTS job_runs_by_date ON job_runs (business_date);
CREATE TABLE IF NOT EXISTS watermarks (
    table_name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workflow_starts (
    workflow TEXT NOT NULL,
    business_date TEXT NOT NULL,
    state TEXT NOT NULL,
    claim_run_id TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    started_at TEXT,
    external_run_id TEXT,
    PRIMARY KEY (workflow, business_date)
);
CREATE TABLE IF NOT EXISTS contracts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document TEXT NOT NULL,
    published_at TEXT NOT NULL
);
"""


class SQLiteTracker:
    """The tracker port on a local SQLite file (the embedded default)."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._initialise()

    def __repr__(self) -> str:
        return f"SQLiteTracker({str(self.path)!r})"

    # -- plumbing ------------------------------------------------------------------
    def _initialise(self) -> None:
        """Switch to WAL and create the tables, retrying while another process does.

        Changing the journal mode needs an exclusive lock and SQLite does not call
        the busy handler for it, so several processes opening a new file at once
        would otherwise see "database is locked".
        """
        deadline = time.monotonic() + self._timeout
        delay = 0.01
        while True:
            try:
                with self._connect() as conn:
                    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise TrackerError(
                        f"cannot initialise tracker database {self.path}: {exc}"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise TrackerError(f"cannot open tracker database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database lock from its first read."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._connect() as conn:
            return conn.execute(sql, params).fetchall()

    # -- file arrivals -------------------------------------------------------------
    def record_file(
        self,
        dataset: str,
        business_date: dt.date,
        key: str,
        size: int,
        etag: str,
        arrived_at: dt.datetime,
    ) -> RecordOutcome:
        etag = normalize_etag(etag)
        day = business_date.isoformat()
        with self._write() as conn:
            latest = conn.execute(
                "SELECT version, etag FROM file_versions WHERE business_date = ? AND key = ?"
                " ORDER BY version DESC LIMIT 1",
                (day, key),
            ).fetchone()
            if latest is not None and latest["etag"] == etag:
                return "duplicate"
            version = 1 if latest is None else latest["version"] + 1
            conn.execute(
                "INSERT INTO file_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (day, key, version, dataset, int(size), etag, to_iso(arrived_at), to_iso(utcnow())),
            )
        return "new" if version == 1 else "new_version"

    def files(self, business_date: dt.date, dataset: str | None = None) -> list[FileRecord]:
        sql = (
            "SELECT f.* FROM file_versions f WHERE f.business_date = ? AND f.version ="
            " (SELECT MAX(version) FROM file_versions g"
            "  WHERE g.business_date = f.business_date AND g.key = f.key)"
        )
        params: tuple[Any, ...] = (business_date.isoformat(),)
        if dataset is not None:
            sql += " AND f.dataset = ?"
            params += (dataset,)
        return [_file(row) for row in self._read(sql + " ORDER BY f.key", params)]

    def file_versions(self, business_date: dt.date, key: str) -> list[FileRecord]:
        rows = self._read(
            "SELECT * FROM file_versions WHERE business_date = ? AND key = ? ORDER BY version",
            (business_date.isoformat(), key),
        )
        return [_file(row) for row in rows]

    # -- job runs ------------------------------------------------------------------
    def record_run(self, run: JobRun) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO job_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.workflow,
                    run.step,
                    run.run_id,
                    run.business_date.isoformat(),
                    run.status,
                    to_iso(run.started_at),
                    to_iso(run.ended_at),
                    dump_json(run.report),
                ),
            )

    def runs(self, business_date: dt.date, workflow: str | None = None) -> list[JobRun]:
        sql = "SELECT * FROM job_runs WHERE business_date = ?"
        params: tuple[Any, ...] = (business_date.isoformat(),)
        if workflow is not None:
            sql += " AND workflow = ?"
            params += (workflow,)
        rows = self._read(sql + " ORDER BY started_at, step, run_id", params)
        return [
            JobRun(
                workflow=row["workflow"],
                step=row["step"],
                business_date=dt.date.fromisoformat(row["business_date"]),
                run_id=row["run_id"],
                status=row["status"],
                started_at=from_iso(row["started_at"]),  # type: ignore[arg-type]
                ended_at=from_iso(row["ended_at"]),
                report=json.loads(row["report"]),
            )
            for row in rows
        ]

    # -- watermarks ----------------------------------------------------------------
    def get_watermark(self, table: str) -> str | None:
        rows = self._read("SELECT value FROM watermarks WHERE table_name = ?", (table,))
        return rows[0]["value"] if rows else None

    def commit_watermark(self, table: str, new_value: str, expected_previous: str | None) -> None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT value FROM watermarks WHERE table_name = ?", (table,)
            ).fetchone()
            found = None if row is None else row["value"]
            if found != expected_previous:
                raise WatermarkConflictError(conflict_message(table, expected_previous, found))
            conn.execute(
                "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)",
                (table, new_value, to_iso(utcnow())),
            )

    # -- workflow starts -----------------------------------------------------------
    def claim_workflow_start(
        self,
        workflow: str,
        business_date: dt.date,
        run_id: str,
        lease: dt.timedelta | None = None,
    ) -> bool:
        now = utcnow()
        day = business_date.isoformat()
        with self._write() as conn:
            row = conn.execute(
                "SELECT state, claimed_at FROM workflow_starts WHERE workflow = ? AND business_date = ?",
                (workflow, day),
            ).fetchone()
            if row is not None:
                stale = (
                    row["state"] == "claimed"
                    and lease is not None
                    and from_iso(row["claimed_at"]) < now - lease  # type: ignore[operator]
                )
                if not stale:
                    return False
            conn.execute(
                "INSERT OR REPLACE INTO workflow_starts VALUES (?, ?, 'claimed', ?, ?, NULL, NULL)",
                (workflow, day, run_id, to_iso(now)),
            )
        return True

    def mark_workflow_started(
        self,
        workflow: str,
        business_date: dt.date,
        run_id: str,
        external_run_id: str | None = None,
    ) -> None:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE workflow_starts SET state = 'started', started_at = ?, external_run_id = ?"
                " WHERE workflow = ? AND business_date = ? AND claim_run_id = ?",
                (to_iso(utcnow()), external_run_id, workflow, business_date.isoformat(), run_id),
            )
            if cursor.rowcount != 1:
                raise TrackerError(
                    f"cannot mark {workflow} {business_date} started: claim {run_id} is not held"
                )

    def release_workflow_start(self, workflow: str, business_date: dt.date, run_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM workflow_starts WHERE workflow = ? AND business_date = ?"
                " AND claim_run_id = ? AND state = 'claimed'",
                (workflow, business_date.isoformat(), run_id),
            )

    def workflow_start(self, workflow: str, business_date: dt.date) -> WorkflowStart | None:
        rows = self._read(
            "SELECT * FROM workflow_starts WHERE workflow = ? AND business_date = ?",
            (workflow, business_date.isoformat()),
        )
        if not rows:
            return None
        row = rows[0]
        return WorkflowStart(
            workflow=row["workflow"],
            business_date=dt.date.fromisoformat(row["business_date"]),
            state=row["state"],
            claim_run_id=row["claim_run_id"],
            claimed_at=from_iso(row["claimed_at"]),  # type: ignore[arg-type]
            started_at=from_iso(row["started_at"]),
            external_run_id=row["external_run_id"],
        )

    # -- contract metadata ---------------------------------------------------------
    def put_contract(
        self, version: str, content_hash: str, document: dict[str, Any]
    ) -> PublishedContract:
        published_at = utcnow()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO contracts (version, content_hash, document, published_at)"
                " VALUES (?, ?, ?, ?)",
                (version, content_hash, dump_json(document), to_iso(published_at)),
            )
        return PublishedContract(version, content_hash, document, published_at)

    def get_contract(self) -> PublishedContract | None:
        rows = self._read("SELECT * FROM contracts ORDER BY seq DESC LIMIT 1")
        if not rows:
            return None
        row = rows[0]
        return PublishedContract(
            version=row["version"],
            content_hash=row["content_hash"],
            document=json.loads(row["document"]),
            published_at=from_iso(row["published_at"]),  # type: ignore[arg-type]
        )


def _file(row: sqlite3.Row) -> FileRecord:
    return FileRecord(
        dataset=row["dataset"],
        business_date=dt.date.fromisoformat(row["business_date"]),
        key=row["key"],
        size=row["size"],
        etag=row["etag"],
        arrived_at=from_iso(row["arrived_at"]),  # type: ignore[arg-type]
        version=row["version"],
    )
