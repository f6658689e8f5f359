"""Every script in ``glue_jobs/`` through its ``main()``, with the arguments a job run gets.

The scripts run in the workflow's order on a small generated lake, each loaded from
its file as Glue loads it; the curated tables must equal the local runner's on a
copy of the same input. The business dates of a Glue job come from its workflow
run's properties, which is checked against the Glue API on moto.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from retail_lake.config import build_settings
from retail_lake.generator import generate
from retail_lake.jobs.entry import start_job
from retail_lake.runner.local import run_pipeline
from retail_lake.runner.workflow import daily
from retail_lake.tracker import open_tracker
from tests.rehearsal.lake_compare import curated_differences

REPO = Path(__file__).resolve().parents[1]
START = dt.date(2026, 2, 2)
END = START  # one date keeps it quick; the rehearsal runs ranges through the same scripts


def _script(path: str):
    spec = importlib.util.spec_from_file_location(Path(path).stem, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.spark
def test_every_job_script_runs_through_main_like_the_local_runner(spark, tmp_path):
    generated = tmp_path / "generated"
    generate(generated, START, 1, stores=3, products=4, seed=5, anomaly_rate=0.05)
    scripted, reference = tmp_path / "scripted", tmp_path / "reference"
    shutil.copytree(generated / "landing", scripted / "landing")
    shutil.copytree(generated / "landing", reference / "landing")

    steps = [s for s in daily().ordered() if s.kind == "job"]
    assert {s.script for s in steps} == {
        f"glue_jobs/{p.name}" for p in (REPO / "glue_jobs").glob("*.py")
    }
    for step in steps:
        argv = [
            step.script,
            "--lake",
            str(scripted),
            "--business_date",
            START.isoformat(),
            "--end_date",
            END.isoformat(),
            "--JOB_NAME",
            f"retail-lake-{step.name}",
            "--job-bookmark-option",
            "job-bookmark-disable",
        ]
        _script(step.script).main(argv)

    run_pipeline(build_settings({"lake": str(reference)}, env={}), START, END, spark=spark)
    differences, compared = curated_differences(scripted, reference)
    assert compared and not differences, differences
    tracker = open_tracker(build_settings({"lake": str(scripted)}, env={}))
    recorded = {(r.step, r.status) for r in tracker.runs(START)}
    steps = {(s.name, "SUCCEEDED") for s in steps}
    assert steps <= recorded, recorded


def test_glue_job_reads_its_dates_from_the_workflow_run(aws, tmp_path, spark):
    glue = aws.client("glue")
    glue.create_workflow(Name="retail-lake-daily")
    run_id = glue.start_workflow_run(
        Name="retail-lake-daily",
        RunProperties={"business_date": "2026-02-02", "end_date": "2026-02-04"},
    )["RunId"]
    argv = [
        "validate.py",
        "--lake",
        str(tmp_path),
        "--WORKFLOW_NAME",
        "retail-lake-daily",
        "--WORKFLOW_RUN_ID",
        run_id,
        "--JOB_RUN_ID",
        "jr_1",
    ]
    job = start_job(argv, "validate")
    assert job.days == [START, START + dt.timedelta(days=1), START + dt.timedelta(days=2)]


def test_a_job_without_any_date_names_what_is_missing(tmp_path):
    from retail_lake.config import ConfigError

    with pytest.raises(ConfigError, match="no --business_date"):
        start_job(["validate.py", "--lake", str(tmp_path)], "validate")
    with pytest.raises(ConfigError, match="before business_date"):
        start_job(
            [
                "v.py",
                "--lake",
                str(tmp_path),
                "--business_date",
                "2026-02-03",
                "--end_date",
                "2026-02-01",
            ],
            "validate",
        )


def test_scripts_do_not_import_awsglue_off_glue():
    for path in sorted((REPO / "glue_jobs").glob("*.py")):
        assert "awsglue" not in path.read_text("utf-8"), path.name
    assert "awsglue" not in sys.modules or sys.modules["awsglue"] is not None
