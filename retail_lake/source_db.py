"""The source-database port: where the MySQL/RDS connection details come from.

The extraction job needs a JDBC URL, a user, a password and a driver class. Each
platform keeps them somewhere else:

* **local**: ``settings.jdbc_url`` (which may carry ``user:password@`` or a
  ``password=`` parameter), ``settings.db_user`` and ``settings.db_password``
  (``RETAIL_LAKE_DB_PASSWORD``);
* **EMR**: the Secrets Manager secret ``settings.db_secret_id`` in the RDS format
  (JSON with ``username``, ``password``, ``host``, ``port``, ``dbname``);
* **Glue**: the Glue Connection ``settings.glue_connection`` (its URL, and its
  ``SECRET_ID`` or user and password), read through the Glue API, with the job's own
  secret taking precedence for the credentials when both are configured, because
  rotation updates the secret.

One driver serves every platform: MariaDB Connector/J, which talks to MySQL and
Aurora MySQL as well as MariaDB. ``retail-lake deploy`` uploads its jar next to the
job scripts and the templates put it on the classpath (``--extra-jars`` on Glue,
``--jars`` on EMR), so the driver the tests run is the driver AWS runs. URLs keep
the ``jdbc:mysql:`` scheme: Spark picks its MySQL dialect (backquoted identifiers)
by that prefix, and Connector/J 2.x accepts it (3.x needs ``permitMysqlScheme``).

Whatever the source, the password ends up only in :meth:`SourceDatabase.jdbc_properties`
(handed to the JDBC driver) and is scrubbed from every message by
:meth:`SourceDatabase.scrub`; ``repr`` never shows it and the URL kept here never
contains credentials.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:
    import boto3

    from retail_lake.config import Settings

MARIADB_DRIVER = "org.mariadb.jdbc.Driver"
"""MariaDB Connector/J (Debian ``libmariadb-java``), the driver on every platform."""


class SourceConfigError(ValueError):
    """The source database is not configured well enough to connect (no secret shown)."""


@dataclass(frozen=True)
class SourceDatabase:
    """Connection details of the source database; the password never leaves this object
    except through :meth:`jdbc_properties`."""

    url: str
    user: str
    password: str = field(repr=False)
    driver: str = MARIADB_DRIVER
    origin: str = "settings"

    def jdbc_properties(self, **extra: str) -> dict[str, str]:
        """Properties for ``spark.read.jdbc``: credentials travel here, never in the URL."""
        return {"user": self.user, "password": self.password, "driver": self.driver, **extra}

    def secrets(self) -> list[str]:
        """Every form in which the password could show up in a driver's message."""
        if not self.password:
            return []
        forms = {self.password, quote(self.password, safe=""), quote(self.password)}
        return sorted(forms, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """``text`` with the password (plain or URL-encoded) and any ``password=`` value masked.

        JDBC drivers echo URLs and connection strings in exceptions; every message
        that leaves the extraction job goes through here first.
        """
        return scrub(text, self.secrets())

    def describe(self) -> dict[str, str]:
        """A JSON-safe description for run reports."""
        return {"url": self.url, "user": self.user, "driver": self.driver, "origin": self.origin}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Mask each secret and every ``password=``/``pwd=`` parameter value in ``text``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = re.sub(r"(?i)((?:password|pwd)\s*[=:]\s*)([^\s&;,)\"']+)", r"\1***", text)
    return re.sub(r"(jdbc:[a-z]+://)[^/@\s]*:[^/@\s]*@", r"\1***@", text)


def split_jdbc_url(url: str) -> tuple[str, str | None, str | None]:
    """``(url without credentials, user, password)`` of a JDBC URL.

    Accepts ``jdbc:mysql://user:pass@host:port/db`` and the ``user=``/``password=``
    parameters; the returned URL keeps the other parameters.
    """
    if not url.startswith("jdbc:"):
        raise SourceConfigError("the source URL must be a JDBC URL (jdbc:mysql://host:port/db)")
    user = password = None
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SourceConfigError("the source URL must look like jdbc:mysql://host:port/db")
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        creds, _, host = authority.rpartition("@")
        user_part, colon, pass_part = creds.partition(":")
        user = unquote(user_part) or None
        password = unquote(pass_part) if colon else None
        authority = host
    path, question, query = tail.partition("?")
    kept: list[str] = []
    for param in re.split(r"[&;]", query) if question else []:
        name, _, value = param.partition("=")
        if name.lower() in ("password", "pwd"):
            password = unquote(value)
        elif name.lower() == "user":
            user = unquote(value) or user
        elif param:
            kept.append(param)
    clean = f"{scheme}://{authority}{slash}{path}" + ("?" + "&".join(kept) if kept else "")
    return clean, user, password


def _client(service: str, region: str, boto3_session: boto3.Session | None):
    if boto3_session is None:
        import boto3

        boto3_session = boto3.Session(region_name=region)
    return boto3_session.client(service, region_name=region)


def _secret_values(secret_id: str, region: str, boto3_session: boto3.Session | None) -> dict:
    """The RDS-style JSON secret; errors name the secret, never its value."""
    client = _client("secretsmanager", region, boto3_session)
    try:
        response = client.get_secret_value(SecretId=secret_id)
    except Exception as exc:  # botocore ClientError, endpoint errors
        raise SourceConfigError(
            f"cannot read the database secret {secret_id!r}: {type(exc).__name__}: {exc}"
        ) from None
    try:
        values = json.loads(response.get("SecretString") or "")
    except ValueError:
        raise SourceConfigError(
            f"the database secret {secret_id!r} is not JSON with username and password"
        ) from None
    if not isinstance(values, dict) or not values.get("username") or "password" not in values:
        raise SourceConfigError(
            f"the database secret {secret_id!r} needs the keys username and password"
        )
    return values


def _url_from_secret(values: Mapping[str, Any], engine_scheme: str = "mysql") -> str | None:
    host = values.get("host")
    if not host:
        return None
    port = values.get("port") or 3306
    database = values.get("dbname") or values.get("database") or "retail"
    return f"jdbc:{engine_scheme}://{host}:{int(port)}/{database}"


def _glue_connection(name: str, region: str, boto3_session: boto3.Session | None) -> dict:
    """``JDBC_CONNECTION_URL``, ``USERNAME``/``PASSWORD`` or ``SECRET_ID`` of a Glue connection.

    Read through the Glue API rather than ``GlueContext.extract_jdbc_conf``: the
    result is the same, EMR and the rehearsal can read it too, and the job needs no
    Glue JVM classes.
    """
    client = _client("glue", region, boto3_session)
    try:
        connection = client.get_connection(Name=name, HidePassword=False)["Connection"]
    except Exception as exc:  # botocore ClientError, endpoint errors
        raise SourceConfigError(
            f"cannot read the Glue connection {name!r}: {type(exc).__name__}: {exc}"
        ) from None
    return dict(connection.get("ConnectionProperties") or {})


def _with_database(url: str, database: str | None) -> str:
    """A connection URL without a database path gets the secret's ``dbname``."""
    parts = urlsplit(url.removeprefix("jdbc:"))
    if parts.path.strip("/") or not database:
        return url
    return url.rstrip("/") + "/" + database


def resolve_source(
    settings: Settings,
    boto3_session: boto3.Session | None = None,
) -> SourceDatabase:
    """The source database for ``settings`` on its platform (see the module docstring).

    An explicit ``jdbc_url`` always wins for the address (it may point at a proxy or
    a replica); credentials come, in order of precedence, from the secret, the Glue
    connection, the URL, then ``db_user``/``db_password``.
    """
    url: str | None = None
    user: str | None = None
    password: str | None = None
    origin: list[str] = []
    database: str | None = None

    secret_id = settings.db_secret_id
    if settings.glue_connection and settings.platform == "glue":
        conf = _glue_connection(settings.glue_connection, settings.region, boto3_session)
        url = conf.get("JDBC_CONNECTION_URL")
        user, password = conf.get("USERNAME"), conf.get("PASSWORD")
        secret_id = secret_id or conf.get("SECRET_ID")
        origin.append(f"glue connection {settings.glue_connection}")

    if secret_id:
        values = _secret_values(secret_id, settings.region, boto3_session)
        user, password = str(values["username"]), str(values["password"])
        database = values.get("dbname") or values.get("database")
        url = url or _url_from_secret(values)
        origin.append(f"secret {secret_id}")

    if settings.jdbc_url:
        clean, url_user, url_password = split_jdbc_url(settings.jdbc_url)
        url = clean
        user = user or url_user
        password = password if password is not None else url_password
        origin.append("jdbc_url")

    user = user or settings.db_user
    if password is None:
        password = settings.db_password
    if not url:
        raise SourceConfigError(
            "no source database configured: pass --jdbc_url (locally), --db_secret_id "
            "(EMR; an RDS secret with host, port and dbname) or --glue_connection (Glue)"
        )
    clean, _, _ = split_jdbc_url(url)
    clean = _with_database(clean, database)
    if not user:
        raise SourceConfigError(
            f"no database user for {clean}: set --db_user, a secret or user= in the URL"
        )
    return SourceDatabase(
        url=clean,
        user=user,
        password=password or "",
        driver=MARIADB_DRIVER,
        origin=" + ".join(origin) or "settings",
    )
