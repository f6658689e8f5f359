"""Deployment rehearsal on Glue 5.0, reading MySQL through the Glue connection and secret.

``retail-lake deploy`` onto moto in server mode; the Lambdas run from their uploaded
zips; Glue is played from the workflow, triggers and jobs the template created; each
job runs its uploaded script with ``spark-submit`` in a mirror of the Glue 5.0
environment, the wheel being the only copy of the library. Day one is started by
the MySQL run schedule, days two and three by a backfill that must be one workflow
run. Every curated table must equal a local-runner run of the same input.
"""

from __future__ import annotations

import uuid

import pymysql
import pytest

from tests.fixtures_mariadb import Database
from tests.rehearsal.checks import RehearsalChecks
from tests.rehearsal.story import first_week

pytestmark = [pytest.mark.rehearsal, pytest.mark.spark, pytest.mark.mariadb]


@pytest.fixture(scope="module")
def rehearsal_database(mariadb) -> Database:
    """A private database on the session's MariaDB server: the deployment's source."""
    name = f"rehearsal_{uuid.uuid4().hex[:8]}"
    root = pymysql.connect(unix_socket=str(mariadb.socket_path), user="root", autocommit=True)
    with root, root.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        for host in ("127.0.0.1", "localhost"):
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@'{host}'", (mariadb.user,))
    return Database(mariadb, name)


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory, rehearsal_database, spark):
    from retail_lake.deploy import build_wheel

    root = tmp_path_factory.mktemp("rehearsal-glue-mysql")
    yield from first_week(
        "glue",
        "mysql",
        backfill=True,
        root=root,
        wheel=build_wheel(root / "wheel"),
        spark=spark,
        database=rehearsal_database,
    )


class TestGlueReadingMySQL(RehearsalChecks):
    backfill = True
