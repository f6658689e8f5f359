"""One small generated and processed lake shared by the notebook and report tests.

Building it runs the whole daily workflow through Spark, which costs minutes on a
2-core machine, so it is built at most once per test session: the fixture may be
imported by several test modules (each then gets its own fixture definition), and
the module-level cache makes all of them return the same folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

START = dt.date(2026, 1, 5)
DAYS = 8  # two ISO weeks: enough for every chart, cheap enough for CI
STORES = 4
PRODUCTS = 10

_built: dict[str, Path | BaseException] = {}


def build_small_lake(root: Path, spark) -> Path:
    """Generate DAYS days for 4 stores and 10 products, feed the order channel, run the workflow.

    The order batches the generator writes go through the local order channel
    first, so ``order_changes`` and the order views exist when the catalog step runs.
    """
    from retail_lake.config import build_settings
    from retail_lake.generator import generate
    from retail_lake.orders.local import ingest_file
    from retail_lake.runner.local import run_pipeline

    lake = root / "lake"
    generate(lake, START, DAYS, stores=STORES, products=PRODUCTS, seed=7, anomaly_rate=0.01)
    for batch in sorted((lake / "landing" / "orders").glob("*.json")):
        summary = ingest_file(lake, batch)
        assert summary.batch_rejected is None, summary
    settings = build_settings({"lake": str(lake), "shuffle_partitions": 2}, env={})
    run_pipeline(settings, START, START + dt.timedelta(days=DAYS - 1), spark=spark)
    return lake


@pytest.fixture(scope="session")
def small_lake(tmp_path_factory, spark) -> Path:
    """The processed small lake (see module docstring); built once per session."""
    key = str(tmp_path_factory.getbasetemp())
    if key not in _built:
        try:
            _built[key] = build_small_lake(tmp_path_factory.mktemp("small-lake"), spark)
        except Exception as exc:  # remembered: a second module must not rebuild for minutes
            _built[key] = exc
    outcome = _built[key]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
