"""Glue crawler definitions (``crawlers/crawlers.toml``) and their CloudFormation.

Crawlers only discover what arrives from outside (landing CSVs, raw extracts, the
Firehose change records); contract tables are registered by the jobs. The TOML is
the one definition: this module expands it, derives CSV headers and raw paths from
the dataset contracts, and renders ``AWS::Glue::Crawler`` / ``AWS::Glue::Classifier``
resources as a dict that the infrastructure templates embed.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from retail_lake import resources
from retail_lake.contracts import dataset

DEFAULT_PATH = resources.path("crawlers/crawlers.toml")

UPDATE_BEHAVIORS = ("UPDATE_IN_DATABASE", "LOG")
DELETE_BEHAVIORS = ("LOG", "DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE")
RECRAWL_BEHAVIORS = ("CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY")


class CrawlerError(ValueError):
    """A crawler definition is inconsistent; the message names the crawler."""


@dataclass(frozen=True)
class Classifier:
    """A custom classifier: CSV with the contract header, or JSON with a JsonPath."""

    name: str
    kind: str
    header: tuple[str, ...] = ()
    json_path: str | None = None


@dataclass(frozen=True)
class Crawler:
    """One expanded crawler: paths are lake-relative folders ending in ``/``."""

    name: str
    description: str
    paths: tuple[str, ...]
    table_prefix: str
    update_behavior: str
    delete_behavior: str
    recrawl: str
    exclusions: tuple[str, ...] = ()
    classifier: Classifier | None = None
    configuration: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def expected_tables(self) -> list[str]:
        """Tables the crawler creates: prefix + the last folder of each path (Glue's rule)."""
        return sorted({self.table_prefix + p.rstrip("/").rsplit("/", 1)[-1] for p in self.paths})


def _fill(value: Any, name: str | None) -> Any:
    """Expand ``{dataset}`` in strings, lists and tables of a ``for_each`` crawler."""
    if name is None:
        return value
    if isinstance(value, str):
        return value.replace("{dataset}", name)
    if isinstance(value, list):
        return [_fill(v, name) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, name) for k, v in value.items()}
    return value


def _classifier(body: dict[str, Any] | None, crawler: str) -> Classifier | None:
    if body is None:
        return None
    if body.get("kind") == "csv":
        source = body["header_from"]
        header = tuple(dataset(source).column_names)
        return Classifier(name=f"csv-{source.replace('_', '-')}", kind="csv", header=header)
    if body.get("kind") == "json":
        return Classifier(name=f"json-{crawler}", kind="json", json_path=body["json_path"])
    raise CrawlerError(f"crawler {crawler}: unknown classifier {body!r}")


def _paths(body: dict[str, Any], crawler: str) -> tuple[str, ...]:
    paths = list(body.get("paths", []))
    for name in body.get("datasets", []):
        raw = dataset(name).raw_path
        if not raw:
            raise CrawlerError(f"crawler {crawler}: dataset {name} has no raw zone")
        paths.append(raw)
    if not paths:
        raise CrawlerError(f"crawler {crawler}: no paths or datasets")
    return tuple(p.strip("/") + "/" for p in paths)


def _expand(body: dict[str, Any], defaults: dict[str, Any]) -> list[Crawler]:
    names = body.get("for_each") or [None]
    out = []
    for item in names:
        spec = _fill({**defaults, **body}, item)
        name = spec["name"]
        exclusions: list[str] = []
        if "include_only" in body:
            template = body["include_only"]
            exclusions = [f"**/{_fill(template, o)}" for o in names if o is not None and o != item]
        policy = spec["schema_change"]
        crawler = Crawler(
            name=name,
            description=spec.get("description", ""),
            paths=_paths(spec, name),
            table_prefix=spec.get("table_prefix", ""),
            update_behavior=policy["update"],
            delete_behavior=policy["delete"],
            recrawl=spec["recrawl"],
            exclusions=tuple(exclusions),
            classifier=_classifier(spec.get("classifier"), name),
            configuration=spec.get("configuration", {}),
        )
        _check(crawler)
        out.append(crawler)
    return out


