"""The exported Superset dashboard (``superset/export``) stays in step with the views.

Superset itself is not installed in the test environment (``make superset`` runs it
in its own venv); these checks read the YAML only: every dataset is an Athena view
that ``retail_lake/sql/views/`` defines, every column a chart uses is a column of
its dataset, the dashboard places exactly the exported charts, and the Athena URI
carries the workgroup and the query-result location.
"""

from __future__ import annotations

import importlib.util
import io
import re
import urllib.parse
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "superset" / "export"
VIEWS = {p.stem for p in (ROOT / "retail_lake" / "sql" / "views").glob("*.sql")}


def _load(folder: str) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((EXPORT / folder).rglob("*.yaml"))]


@pytest.fixture(scope="module")
def local_module():
    spec = importlib.util.spec_from_file_location("superset_local", ROOT / "superset" / "local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _view_columns(view: str) -> set[str]:
    """Output column names of a view, read from its final SELECT list."""
    sql = (ROOT / "retail_lake" / "sql" / "views" / f"{view}.sql").read_text()
    body = re.sub(r"--[^\n]*", "", sql)
    select = body[body.upper().rindex("SELECT") :]
    select = select[: select.upper().index("FROM")]
    names = set()
    for item in re.split(r",\s*\n", select[len("SELECT") :]):
        item = item.strip()
        match = re.search(r"\bAS\s+(\w+)\s*$", item, re.IGNORECASE)
        names.add(match.group(1) if match else item.split(".")[-1])
    return names


def test_bundle_has_every_part():
    meta = yaml.safe_load((EXPORT / "metadata.yaml").read_text())
    assert meta["type"] == "Dashboard" and meta["version"] == "1.0.0"
    assert len(_load("databases")) == 1
    assert _load("datasets") and _load("charts") and len(_load("dashboards")) == 1


def test_datasets_are_existing_views_in_the_glue_database():
    (database,) = _load("databases")
    for dataset in _load("datasets"):
        assert dataset["table_name"] in VIEWS, f"{dataset['table_name']} is not a view in sql/views"
        assert dataset["schema"] == "retail_lake"
        assert dataset["sql"] is None  # physical datasets: the logic stays in the views
        assert dataset["database_uuid"] == database["uuid"]
        columns = {c["column_name"] for c in dataset["columns"]}
        assert columns == _view_columns(dataset["table_name"]), dataset["table_name"]


def test_charts_use_columns_of_their_dataset():
    datasets = {d["uuid"]: d for d in _load("datasets")}
    for chart in _load("charts"):
        dataset = datasets[chart["dataset_uuid"]]
        columns = {c["column_name"] for c in dataset["columns"]}
        params = chart["params"]
        used = set(params.get("groupby", []))
        if isinstance(params.get("x_axis"), str):
            used.add(params["x_axis"])
        for metric in [*params.get("metrics", []), params.get("metric")]:
            if isinstance(metric, dict):
                used.add(metric["column"]["column_name"])
        used |= {f["subject"] for f in params.get("adhoc_filters", [])}
        assert used <= columns, (chart["slice_name"], used - columns)


def test_dashboard_places_every_chart_once():
    (dashboard,) = _load("dashboards")
    placed = [
        node["meta"]["uuid"]
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    ]
    assert sorted(placed) == sorted(c["uuid"] for c in _load("charts"))


def test_athena_uri_has_workgroup_and_staging_dir(local_module):
    template = yaml.safe_load((ROOT / "superset" / "athena_database.yaml").read_text())
    uri_template = template["sqlalchemy_uri_template"]
    assert uri_template.startswith("awsathena+rest://@athena.{region}.amazonaws.com:443/{schema}?")
    assert "s3_staging_dir={s3_staging_dir}" in uri_template
    assert "work_group={work_group}" in uri_template
    (database,) = _load("databases")
    exported = urllib.parse.urlsplit(database["sqlalchemy_uri"])
    query = urllib.parse.parse_qs(exported.query)
    assert exported.scheme == "awsathena+rest"
    assert query["work_group"] and query["s3_staging_dir"][0].startswith("s3://")
    assert database["sqlalchemy_uri"] == local_module.athena_database()["sqlalchemy_uri"]

    custom = local_module.athena_database(
        {
            "region": "eu-west-1",
            "schema": "sales_db",
            "work_group": "analytics",
            "s3_staging_dir": "s3://bucket/_control/athena-results/",
        }
    )["sqlalchemy_uri"]
    assert custom == (
        "awsathena+rest://@athena.eu-west-1.amazonaws.com:443/sales_db"
        "?s3_staging_dir=s3%3A%2F%2Fbucket%2F_control%2Fathena-results%2F&work_group=analytics"
    )


def test_local_bundle_swaps_only_the_database(local_module, tmp_path):
    catalog = tmp_path / "lake" / "_control" / "catalog.duckdb"
    catalog.parent.mkdir(parents=True)
    catalog.write_bytes(b"")
    data = local_module.build_bundle(local_module.duckdb_database(tmp_path / "lake"), "main")
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        files = {n: yaml.safe_load(bundle.read(n)) for n in bundle.namelist()}
    databases = [v for k, v in files.items() if "/databases/" in k]
    assert [d["sqlalchemy_uri"] for d in databases] == [f"duckdb:///{catalog.resolve()}"]
    assert databases[0]["extra"]["engine_params"]["connect_args"] == {"read_only": True}
    (original,) = _load("databases")
    assert databases[0]["uuid"] == original["uuid"]
    datasets = [v for k, v in files.items() if "/datasets/" in k]
    assert {d["schema"] for d in datasets} == {"main"}
    assert len(datasets) == len(_load("datasets"))
    assert sum("/charts/" in k for k in files) == len(_load("charts"))
