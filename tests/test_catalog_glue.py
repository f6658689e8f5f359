"""The Glue catalog adapter on moto: database, typed tables, partitions, Athena view DDL.

moto runs the Glue Data Catalog API for real, so tables and partitions are read
back from it. It cannot execute Athena SQL, so the view statements are recorded at
the adapter's ``run_athena`` seam and checked as text.
"""

from __future__ import annotations

import awswrangler as wr
import pytest

from retail_lake.catalog import GlueCatalog, curated_table, lake_tables, load_views, publish
from retail_lake.catalog._glue import JSON_SERDE, TIMESTAMP_FORMATS
from retail_lake.contracts import contracts
from retail_lake.sql import view_files
from retail_lake.storage import open_storage

BUCKET = "lake-bucket"
ROOT = f"s3://{BUCKET}/prod"
PARTITION_FILES = [
    "curated/weekly_sales_inventory/yr_wk_num=202401/part-0000.parquet",
    "curated/weekly_sales_inventory/yr_wk_num=202402/part-0000.parquet",
    "curated/daily_store_sales/transaction_date=2024-01-02/part-0000.parquet",
    "curated/dim_store/part-0000.parquet",
    "quarantine/sales/load_date=2024-01-02/part-0000.parquet",
    "curated/weekly_sales_inventory/_SUCCESS",
]