def _check(crawler: Crawler) -> None:
    name = crawler.name
    if not re.fullmatch(r"[a-z0-9-]+", name):
        raise CrawlerError(f"crawler name {name!r}: use lower-case letters, digits and '-'")
    if crawler.update_behavior not in UPDATE_BEHAVIORS:
        raise CrawlerError(f"crawler {name}: update must be one of {UPDATE_BEHAVIORS}")
    if crawler.delete_behavior not in DELETE_BEHAVIORS:
        raise CrawlerError(f"crawler {name}: delete must be one of {DELETE_BEHAVIORS}")
    if crawler.recrawl not in RECRAWL_BEHAVIORS:
        raise CrawlerError(f"crawler {name}: recrawl must be one of {RECRAWL_BEHAVIORS}")
    # Glue rejects CRAWL_NEW_FOLDERS_ONLY unless both schema-change actions are LOG.
    if crawler.recrawl == "CRAWL_NEW_FOLDERS_ONLY" and (
        crawler.update_behavior != "LOG" or crawler.delete_behavior != "LOG"
    ):
        raise CrawlerError(f"crawler {name}: CRAWL_NEW_FOLDERS_ONLY needs update = delete = LOG")


def load_crawlers(path: Path | str | Traversable | None = None) -> list[Crawler]:
    """The expanded crawlers of ``crawlers.toml``; names and tables must be unique."""
    source = Path(path) if isinstance(path, str) else path or DEFAULT_PATH
    document = tomllib.loads(source.read_text("utf-8"))
    defaults = document.get("defaults", {})
    crawlers = [c for body in document.get("crawler", []) for c in _expand(body, defaults)]
    names = [c.name for c in crawlers]
    if len(set(names)) != len(names):
        raise CrawlerError(f"crawler names repeat: {sorted(names)}")
    tables = [t for c in crawlers for t in c.expected_tables()]
    if len(set(tables)) != len(tables):
        raise CrawlerError(f"two crawlers would write the same table: {sorted(tables)}")
    return crawlers


def logical_id(kind: str, name: str) -> str:
    """CloudFormation logical id: ``Crawler`` + ``LandingRetailSales``."""
    return kind + "".join(part.capitalize() for part in re.split(r"[-_]", name) if part)


def _classifier_resource(classifier: Classifier) -> dict[str, Any]:
    name = {"Fn::Sub": f"${{AWS::StackName}}-{classifier.name}"}
    if classifier.kind == "csv":
        props = {
            "CsvClassifier": {
                "Name": name,
                "Delimiter": ",",
                "QuoteSymbol": '"',
                "ContainsHeader": "PRESENT",
                "Header": list(classifier.header),
                "AllowSingleColumn": False,
            }
        }
    else:
        props = {"JsonClassifier": {"Name": name, "JsonPath": classifier.json_path}}
    return {"Type": "AWS::Glue::Classifier", "Properties": props}


def cloudformation_resources(
    crawlers: list[Crawler] | None = None,
    *,
    role: Any = None,
    database: Any = None,
    lake: str = "s3://${LakeBucket}",
) -> dict[str, dict[str, Any]]:
    """``Resources`` entries for every crawler and classifier.

    ``role`` and ``database`` are CloudFormation values (default: ``GlueCrawlerRole``'s
    ARN and ``Ref GlueDatabase``); ``lake`` is the lake root as an ``Fn::Sub`` string.
    Crawlers have no schedule: the workflow's triggers start them after the jobs.
    """
    role = role if role is not None else {"Fn::GetAtt": ["GlueCrawlerRole", "Arn"]}
    database = database if database is not None else {"Ref": "GlueDatabase"}
    resources: dict[str, dict[str, Any]] = {}
    for crawler in load_crawlers() if crawlers is None else crawlers:
        props: dict[str, Any] = {
            "Name": {"Fn::Sub": f"${{AWS::StackName}}-{crawler.name}"},
            "Description": crawler.description,
            "Role": role,
            "DatabaseName": database,
            "TablePrefix": crawler.table_prefix,
            "Targets": {
                "S3Targets": [
                    {
                        "Path": {"Fn::Sub": f"{lake.rstrip('/')}/{path}"},
                        **({"Exclusions": list(crawler.exclusions)} if crawler.exclusions else {}),
                    }
                    for path in crawler.paths
                ]
            },
            "SchemaChangePolicy": {
                "UpdateBehavior": crawler.update_behavior,
                "DeleteBehavior": crawler.delete_behavior,
            },
            "RecrawlPolicy": {"RecrawlBehavior": crawler.recrawl},
        }
        if crawler.configuration:
            props["Configuration"] = json.dumps(crawler.configuration, sort_keys=True)
        if crawler.classifier is not None:
            cid = logical_id("Classifier", crawler.classifier.name)
            resources.setdefault(cid, _classifier_resource(crawler.classifier))
            props["Classifiers"] = [{"Ref": cid}]
        resources[logical_id("Crawler", crawler.name)] = {
            "Type": "AWS::Glue::Crawler",
            "Properties": props,
        }
    return resources
