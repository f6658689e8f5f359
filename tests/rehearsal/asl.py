"""Validate Step Functions definitions with the ``asl-validator`` npm package.

The validator is installed once into ``<repo>/.rehearsal/node/`` (``npm install
--prefix``) and reinstalled only when its pinned version changes. The project's
definitions carry ``${Name}`` placeholders that the state machine's
``DefinitionSubstitutions`` fill at deploy time; ``substituted_definition``
fills them the way CloudFormation does (a plain text replacement in the JSON of
the definition), with plausible values for a stack in us-east-1 of account
123456789012.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from tests.rehearsal.environments import CACHE, REPO, cache_lock, log

ASL_VALIDATOR = "asl-validator@4.0.0"
NODE_DIR = CACHE / "node"
MARKER = NODE_DIR / ".rehearsal-requirements"

# The state machines of the project: definition file -> (template, logical id).
DEFINITIONS = {
    "workflows/daily_emr.asl.json": ("cloudformation/daily_workflow.yaml", "DailyStateMachine"),
    "workflows/order_events.asl.json": ("cloudformation/orders.yaml", "OrderEventsStateMachine"),
}

_ACCOUNT = "123456789012"
_REGION = "us-east-1"
# What each substitution resolves to in a deployed stack (Ref of a parameter, of
# a resource, or Fn::GetAtt ...Arn), for the account and region above.
PLAUSIBLE_VALUES = {
    # cloudformation/daily_workflow.yaml, DailyStateMachine
    "AlertRecipients": "data-team@example.com,ops@example.com",
    "AlertSender": "retail-lake@example.com",
    "ArtifactBucket": f"retail-lake-artifacts-{_ACCOUNT}",
    "ArtifactPrefix": "retail-lake/",
    "AthenaWorkgroup": "retail-lake",
    "AwsRegion": _REGION,
    "DbSecret": f"arn:aws:secretsmanager:{_REGION}:{_ACCOUNT}:secret:retail-lake/mysql-AbCdEf",
    "EmrApplicationId": "00fq1abcd2efgh3i",
    "EmrJdbcJobRoleArn": f"arn:aws:iam::{_ACCOUNT}:role/retail-lake-emr-jdbc-job",
    "EmrJobRoleArn": f"arn:aws:iam::{_ACCOUNT}:role/retail-lake-emr-job",
    "GlueConnection": "retail-lake-mysql",
    "GlueDatabase": "retail_lake",
    "JdbcUrl": "jdbc:mysql://retail-db.abcdefghijkl.us-east-1.rds.amazonaws.com:3306/retail",
    "LakeBucket": f"retail-lake-{_ACCOUNT}",
    "MetadataTable": "retail-lake-metadata",
    "Source": "mysql",
    "SystemName": "retail-lake",
    "TrackerTable": "retail-lake-tracker",
    # cloudformation/orders.yaml, OrderEventsStateMachine
    "ValidateOrderFunctionArn": f"arn:aws:lambda:{_REGION}:{_ACCOUNT}:function:retail-lake-validate-order",
    "OrdersTableName": "retail-lake-orders",
    "DeadLetterQueueUrl": f"https://sqs.{_REGION}.amazonaws.com/{_ACCOUNT}/retail-lake-orders-dlq",
}

_INVALID = re.compile(r'^\S+ State machine definition "(.+)" is invalid:\s*$')
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# A value lands inside JSON strings and, in the EMR definition, inside the quoted
# literals of States.Array(...) / States.Format(...): these would need escaping.
_UNSAFE = re.compile(r"""['"\\{}]""")


def validator_cli() -> Path:
    """``asl-validator``'s CLI under ``.rehearsal/node``, installed on first use."""
    cli = NODE_DIR / "node_modules" / ".bin" / "asl-validator"
    with cache_lock("node"):
        if cli.exists() and MARKER.exists() and MARKER.read_text("utf-8") == ASL_VALIDATOR:
            return cli
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise RuntimeError("node and npm are needed (Debian: apt-get install nodejs npm)")
        log(f"node: installing {ASL_VALIDATOR} into {NODE_DIR}")
        shutil.rmtree(NODE_DIR, ignore_errors=True)
        NODE_DIR.mkdir(parents=True)
        command = [npm, "install", "--prefix", str(NODE_DIR), "--no-fund", "--no-audit"]
        done = subprocess.run(
            [*command, ASL_VALIDATOR], capture_output=True, text=True, cwd=NODE_DIR, check=False
        )
        if done.returncode != 0 or not cli.exists():
            raise RuntimeError(f"npm install {ASL_VALIDATOR} failed:\n{done.stderr[-4000:]}")
        MARKER.write_text(ASL_VALIDATOR, "utf-8")
        return cli


def validate_asl(definition: dict[str, Any]) -> list[str]:
    """The validator's error messages for ``definition``; empty when it is valid."""
    return validate_asl_many({"definition": definition})["definition"]


def validate_asl_many(definitions: Mapping[str, dict[str, Any]]) -> dict[str, list[str]]:
    """``validate_asl`` for several definitions in one run of the CLI (node is slow to start)."""
    cli = validator_cli()
    with tempfile.TemporaryDirectory(prefix="rehearsal-asl-") as tmp:
        paths = {}
        command = [str(cli)]
        for index, (name, definition) in enumerate(definitions.items()):
            path = Path(tmp) / f"{index}.asl.json"
            path.write_text(json.dumps(definition, indent=2), "utf-8")
            paths[str(path)] = name
            command += ["--json-path", str(path)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 2: the validator itself failed
        raise RuntimeError(f"asl-validator exited {done.returncode}:\n{done.stderr}")
    # stderr has, for each invalid definition, a header line naming its file and
    # then one "<error code>: <message>" line per error.
    errors: dict[str, list[str]] = {name: [] for name in definitions}
    current: list[str] | None = None
    for line in done.stderr.splitlines():
        header = _INVALID.match(line)
        if header:
            current = errors[paths[header.group(1)]]
        elif line.strip() and current is not None:
            current.append(line.strip())
        elif line.strip():
            raise RuntimeError(f"unexpected asl-validator output:\n{done.stderr}")
    if done.returncode == 1 and not any(errors.values()):
        raise RuntimeError(f"asl-validator failed without errors:\n{done.stderr}")
    return errors


def placeholders(text: str) -> set[str]:
    """The ``${Name}`` placeholders of a definition's text."""
    return set(_PLACEHOLDER.findall(text))


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace each ``${Name}`` with its value, as DefinitionSubstitutions does."""
    missing = placeholders(text) - values.keys()
    if missing:
        raise KeyError(f"no value for placeholders {sorted(missing)}")
    for name, value in values.items():
        if _UNSAFE.search(value):
            raise ValueError(f"{name}={value!r} would need escaping in the definition")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def template_substitutions(definition_file: str) -> dict[str, Any]:
    """``DefinitionSubstitutions`` of the state machine that deploys ``definition_file``."""
    template_file, logical_id = DEFINITIONS[definition_file]
    template = _parse_template((REPO / template_file).read_text("utf-8"))
    properties = template["Resources"][logical_id]["Properties"]
    return dict(properties.get("DefinitionSubstitutions", {}))


@functools.lru_cache(maxsize=4)
def _parse_template(text: str) -> dict[str, Any]:
    """A CloudFormation template (short-form tags too); cached on its text."""
    template, matches = decode_str(text)
    if matches:
        raise ValueError(f"template does not parse: {matches}")
    return template


def substituted_definition(definition_file: str) -> dict[str, Any]:
    """A definition file as the deployed state machine sees it, placeholders filled."""
    text = (REPO / definition_file).read_text("utf-8")
    json.loads(text)  # the raw file must be JSON before any substitution
    names = template_substitutions(definition_file).keys()
    return json.loads(substitute(text, {name: PLAUSIBLE_VALUES[name] for name in names}))
