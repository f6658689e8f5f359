"""A run with a known database password leaves it nowhere: not in logs, errors,
reports, the tracker or the catalog.

The run happens in a child process so that *everything* it prints is captured:
Python logging at DEBUG (every library, py4j included), stdout and stderr of the
process and of the JVM it starts (Spark's log4j at INFO, the JDBC driver's and
py4j's error text, tracebacks). It extracts from the session's MariaDB server
with the right password given in ``Settings.db_password``, then with a wrong one
(once through the Python API, once through the CLI with the password in
``RETAIL_LAKE_DB_PASSWORD``, as an operator would run it). Then every byte of the
output and of the lake (``_control/`` reports, tracker and catalog databases,
Parquet files) is searched for both passwords, also URL-encoded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from retail_lake.generator import generate, load_mysql
from retail_lake.storage import layout

pytestmark = [pytest.mark.mariadb, pytest.mark.spark]

D1 = dt.date(2026, 3, 30)
D2 = D1 + dt.timedelta(days=1)

CHILD = r"""
import datetime as dt, json, logging, os, sys, traceback

cfg = json.loads(os.environ.pop("LEAK_TEST"))
logging.basicConfig(
    level=logging.DEBUG, stream=sys.stderr, force=True,
    format="%(asctime)s %(name)s %(levelname)s %(message)s",
)
from retail_lake.config import build_settings
from retail_lake.runner.local import run_pipeline
from retail_lake.runtime.spark import build_spark

settings = build_settings(
    {
        "lake": cfg["lake"], "source": "mysql", "jdbc_url": cfg["jdbc_url"],
        "db_user": cfg["user"], "db_password": cfg["password"],
        "jdbc_partitions": 2, "shuffle_partitions": 2,
    },
    env={},
)
logging.getLogger("leak-test").debug("settings: %r", settings)
print("settings:", settings, settings.redacted())
spark = build_spark(settings)
spark.sparkContext.setLogLevel("INFO")

result = run_pipeline(settings, dt.date.fromisoformat(cfg["d1"]), spark=spark)
for step, label, outcome in result.steps:
    print(step, label, outcome.as_dict() if hasattr(outcome, "as_dict") else outcome)

wrong = settings.with_overrides(db_password=cfg["wrong"])
try:
    run_pipeline(wrong, dt.date.fromisoformat(cfg["d2"]), spark=spark)
    print("UNEXPECTED: the run with the wrong password succeeded")
except Exception as exc:
    print("run failed:", exc)
    traceback.print_exc()

os.environ["RETAIL_LAKE_DB_PASSWORD"] = cfg["wrong"]
from retail_lake.cli import app
code = app(
    ["run", "--lake", cfg["lake"], "--start-date", cfg["d2"], "--source", "mysql",
     "--jdbc-url", cfg["jdbc_url"], "--db-user", cfg["user"]],
    standalone_mode=False,
)
print("cli exit code:", code)
print("CHILD DONE")
"""


@pytest.fixture
def source(mariadb_database, tmp_path):
    """Two generated days in a private database; its JDBC URL."""
    generated = tmp_path / "generated"
    generate(generated, D1, 2, stores=2, products=3, seed=3)
    load_mysql(generated, mariadb_database.url)
    return mariadb_database.jdbc_url


def forms(password: str) -> set[bytes]:
    """The password as it could appear: plain, URL-encoded, JSON-escaped."""
    return {
        password.encode(),
        quote(password, safe="").encode(),
        json.dumps(password)[1:-1].encode(),
    }


def test_no_password_in_logs_errors_reports_tracker_or_catalog(mariadb, source, tmp_path):
    lake = tmp_path / "lake"
    wrong = "Wr0ng-" + secrets.token_hex(8)
    config = {
        "lake": str(lake),
        "jdbc_url": source,
        "user": mariadb.user,
        "password": mariadb.password,
        "wrong": wrong,
        "d1": D1.isoformat(),
        "d2": D2.isoformat(),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIL_LAKE_")}
    env["LEAK_TEST"] = json.dumps(config)
    env["PYSPARK_PYTHON"] = env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        timeout=600,
    )
    output = child.stdout + child.stderr
    (tmp_path / "child-output.txt").write_bytes(output)  # for a human, when this fails
    text = output.decode(errors="replace")
    assert child.returncode == 0 and "CHILD DONE" in text, text[-5000:]

    # The run did what the test needs: a good extraction, then two failed logins.
    assert "UNEXPECTED" not in text and "cli exit code: 1" in text
    assert (lake / layout.report(D1, "extract")).exists()
    assert "step 'extract' failed for 2026-03-31" in text
    assert text.count("access denied") >= 2
    assert "DEBUG" in text and "INFO" in text  # the capture really had every level

    searched = {"process output": output}
    for path in sorted(lake.rglob("*")):
        if path.is_file():
            searched[str(path.relative_to(lake))] = path.read_bytes()
    assert layout.tracker_db() in searched and layout.catalog_db() in searched
    assert layout.report(D1, "extract") in searched
    for password in (mariadb.password, wrong):
        for form in forms(password):
            leaks = [where for where, data in searched.items() if form in data]
            assert leaks == [], f"password found in {leaks}"
