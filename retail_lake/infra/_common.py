"""Names, paths and small CloudFormation helpers shared by the generators and deploy.

Everything a template refers to in the artifacts bucket is spelled here once
(``artifact_key``, :func:`wheel_name`), so the templates, ``deploy`` and the tests
that compare them cannot disagree on a key.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from retail_lake import resources

# The bundled copies (see retail_lake.resources): the checked-in files in a checkout.
ROOT_TEMPLATE = resources.path("cloudformation/retail_lake.yaml")
WORKFLOW_TEMPLATE = resources.path("cloudformation/daily_workflow.yaml")
ORDERS_TEMPLATE = resources.path("cloudformation/orders.yaml")
BOOTSTRAP_TEMPLATE = resources.path("cloudformation/bootstrap.yaml")
EMR_ASL = resources.path("workflows/daily_emr.asl.json")
LOCK_FILE = resources.path("requirements.lock.txt")
PYPROJECT = resources.path(resources.PYPROJECT)

# Lake zones (docs/design.md, Lake layout). Jobs read landing/ and own the others; nobody but the
# uploaders writes landing/.
READ_ONLY_ZONES = ("landing",)
JOB_ZONES = ("raw", "validated", "quarantine", "curated", "_control")

# Lambda packages: name -> directory holding handler.py (a resources name too).
LAMBDAS = {
    "file_arrived": "lambdas/file_arrived",
    "check_completeness": "lambdas/check_completeness",
    "validate_order": "lambdas/validate_order",
    "order_stream_transform": "lambdas/order_stream_transform",
}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_:]+)\}")


def project_version() -> str:
    """The version in ``pyproject.toml``: it names the wheel that jobs import."""
    return tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["version"]


def wheel_name() -> str:
    """File name of the library wheel (PEP 427: dashes in the name become underscores)."""
    name = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["name"]
    return f"{re.sub(r'[-_.]+', '_', name)}-{project_version()}-py3-none-any.whl"


def pinned(modules: list[str] | tuple[str, ...]) -> list[str]:
    """``name==version`` for each module, at the version pinned in requirements.lock.txt."""
    pins: dict[str, str] = {}
    for line in LOCK_FILE.read_text("utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split(";")[0].strip().split("==", 1)
            pins[name.lower().replace("_", "-")] = version.strip()
    out = []
    for module in modules:
        key = module.lower().replace("_", "-")
        if key not in pins:
            raise KeyError(f"{module} is not pinned in {LOCK_FILE.name}")
        out.append(f"{module}=={pins[key]}")
    return out


def job_modules(compute: dict[str, Any]) -> list[str]:
    """The job's third-party modules (``[compute] python_modules``), pinned from the lock.

    Glue installs them with ``--additional-python-modules``; the EMR image bakes them in.
    """
    return pinned(list(compute.get("python_modules", [])))


def artifact_key(relative: str) -> str:
    """An artifact's key under the deployment's versioned prefix, as a ``Fn::Sub`` body."""
    return "${ArtifactPrefix}" + relative


def artifact_uri(relative: str) -> str:
    return "s3://${ArtifactBucket}/" + artifact_key(relative)


def wheel_key() -> str:
    return f"dist/{wheel_name()}"


def lambda_key(name: str) -> str:
    return f"lambdas/{name}.zip"


def lineage_layer_key() -> str:
    """The order Lambdas' layer with openlineage-python (see :mod:`retail_lake.lineage_layer`)."""
    return "layers/openlineage.zip"


def placeholders(text: str) -> set[str]:
    """``${Name}`` placeholders of a ``Fn::Sub`` string or an ASL definition."""
    return set(_PLACEHOLDER.findall(text))


def sub(text: str) -> dict[str, str] | str:
    """``{"Fn::Sub": text}`` when ``text`` has placeholders, else the plain string."""
    return {"Fn::Sub": text} if placeholders(text) else text


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> dict:
    """An ARN in this partition/region/account, as ``Fn::Sub``."""
    reg = "${AWS::Region}" if region else ""
    acct = "${AWS::AccountId}" if account else ""
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:{reg}:{acct}:{resource}"}


def logical(*parts: str) -> str:
    """CloudFormation logical id from names: ``("job", "extract")`` -> ``JobExtract``."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    return "".join(w[:1].upper() + w[1:] for w in words)


def statement(sid: str, actions: list[str], resources: Any, **extra: Any) -> dict[str, Any]:
    """One IAM ``Allow`` statement; actions are sorted so that diffs stay small."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources,
        **extra,
    }


JDBC_JAR_NAME = "mariadb-java-client.jar"


def jdbc_jar_key() -> str:
    """The JDBC driver jar that deploy uploads and both platforms put on the classpath."""
    return f"jars/{JDBC_JAR_NAME}"
