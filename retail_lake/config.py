"""The one configuration object, built in one place from job arguments and environment.

Job scripts and the CLI both end up in :func:`build_settings`; no other module reads
``os.environ`` or ``sys.argv``. Argument names are the same snake_case in
CloudFormation (``--lake``), in the argument list and in the field below.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Literal, NoReturn

Platform = Literal["local", "glue", "emr"]
Backend = Literal["local", "aws"]
PLATFORMS: tuple[str, ...] = ("local", "glue", "emr")
SOURCES: tuple[str, ...] = ("files", "mysql")


class ConfigError(ValueError):
    """A setting is missing or has a value the pipeline cannot use."""


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything a job or command needs to know about where it runs.

    ``repr`` shows :meth:`redacted`, so logging a ``Settings`` never leaks the
    password or credentials embedded in the JDBC URL.
    """

    lake: str
    platform: Platform = "local"
    source: Literal["files", "mysql"] = "files"
    # Source database: a JDBC URL locally, a Glue connection + secret on AWS.
    jdbc_url: str | None = None
    db_user: str | None = None
    db_password: str | None = field(default=None, repr=False)
    db_secret_id: str | None = None
    glue_connection: str | None = None
    jdbc_partitions: int = 4
    lookback_days: int = 3
    # Ports: which adapter to use (docs/design.md, Ports and adapters). Default: aws
    # when the lake is on S3.
    tracker: Backend = "local"
    notifier: Backend = "local"
    catalog: Backend = "local"
    query: Backend = "local"
    metrics: Backend = "local"
    region: str = "us-east-1"
    glue_database: str = "retail_lake"
    tracker_table: str = "retail_lake_tracker"
    metadata_table: str = "retail_lake_contracts"
    orders_table: str = "orders"
    workflow_name: str = "retail-lake-daily"
    emr_state_machine_arn: str | None = None
    orders_dlq_url: str | None = None
    athena_workgroup: str = "retail-lake"
    alert_sender: str = "retail-lake@example.com"
    alert_recipients: tuple[str, ...] = ("data-team@example.com",)
    shuffle_partitions: int | None = None
    # Where OpenLineage events of the steps go (docs/design.md, Lineage): ``lake``
    # (JSON lines in _control/lineage/), an http(s):// endpoint, ``datazone:<domain-id>``
    # or ``off``.
    lineage: str = "lake"
    # Completeness check: franchise store_nums expected to send files (default: the
    # stores with frnchs_flg = 1 in that date's store dimension).
    franchise_stores: tuple[int, ...] = ()
    # Deployment rehearsal only: Spark cannot reach S3 on a machine without AWS, so
    # the lake's files live in this local folder while ``lake`` stays the s3:// URI
    # and every other port (tracker, catalog, notifier, query) keeps its AWS adapter.
    rehearsal_lake_dir: str | None = None

    @property
    def on_s3(self) -> bool:
        return self.lake.startswith("s3://")

    def redacted(self) -> dict[str, object]:
        """A JSON-safe view for run reports: secrets masked, URLs stripped of credentials."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "db_password":
                value = "***" if value else None
            elif f.name == "jdbc_url" and value:
                value = _strip_url_credentials(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    def __repr__(self) -> str:
        return f"Settings({self.redacted()})"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _strip_url_credentials(url: str) -> str:
    """Drop ``user:password@`` and ``password=`` parameters from a JDBC URL."""
    import re

    url = re.sub(r"//[^/@]*@", "//", url)
    return re.sub(r"(?i)(password|pwd)=[^&;]*", r"\1=***", url)


PORTS = ("tracker", "notifier", "catalog", "query", "metrics")
"""Settings that pick a port's adapter: ``aws`` or ``local``."""

_INT_FIELDS = {"jdbc_partitions", "lookback_days", "shuffle_partitions"}
_ENV_PREFIX = "RETAIL_LAKE_"


