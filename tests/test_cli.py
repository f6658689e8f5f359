"""The command line (docs/design.md, Command line), driven through typer's runner (same process, same Spark)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from typer.testing import CliRunner

from retail_lake.catalog import publish
from retail_lake.catalog._duckdb import DuckDBCatalog
from retail_lake.cli import app
from retail_lake.storage import layout, open_storage
from tests.catalog_lake import build_lake
from tests.frames import write_landing

runner = CliRunner()


def test_help_lists_every_design_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in (
        "demo",
        "generate",
        "run",
        "check",
        "orders",
        "query",
        "report",
        "deploy",
        "contracts",
    ):
        assert command in result.output


def test_generate_writes_landing_and_manifest(tmp_path):
    result = runner.invoke(
        app,
        [
            "generate",
            "--lake",
            str(tmp_path),
            "--start-date",
            "2026-01-05",
            "--days",
            "2",
            "--stores",
            "3",
            "--products",
            "4",
            "--anomaly-rate",
            "0.05",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / layout.landing_retail(dt.date(2026, 1, 6), "sales")).is_file()
    manifest = json.loads((tmp_path / "_control" / "generator_manifest.json").read_text())
    assert manifest["parameters"]["days"] == 2


def test_query_prints_a_table_from_the_local_catalog(tmp_path):
    root = build_lake(tmp_path)
    publish(DuckDBCatalog(str(root)), open_storage(str(root)))
    result = runner.invoke(
        app, ["query", "--lake", str(root), "SELECT COUNT(*) AS n FROM dim_store"]
    )
    assert result.exit_code == 0, result.output
    assert "n" in result.output


def test_query_error_is_a_clear_nonzero_exit(tmp_path):
    root = build_lake(tmp_path)
    publish(DuckDBCatalog(str(root)), open_storage(str(root)))
    result = runner.invoke(app, ["query", "--lake", str(root), "SELECT * FROM no_such_table"])
    assert result.exit_code == 1
    assert "no_such_table" in result.output


def test_run_failure_names_step_date_and_cause(spark, lake_dir):
    day = dt.date(2026, 1, 5)
    write_landing(lake_dir, layout.landing_retail(day, "sales"), "sales", [])
    (lake_dir / layout.landing_retail(day, "sales")).write_text("not,the,header\n1,2,3\n")
    result = runner.invoke(app, ["run", "--lake", str(lake_dir), "--start-date", "2026-01-05"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "step 'extract' failed for 2026-01-05" in text and "sales.csv" in text


def test_bad_date_is_rejected_before_anything_runs(lake_dir):
    result = runner.invoke(app, ["run", "--lake", str(lake_dir), "--start-date", "05-01-2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_reversed_date_range_is_one_line_not_a_traceback(lake_dir):
    for platform in ("local", "glue"):
        lake = str(lake_dir) if platform == "local" else "s3://bucket"
        args = ["run", "--lake", lake, "--platform", platform]
        result = runner.invoke(
            app, [*args, "--start-date", "2026-01-02", "--end-date", "2026-01-01"]
        )
        assert result.exit_code == 2, result.output
        assert "--end-date 2026-01-01 is before --start-date 2026-01-02" in result.output
        assert "Traceback" not in result.output and result.exception.__class__ is SystemExit


def test_contracts_show(tmp_path):
    result = runner.invoke(app, ["contracts", "show", "sales"])
    assert result.exit_code == 0
    assert "trans_id" in result.output and "required" in result.output


def test_contracts_publish_then_check_uses_the_local_tracker(lake_dir):
    result = runner.invoke(app, ["contracts", "publish", "--lake", str(lake_dir)])
    assert result.exit_code == 0, result.output
    assert (lake_dir / layout.tracker_db()).is_file()


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point as a user starts it, in its own process."""
    return subprocess.run(
        [sys.executable, "-c", "from retail_lake.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_every_command_line_mistake_is_one_line_on_stderr(tmp_path):
    lake = str(tmp_path)
    mistakes = {
        ("run", "--start-date", "2026-01-01"): "Missing option '--lake'",
        ("run", "--lake", lake, "--start-date", "2026-01-01", "--source", "oracle"): "'oracle'",
        ("run", "--lake", lake, "--start-date", "2026-01-01", "--platform", "k8s"): "'k8s'",
        ("run", "--lake", lake, "--start-date", "2026-01-01", "--bogus"): "--bogus",
        ("run", "--lake", lake, "--start-date", "2026-01-02", "--end-date", "2026-01-01"): (
            "is before"
        ),
        ("run", "--lake", lake, "--start-date", "01/02/2026"): "YYYY-MM-DD",
        ("deploy", "--stack", "s", "--bucket", "b", "--platform", "local"): "'local'",
        ("contracts", "show", "no_such_dataset"): "no dataset 'no_such_dataset'",
        ("no-such-command",): "No such command",
    }
    for args, expected in mistakes.items():
        result = _command(*args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0, args
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout


def test_options_with_fixed_values_list_their_choices_in_help():
    assert "<files|mysql>" in _command("run", "--help").stdout
    assert "<local|glue|emr>" in _command("run", "--help").stdout
    assert "<glue|emr>" in _command("deploy", "--help").stdout