class AthenaRecorder:
    """Stands in for ``wr.athena.start_query_execution``: keeps each call's arguments."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return {"Status": {"State": "SUCCEEDED"}}


@pytest.fixture
def lake(aws):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    storage = open_storage(ROOT, boto3_session=aws)
    for key in PARTITION_FILES:
        storage.write_bytes(key, b"PAR1")  # listing is all the catalog step looks at
    return storage


@pytest.fixture
def glue(aws):
    recorder = AthenaRecorder()
    return GlueCatalog("retail_lake", aws, workgroup="retail-lake", run_athena=recorder), recorder


def test_publish_creates_database_and_typed_tables(aws, lake, glue):
    catalog, _ = glue
    publish(catalog, lake)
    assert "retail_lake" in wr.catalog.databases(boto3_session=aws)["Database"].tolist()
    client = aws.client("glue")
    for spec in lake_tables():
        table = client.get_table(DatabaseName="retail_lake", Name=spec.name)["Table"]
        descriptor = table["StorageDescriptor"]
        assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == list(
            spec.athena_columns().items()
        )
        assert [(c["Name"], c["Type"]) for c in table.get("PartitionKeys", [])] == list(
            spec.athena_partitions().items()
        )
        assert descriptor["Location"] == f"{ROOT}/{spec.location}/"
        assert table["Parameters"]["retail_lake_contract_hash"] == contracts().content_hash


def test_curated_tables_match_the_contracts(aws, lake, glue):
    publish(glue[0], lake)
    for ds in contracts().by_zone("curated"):
        types = wr.catalog.get_table_types(database="retail_lake", table=ds.name, boto3_session=aws)
        assert types == {**ds.athena_columns(), **ds.athena_partitions()}


def test_formats_parquet_and_json(aws, lake, glue):
    publish(glue[0], lake)
    client = aws.client("glue")
    weekly = client.get_table(DatabaseName="retail_lake", Name="weekly_sales_inventory")["Table"]
    assert "parquet" in weekly["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].lower()
    changes = client.get_table(DatabaseName="retail_lake", Name="order_changes")["Table"]
    serde = changes["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == JSON_SERDE
    assert serde["Parameters"]["timestamp.formats"] == TIMESTAMP_FORMATS
    assert changes["StorageDescriptor"]["Location"] == f"{ROOT}/raw/order_changes/"
    assert changes["Parameters"]["classification"] == "json"
    assert (
        dict((c["Name"], c["Type"]) for c in changes["StorageDescriptor"]["Columns"])["event_time"]
        == "timestamp"
    )


def test_partitions_are_registered_after_a_run(aws, lake, glue):
    report = publish(glue[0], lake)
    assert report.partitions["weekly_sales_inventory"] == 2
    weekly = wr.catalog.get_partitions("retail_lake", "weekly_sales_inventory", boto3_session=aws)
    assert weekly == {
        f"{ROOT}/curated/weekly_sales_inventory/yr_wk_num=202401/": ["202401"],
        f"{ROOT}/curated/weekly_sales_inventory/yr_wk_num=202402/": ["202402"],
    }
    daily = wr.catalog.get_partitions("retail_lake", "daily_store_sales", boto3_session=aws)
    assert daily == {
        f"{ROOT}/curated/daily_store_sales/transaction_date=2024-01-02/": ["2024-01-02"]
    }
    rejected = wr.catalog.get_partitions("retail_lake", "quarantine_sales", boto3_session=aws)
    assert rejected == {f"{ROOT}/quarantine/sales/load_date=2024-01-02/": ["2024-01-02"]}
    assert wr.catalog.get_partitions("retail_lake", "quarantine_store", boto3_session=aws) == {}


def test_a_rerun_keeps_partitions_and_adds_new_ones(aws, lake, glue):
    catalog, _ = glue
    publish(catalog, lake)
    lake.write_bytes("curated/weekly_sales_inventory/yr_wk_num=202403/part-0000.parquet", b"PAR1")
    # the run says which partition it wrote: only that one is registered, the rest stay
    publish(catalog, lake, written={"weekly_sales_inventory": [(202403,)]})
    weekly = wr.catalog.get_partitions("retail_lake", "weekly_sales_inventory", boto3_session=aws)
    assert sorted(v[0] for v in weekly.values()) == ["202401", "202402", "202403"]


def test_register_partitions_directly(aws, glue):
    catalog, _ = glue
    catalog.ensure_database()
    spec = curated_table("daily_store_sales")
    location = f"{ROOT}/{spec.location}"
    catalog.register_table(spec, location)
    catalog.register_partitions(spec, location, [("2024-01-05",), ("2024-01-06",)])
    catalog.register_partitions(spec, location, [("2024-01-05",)])  # again: idempotent
    parts = wr.catalog.get_partitions("retail_lake", "daily_store_sales", boto3_session=aws)
    assert sorted(parts) == [
        f"{location}/transaction_date=2024-01-05/",
        f"{location}/transaction_date=2024-01-06/",
    ]


def test_views_are_created_through_athena_in_dependency_order(aws, lake, glue):
    catalog, recorder = glue
    report = publish(catalog, lake)
    files = {
        f.name.removesuffix(".sql"): f.read_text("utf-8").strip().rstrip(";").rstrip()
        for f in view_files()
    }
    assert sorted(report.views.created) == sorted(files)
    assert report.views.skipped == {}
    assert [c["sql"].split("\n", 1)[0] for c in recorder.calls] == [
        f"CREATE OR REPLACE VIEW {name} AS" for name in report.views.created
    ]
    for call in recorder.calls:
        name = call["sql"].split()[4]
        assert call["sql"] == f"CREATE OR REPLACE VIEW {name} AS\n{files[name]}"
        assert call["database"] == "retail_lake"
        assert call["workgroup"] == "retail-lake"
        assert call["boto3_session"] is aws
        assert call["wait"] is True
    created = report.views.created
    for view in load_views():
        for source in view.sources & set(created):
            assert created.index(source) < created.index(view.name)


def test_views_whose_tables_are_not_registered_are_skipped(aws, lake, glue):
    catalog, recorder = glue
    only_dims = [curated_table(n) for n in ("dim_store", "dim_product", "dim_calendar")]
    report = publish(catalog, lake, tables=only_dims)
    assert report.views.created == []
    assert report.views.skipped["v_daily_franchise_sales"] == "missing tables daily_store_sales"
    assert recorder.calls == []


def test_athena_failure_names_the_view(aws, lake):
    def failing(**kwargs):
        raise RuntimeError("FAILED: line 1:8: Column 'x' cannot be resolved")

    catalog = GlueCatalog("retail_lake", aws, run_athena=failing)
    with pytest.raises(Exception, match="v_daily_franchise_sales"):
        publish(catalog, lake)
