"""The local workflow over a range of loads equals the independent DuckDB workflow.

A small generated range (with anomalies of every kind), plus a few deliveries the
generator never makes: a sales row restated by a later load, a franchise row
restated by a later load under a later business date, and lines whose field count
does not match the header.
Run as one backfill or as one run per date, the curated ``daily_store_sales`` and
``weekly_sales_inventory`` must equal
:mod:`benchmarks.workflow_reference` row by row (exact keys, metrics to 1e-9), and
the quarantine counts per file and reason must equal the validate reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.same_numbers import reference_counts, report_counts
from benchmarks.workflow_reference import run_reference
from retail_lake.config import build_settings
from retail_lake.contracts import dataset
from retail_lake.generator import generate
from retail_lake.runner.local import run_pipeline
from retail_lake.storage import layout

pytestmark = pytest.mark.spark

START = dt.date(2026, 1, 11)  # a Sunday: the two loads fall in two weeks
DAYS = [START, START + dt.timedelta(days=1)]


def _append(path: Path, lines: list[str]) -> None:
    text = path.read_text()
    path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(lines) + "\n")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


_FORMS = {"int": r"[0-9]+", "decimal": r"[0-9]+\.[0-9]{2}", "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}"}


def _clean_row(path: Path, name: str) -> dict[str, str]:
    """A row of ``path`` that breaks no rule (the generator's anomalies do)."""
    ds = dataset(name)
    day_dir = path.parent  # landing/retail/<D>/: the dimensions of the same load
    known = {
        col: {r[dataset(dim).key[0]] for r in _rows(day_dir / f"{dim}.csv")}
        for col, dim, _reason in ds.reference_reasons()
    }
    rows = _rows(path)
    keys = Counter(tuple(r[k] for k in ds.key) for r in rows)
    for row in rows:
        forms = all(
            not row[c.name] or re.fullmatch(_FORMS.get(c.type.name, ".*"), row[c.name])
            for c in ds.columns
            if c.name not in ds.flags
        )
        if (
            forms
            and all(row[c] for c in ds.required)
            and all(row[c] in allowed for c, allowed in known.items())
            and all(row[f] in ("0", "1") for f in ds.flags)
            and keys[tuple(row[k] for k in ds.key)] == 1
        ):
            return row
    raise AssertionError(f"no clean row in {path}")


def _restate(earlier: Path, later: Path, name: str, column: str, **changes: str) -> dict[str, str]:
    """Deliver a clean row of ``earlier`` again in ``later``: ``column`` raised by 1,
    other ``changes`` applied."""
    row = _clean_row(earlier, name)
    row[column] = f"{float(row[column]) + 1:.2f}"
    row.update(changes)
    header = next(csv.reader(later.open()))
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([row[c] for c in header])
    _append(later, [line.getvalue()])
    return row


@pytest.fixture(scope="module", params=["one run for the range", "one run per date"])
def lakes(request, spark, tmp_path_factory):
    """The same deliveries run as one backfill, or as nightly runs one date at a time:
    both must give the reference's numbers."""
    root = tmp_path_factory.mktemp("workflow-reference")
    lake = root / "lake"
    generate(lake, START, len(DAYS), stores=4, products=6, seed=5, anomaly_rate=0.08)
    sales = [lake / layout.landing_retail(d, "sales") for d in DAYS]
    sale = _restate(sales[0], sales[1], "sales", "sales_amt")
    franchise = sorted((lake / layout.landing_store_sales_dir(DAYS[0])).glob("*.csv"))[0]
    later = lake / layout.landing_store_sales_dir(DAYS[1]) / franchise.name
    # moved to the later business date: the earlier date's partition gets no other row
    # of that load, yet the key's earlier row must go
    moved = _restate(
        franchise, later, "store_sales", "sale_amount", transaction_date=DAYS[1].isoformat()
    )
    width = len(dataset("store_sales").columns)
    _append(franchise, [",".join(["1"] * (width + 2)), ",".join(["2"] * (width - 3))])
    _append(sales[1], ["1,2,3"])
    settings = build_settings({"lake": str(lake), "shuffle_partitions": 2}, env={})
    if request.param == "one run for the range":
        run_pipeline(settings, DAYS[0], DAYS[-1], spark=spark)
    else:
        for day in DAYS:
            run_pipeline(settings, day, spark=spark)
    reference = run_reference(lake, DAYS, root / "reference", threads=1)
    return lake, reference, {"sales": sale, "store_sales": moved}


def _frame(path: Path, name: str) -> pd.DataFrame:
    contract = dataset(name)
    frame = pd.read_parquet(path)[contract.column_names]
    for column in contract.columns:
        if column.type.name == "date":
            frame[column.name] = pd.to_datetime(frame[column.name].astype(str)).dt.date
        elif column.type.name == "int":
            frame[column.name] = frame[column.name].astype("Int64")
    return frame.sort_values(list(contract.key)).reset_index(drop=True)


def _assert_same_rows(lake: Path, ref: dict[str, Path], _restated, name: str) -> None:
    ours = _frame(lake / layout.curated_dir(name), name)
    theirs = _frame(ref[name], name)
    assert len(ours) == len(theirs) > 0
    for column in dataset(name).columns:
        a, b = ours[column.name], theirs[column.name]
        if column.type.name == "double":
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=column.name
            )
        else:
            assert a.tolist() == b.tolist(), column.name


def test_daily_store_sales_equal_the_reference_row_by_row(lakes):
    _assert_same_rows(*lakes, "daily_store_sales")


def test_weekly_metrics_equal_the_reference_row_by_row(lakes):
    _assert_same_rows(*lakes, "weekly_sales_inventory")


def test_quarantine_counts_per_file_and_reason_equal_the_validate_reports(lakes):
    lake, ref, _ = lakes
    ours, theirs = report_counts(lake, DAYS), reference_counts(ref["quarantine_counts"])
    assert ours == theirs
    reasons = {reason for _name, _file, reason in ours}
    assert {"duplicate_key", "bad_type", "unknown_store", "missing_required"} <= reasons


def test_a_later_load_restates_an_earlier_row(lakes):
    """The re-delivered rows replace the earlier ones, also under a new business date,
    in our validated zone and in the reference's."""
    lake, ref, restated = lakes
    for name, date_column in (("sales", "trans_dt"), ("store_sales", "transaction_date")):
        ours = pd.read_parquet(lake / layout.validated_dir(name))
        for rows in (ours, pd.read_parquet(ref[f"validated_{name}"])):
            key = list(dataset(name).key)
            assert not rows[key].astype(str).duplicated().any()
            row = restated[name]
            matches = (rows[key].astype(str) == [row[k] for k in key]).all(axis=1)
            (found,) = rows[matches].itertuples()
            assert str(found.load_date)[:10] == DAYS[1].isoformat()
            assert str(getattr(found, date_column))[:10] == row[date_column]
