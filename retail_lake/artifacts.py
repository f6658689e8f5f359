"""What ``retail-lake deploy`` uploads: wheel, job scripts, Lambda zips and layer, templates, driver.

Built before anything touches AWS, so a failure here changes nothing. The prefix
the artifacts go under is derived from their content (:func:`artifact_prefix`).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from importlib.abc import Traversable
from pathlib import Path

from retail_lake import resources
from retail_lake.infra import LAMBDAS, TEMPLATES, lambda_key, lineage_layer_key, wheel_key
from retail_lake.infra._common import PYPROJECT, jdbc_jar_key, project_version
from retail_lake.lineage_layer import LayerBuildError, build_lineage_layer
from retail_lake.runner.workflow import daily
from retail_lake.sql import view_files

_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same sources give the same zip bytes
_WHEEL_SOURCES = ("pyproject.toml", "README.md")  # besides retail_lake/
_PACKAGE_SUFFIXES = frozenset({".py", ".toml", ".sql", ".json", ".yaml", ".txt"})


class DeployError(RuntimeError):
    """A deployment step failed; the message names the step and the stack."""


def _source_tree(checkout: Path, target: Path) -> Path:
    """A clean copy of what the wheel is built from, symlinks replaced by their content.

    setuptools builds in the source folder and reuses its ``build/``: a module moved
    or deleted since an earlier build would still ship. Building a fresh copy keeps
    stale files out and lets concurrent builds (two test workers) not collide.
    """
    target.mkdir(parents=True)
    for name in _WHEEL_SOURCES:
        shutil.copy2(checkout / name, target / name)
    shutil.copytree(
        checkout / "retail_lake",
        target / "retail_lake",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return target


def build_wheel(out_dir: Path) -> Path:
    """``pip wheel --no-deps`` of this project (dependencies come from Glue/EMR/the layer).

    Only a source checkout can be built; an installed package deploys with ``--wheel``.
    """
    try:
        source = resources.require_checkout("building the wheel")
    except resources.NoCheckoutError as exc:
        raise DeployError(f"{exc}; pass the wheel to deploy with --wheel PATH") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="retail-lake-wheel-") as scratch:
        tree = _source_tree(source, Path(scratch) / "src")
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out_dir)]
        done = subprocess.run([*command, str(tree)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DeployError(f"building the wheel failed: {done.stderr.strip() or done.stdout}")
    wheel = out_dir / wheel_key().rsplit("/", 1)[-1]
    if not wheel.exists():
        raise DeployError(f"pip built no {wheel.name} in {out_dir}: {sorted(out_dir.iterdir())}")
    return wheel


def _zip_add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def package_files() -> list[tuple[str, Traversable]]:
    """``(name, file)`` of the ``retail_lake`` package a Lambda zip carries, in a stable order.

    Read through importlib.resources, so the bundled files (symlinks in a checkout)
    are stored with their real content, from a checkout or an installed package alike.
    """
    return resources.package_files(_PACKAGE_SUFFIXES)


def lambda_zip(name: str) -> bytes:
    """``handler.py`` at the zip root plus the ``retail_lake`` package (deterministic bytes).

    Third-party modules come from layers: awswrangler and pandas from the AWS SDK for
    pandas layer, openlineage-python from the layer deploy builds (:func:`lineage_layer`).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _zip_add(archive, "handler.py", resources.read_bytes(f"{LAMBDAS[name]}/handler.py"))
        for archive_name, source in package_files():
            _zip_add(archive, archive_name, source.read_bytes())
    return buffer.getvalue()


def check_wheel(wheel: Path) -> Path:
    """A wheel given to deploy must exist and be this version's (templates name that file)."""
    expected = wheel_key().rsplit("/", 1)[-1]
    if not wheel.is_file():
        raise DeployError(f"--wheel {wheel}: no such file")
    if wheel.name != expected:
        raise DeployError(f"--wheel {wheel}: expected {expected} (this installation's version)")
    return wheel


def lineage_layer() -> Path:
    """The order Lambdas' openlineage layer zip (built with pip, cached between deploys)."""
    try:
        return build_lineage_layer()
    except LayerBuildError as exc:
        raise DeployError(str(exc)) from None


def collect_artifacts(wheel: Path, layer: Path | None = None) -> dict[str, bytes]:
    """Key relative to the prefix -> content, for everything the templates reference.

    ``layer`` is a built lineage layer zip; without it :func:`lineage_layer` builds one.
    """
    workflow = daily()
    artifacts: dict[str, bytes] = {}
    for step in workflow.ordered():
        if step.script:
            artifacts[step.script] = resources.read_bytes(step.script)
    artifacts[wheel_key()] = wheel.read_bytes()
    for name in LAMBDAS:
        artifacts[lambda_key(name)] = lambda_zip(name)
    artifacts[lineage_layer_key()] = (layer or lineage_layer()).read_bytes()
    for template in TEMPLATES:
        artifacts[f"cloudformation/{template.name}"] = template.read_bytes()
    for view in view_files():
        artifacts[f"sql/views/{view.name}"] = view.read_bytes()
    artifacts[jdbc_jar_key()] = jdbc_jar().read_bytes()
    return artifacts


def parse_parameters(pairs: Sequence[str]) -> dict[str, str]:
    """``["Source=mysql", ...]`` (the CLI's ``--param``) as stack parameters."""
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DeployError(f"--param takes KEY=VALUE, got {pair!r}")
        parameters[key.strip()] = value
    return parameters


def jdbc_jar() -> Path:
    """The MariaDB Connector/J jar that the extract job loads on Glue and EMR."""
    from retail_lake.runtime.spark import mariadb_jdbc_jar

    jar = mariadb_jdbc_jar()
    if jar is None:
        raise DeployError(
            "no JDBC driver jar to upload: install Debian's libmariadb-java "
            "(/usr/share/java/mariadb-java-client.jar) or set RETAIL_LAKE_JDBC_JAR"
        )
    return jar


def artifact_prefix(artifacts: Mapping[str, bytes]) -> str:
    """``retail-lake/<version>-<12 hex>/``: content-addressed, stable across wheel rebuilds."""
    digest = hashlib.sha256(PYPROJECT.read_bytes())
    for key in sorted(artifacts):
        if key == wheel_key():
            continue
        digest.update(key.encode())
        digest.update(hashlib.sha256(artifacts[key]).digest())
    return f"retail-lake/{project_version()}-{digest.hexdigest()[:12]}/"
