"""Crawler definitions and the CloudFormation generated from them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retail_lake.catalog import lake_tables
from retail_lake.contracts import RETAIL_TABLES, dataset
from retail_lake.crawlers import (
    CrawlerError,
    cloudformation_resources,
    load_crawlers,
    logical_id,
)


def _by_name():
    return {c.name: c for c in load_crawlers()}


def test_resources_match_the_definitions():
    crawlers = load_crawlers()
    resources = cloudformation_resources(crawlers)
    crawler_resources = {k: v for k, v in resources.items() if v["Type"] == "AWS::Glue::Crawler"}
    assert len(crawler_resources) == len(crawlers)
    for crawler in crawlers:
        props = resources[logical_id("Crawler", crawler.name)]["Properties"]
        assert props["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{crawler.name}"}
        assert props["TablePrefix"] == crawler.table_prefix
        assert props["SchemaChangePolicy"] == {
            "UpdateBehavior": crawler.update_behavior,
            "DeleteBehavior": crawler.delete_behavior,
        }
        assert props["RecrawlPolicy"] == {"RecrawlBehavior": crawler.recrawl}
        targets = props["Targets"]["S3Targets"]
        assert [t["Path"]["Fn::Sub"] for t in targets] == [
            f"s3://${{LakeBucket}}/{p}" for p in crawler.paths
        ]
        assert all(t.get("Exclusions", []) == list(crawler.exclusions) for t in targets)
        assert json.loads(props["Configuration"]) == crawler.configuration
        if crawler.classifier is None:
            assert "Classifiers" not in props
        else:
            (ref,) = props["Classifiers"]
            assert resources[ref["Ref"]]["Type"] == "AWS::Glue::Classifier"


def test_landing_crawlers_keep_only_their_own_file_and_header():
    crawlers = _by_name()
    resources = cloudformation_resources()
    for table in RETAIL_TABLES:
        crawler = crawlers[f"landing-retail-{table}"]
        assert crawler.paths == ("landing/retail/",)
        assert set(crawler.exclusions) == {f"**/{o}.csv" for o in RETAIL_TABLES if o != table}
        csv = resources[logical_id("Classifier", crawler.classifier.name)]["Properties"][
            "CsvClassifier"
        ]
        assert csv["Header"] == dataset(table).column_names
        assert (csv["Delimiter"], csv["ContainsHeader"]) == (",", "PRESENT")


def test_raw_crawler_covers_every_raw_dataset_and_order_changes_uses_json():
    crawlers = _by_name()
    assert set(crawlers["raw-retail"].paths) == {
        dataset(n).raw_path + "/" for n in (*RETAIL_TABLES, "store_sales")
    }
    changes = crawlers["raw-order-changes"]
    assert changes.paths == ("raw/order_changes/",)
    assert changes.classifier.kind == "json"
    json_classifier = cloudformation_resources()[logical_id("Classifier", changes.classifier.name)]
    assert json_classifier["Properties"]["JsonClassifier"]["JsonPath"] == "$"


def test_crawler_tables_never_collide_with_contract_tables():
    crawled = {t for c in load_crawlers() for t in c.expected_tables()}
    assert "raw_order_changes" in crawled and "landing_store_sales" in crawled
    assert crawled.isdisjoint({t.name for t in lake_tables()})


def test_new_folders_only_requires_log_policies(tmp_path):
    bad = tmp_path / "crawlers.toml"
    bad.write_text(
        'version = 1\n[[crawler]]\nname = "x"\npaths = ["landing/"]\n'
        'schema_change = { update = "UPDATE_IN_DATABASE", delete = "LOG" }\n'
        'recrawl = "CRAWL_NEW_FOLDERS_ONLY"\n'
    )
    with pytest.raises(CrawlerError, match="CRAWL_NEW_FOLDERS_ONLY"):
        load_crawlers(bad)


def test_generated_resources_pass_cfn_lint(tmp_path):
    assert shutil.which("cfn-lint") or Path(sys.prefix, "bin/cfn-lint").exists(), (
        "cfn-lint is pinned"
    )
    resources = cloudformation_resources()
    resources["GlueDatabase"] = {
        "Type": "AWS::Glue::Database",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseInput": {"Name": "retail_lake"},
        },
    }
    resources["GlueCrawlerRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "glue.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        },
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"LakeBucket": {"Type": "String"}},
        "Resources": resources,
    }
    path = tmp_path / "crawlers.json"
    path.write_text(json.dumps(template))
    exe = shutil.which("cfn-lint") or str(Path(sys.prefix, "bin/cfn-lint"))
    result = subprocess.run([exe, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