def build_settings(
    values: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Merge explicit values over ``RETAIL_LAKE_*`` environment variables over defaults.

    Backends default to ``aws`` when the lake is on S3 and ``local`` otherwise, so
    a single ``--lake`` switches a run between a laptop and AWS.
    """
    env = os.environ if env is None else env
    known = {f.name for f in fields(Settings)}
    merged: dict[str, object] = {}
    for name in known:
        env_value = env.get(_ENV_PREFIX + name.upper())
        if env_value not in (None, ""):
            merged[name] = env_value
    if "db_password" not in merged and env.get("RETAIL_LAKE_DB_PASSWORD"):
        merged["db_password"] = env["RETAIL_LAKE_DB_PASSWORD"]
    for name, value in (values or {}).items():
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:
            merged[name] = value
    if "lake" not in merged:
        raise ConfigError("the lake root is required (--lake DIR or s3://bucket/prefix)")
    lake = str(merged["lake"])
    if not lake.startswith("s3://"):
        lake = os.path.abspath(lake)
    merged["lake"] = lake.rstrip("/")
    default_backend = "aws" if lake.startswith("s3://") else "local"
    for port in PORTS:
        merged.setdefault(port, default_backend)
    for name in _INT_FIELDS & merged.keys():
        try:
            merged[name] = int(merged[name])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be an integer, got {merged[name]!r}") from None
    recipients = merged.get("alert_recipients")
    if isinstance(recipients, str):
        merged["alert_recipients"] = tuple(r.strip() for r in recipients.split(",") if r.strip())
    stores = merged.get("franchise_stores")
    if isinstance(stores, str):
        try:
            merged["franchise_stores"] = tuple(int(s) for s in stores.split(",") if s.strip())
        except ValueError:
            raise ConfigError(f"franchise_stores must be store numbers, got {stores!r}") from None
    settings = Settings(**merged)  # type: ignore[arg-type]
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.platform not in PLATFORMS:
        raise ConfigError(
            f"platform must be one of {', '.join(PLATFORMS)}, got {settings.platform!r}"
        )
    if settings.source not in SOURCES:
        raise ConfigError(f"source must be one of {', '.join(SOURCES)}, got {settings.source!r}")
    for port in PORTS:
        if getattr(settings, port) not in ("local", "aws"):
            raise ConfigError(f"{port} backend must be local or aws")
    if settings.platform in ("glue", "emr") and not settings.on_s3:
        raise ConfigError(
            f"--platform {settings.platform} needs an s3:// lake, got {settings.lake}"
        )
    lineage = settings.lineage
    if not (
        lineage in ("lake", "off")
        or lineage.startswith(("http://", "https://"))
        or (lineage.startswith("datazone:") and lineage.removeprefix("datazone:").strip())
    ):
        raise ConfigError(
            f"lineage must be lake, off, an http(s):// URL or datazone:<domain-id>, got {lineage!r}"
        )
    if settings.jdbc_partitions < 1 or settings.lookback_days < 0:
        raise ConfigError("jdbc_partitions must be >= 1 and lookback_days >= 0")


def platform_in_arguments(argv: Sequence[str]) -> str | None:
    """The value of ``--platform`` in a job's argument list, if any (``--platform x`` or ``=x``)."""
    for index, arg in enumerate(argv):
        if arg == "--platform" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--platform="):
            return arg.split("=", 1)[1]
    return None


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting the interpreter."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"bad job arguments: {message}")


def _parse_job_arguments(argv: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """What ``getResolvedOptions`` does, for platforms that have no ``awsglue``.

    Every name is required and takes one value; anything else on the command line
    (EMR's and Spark's own options, Glue's special parameters) is ignored.
    """
    parser = _ArgumentParser(add_help=False, allow_abbrev=False)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    parsed, _ = parser.parse_known_args(list(argv[1:]))
    return vars(parsed)


def resolve_job_arguments(
    argv: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, str]:
    """Resolve Glue-style ``--name value`` arguments of a job script.

    On ``--platform glue`` this is Glue's own ``getResolvedOptions`` (``awsglue`` is
    part of the Glue runtime and nowhere else); on EMR and locally an argparse
    parser with the same rules, so EMR Serverless, whose image has no ``awsglue``,
    runs the same scripts. ``getResolvedOptions`` treats every option it is given
    as required, so optional arguments are only asked for when they appear in
    ``argv``: this is the single place that knows that quirk.
    """
    present = [
        name
        for name in optional
        if any(arg == f"--{name}" or arg.startswith(f"--{name}=") for arg in argv)
    ]
    names = [*required, *present]
    if platform_in_arguments(argv) == "glue":
        from awsglue.utils import getResolvedOptions  # provided by the Glue job runtime

        try:
            resolved = getResolvedOptions(list(argv), names)
        except Exception as exc:  # GlueArgumentError and reserved-name errors
            raise ConfigError(f"bad job arguments: {exc}") from exc
    else:
        resolved = _parse_job_arguments(argv, names)
    return {k: v for k, v in resolved.items() if k in names}
