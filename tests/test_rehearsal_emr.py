"""Deployment rehearsal on EMR Serverless, reading landing files.

``retail-lake deploy`` onto moto in server mode; the file-arrival and completeness
Lambdas run from their uploaded zips on the template's events; Step Functions is
played from the state machine the template created, and each job runs its
``EntryPoint`` with its ``EntryPointArguments`` and ``SparkSubmitParameters`` in a
mirror of the EMR image (Python 3.11, no ``awsglue``), the wheel being the only copy
of the library. Every curated table must equal a local-runner run of the same input.
"""

from __future__ import annotations

import pytest

from tests.rehearsal.checks import RehearsalChecks
from tests.rehearsal.story import first_week

pytestmark = [pytest.mark.rehearsal, pytest.mark.spark]


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory, spark):
    from retail_lake.deploy import build_wheel

    root = tmp_path_factory.mktemp("rehearsal-emr-files")
    yield from first_week(
        "emr",
        "files",
        backfill=False,
        root=root,
        wheel=build_wheel(root / "wheel"),
        spark=spark,
    )


class TestEmrReadingFiles(RehearsalChecks):
    backfill = False
