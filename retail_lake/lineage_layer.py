"""The Lambda layer ``retail-lake deploy`` uploads so the order Lambdas can emit lineage.

The order channel's Lambda zips carry ``retail_lake`` but no third-party module, and
their runtime (python3.12, no AWS SDK for pandas layer) has no ``openlineage-python``.
Without it the handlers still work but send no lineage, so deploy builds this layer:
``python/`` holding openlineage-python at the version in ``requirements.lock.txt``
plus every dependency the runtime does not already ship (:data:`RUNTIME_PROVIDED`,
the AWS SDK's own dependencies), each at its locked version, installed with pip for
the Lambda platform from wheels only (no compiler on the deploying machine, no
source build that could pick up the wrong platform).

Building needs the package registry and a few seconds, so the zip is cached under
``$XDG_CACHE_HOME/retail-lake/layers/`` (default ``~/.cache``), keyed by the pinned
requirements and the target platform: an unchanged lock gives the same bytes, hence
the same content-addressed artifact prefix on every deploy.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from retail_lake.infra._common import pinned

ROOT_DISTRIBUTION = "openlineage-python"
LAMBDA_PYTHON = "3.12"  # the order Lambdas' Runtime in cloudformation/orders.yaml
LAMBDA_PLATFORM = "manylinux2014_x86_64"  # the functions' default architecture
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
"""Distributions the Lambda Python runtime already has (the AWS SDK and its dependencies).

Shipping a second copy in the layer would shadow the runtime's SDK with a version
nobody tested it with, so these are left out on purpose.
"""

_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same wheels give the same zip bytes
_SKIPPED_DIRS = frozenset({"__pycache__", "bin"})  # bytecode and console scripts: unused


class LayerBuildError(RuntimeError):
    """The layer could not be built (no registry, a wheel missing for the platform)."""


def _target_environment() -> dict[str, str]:
    """PEP 508 marker values of the Lambda runtime, to pick its dependencies."""
    env = dict(default_environment())
    env.update(
        python_version=LAMBDA_PYTHON,
        python_full_version=f"{LAMBDA_PYTHON}.0",
        sys_platform="linux",
        platform_system="Linux",
        platform_machine="x86_64",
        os_name="posix",
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return env


def layer_distributions() -> list[str]:
    """Names of the distributions the layer holds: openlineage-python and its closure.

    The dependency graph is read from the installed metadata (openlineage-python is a
    dependency of this project, so it is installed wherever deploy runs), evaluated
    for the Lambda runtime, minus :data:`RUNTIME_PROVIDED`; sorted for stable output.
    """
    env = _target_environment()
    seen: set[str] = set()
    todo = [ROOT_DISTRIBUTION]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen or name in RUNTIME_PROVIDED:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({**env, "extra": ""}):
                todo.append(requirement.name)
    return sorted(seen)


def layer_requirements() -> list[str]:
    """``name==version`` of every layer distribution, pinned by requirements.lock.txt."""
    return pinned(layer_distributions())


def _pip_install(requirements: list[str], target: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",  # the closure is already complete and pinned
        "--target",
        str(target),
        "--only-binary=:all:",
        "--platform",
        LAMBDA_PLATFORM,
        "--python-version",
        LAMBDA_PYTHON,
        "--implementation",
        "cp",
        *requirements,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LayerBuildError(
            "building the lineage layer failed (pip needs the package registry): "
            f"{done.stderr.strip()[-2000:] or done.stdout}"
        )


def _zip_folder(folder: Path) -> bytes:
    """``python/...`` entries in sorted order with fixed times: deterministic bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_dir() or _SKIPPED_DIRS & set(relative.parts):
                continue
            info = zipfile.ZipInfo(f"python/{relative.as_posix()}", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def cache_dir() -> Path:
    """Where built layers are kept between deploys."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "retail-lake" / "layers"


def build_lineage_layer(cache: Path | None = None) -> Path:
    """The layer zip for the pinned requirements, built once and then read from the cache.

    The cache file is written under a temporary name and renamed, so two deploys
    (or test runs) building at the same time never see half a zip.
    """
    requirements = layer_requirements()
    key = "\n".join([LAMBDA_PYTHON, LAMBDA_PLATFORM, *requirements])
    folder = cache or cache_dir()
    zip_path = folder / f"openlineage-{hashlib.sha256(key.encode()).hexdigest()[:16]}.zip"
    if zip_path.is_file():
        return zip_path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="retail-lake-layer-") as tmp:
        _pip_install(requirements, Path(tmp) / "python")
        body = _zip_folder(Path(tmp) / "python")
    partial = zip_path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(body)
    os.replace(partial, zip_path)
    return zip_path
