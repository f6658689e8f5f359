"""Shared fixtures: one SparkSession for the whole test session, small and local."""

from __future__ import annotations

import os
import sys

import pytest

pytest_plugins = ["tests.fixtures_mariadb", "tests.fixtures_aws"]

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The one SparkSession of the suite, built by the library's own runtime."""
    from retail_lake.config import build_settings
    from retail_lake.runtime.spark import build_spark

    lake = tmp_path_factory.mktemp("spark-lake")
    settings = build_settings({"lake": str(lake), "shuffle_partitions": 2}, env={})
    # make test tunes the JVMs for short lives (SPARK_SUBMIT_OPTS: no C2 JIT); this one
    # runs the whole session, where the C2 JIT pays off, so it starts without that.
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SPARK_SUBMIT_OPTS", raising=False)
        session = build_spark(settings, "retail-lake-tests")
    yield session
    session.stop()


@pytest.fixture
def lake_dir(tmp_path):
    """An empty local lake root."""
    root = tmp_path / "lake"
    root.mkdir()
    return root


RESOURCE_MARKERS = {"spark": "spark", "mariadb": "mariadb"}
"""Shared fixture -> the marker of the tests that use it. A test that starts such a
resource itself (in a subprocess, or a server of its own) carries the marker by hand."""


SLOWEST_MODULES = (
    "test_rehearsal_glue",
    "test_rehearsal_emr",
    "test_extract",
    "test_benchmarks",
    "test_bad_inputs",
    "test_wheel_install",
    "test_pipeline_generated",
    "test_glue_job_scripts",
    "test_workflow_reference",
    "test_pipeline_files",
    "test_secrets_in_logs",
    "test_quality_gates_lake",
    "test_notebooks",
    "test_faults",
    "test_contracts",
)
"""Modules that take a minute or more, slowest first. ``make test`` runs the suite on
two workers, one module at a time each; starting the longest ones first lets both
workers finish together instead of one waiting on a rehearsal started last."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers follow the fixtures a test really uses, through any other fixture, so
    ``-m "not spark"`` leaves out every test that needs the SparkSession. The slowest
    modules move to the front, in :data:`SLOWEST_MODULES` order (a stable sort: the
    order within a module and of all other modules stays)."""
    for item in items:
        for fixture, marker in RESOURCE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.get_closest_marker(marker):
                item.add_marker(marker)
    rank = {name: i for i, name in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))
