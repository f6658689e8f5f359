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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers follow the fixtures a test really uses, through any other fixture, so
    ``-m "not spark"`` leaves out every test that needs the SparkSession."""
    for item in items:
        for fixture, marker in RESOURCE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.get_closest_marker(marker):
                item.add_marker(marker)
