"""Invoke a Lambda function from its uploaded package, with the template's environment.

The zip is the one ``retail-lake deploy`` uploaded (read back from moto S3), unpacked
into a scratch folder that is the whole Python path, as in the Lambda runtime; the
third-party modules come from the interpreter's environment, standing in for the
AWS SDK for pandas layer and the openlineage layer deploy builds (which
``tests/test_lineage_layer.py`` proves on its own). The handler runs in its own
process with only the function's environment variables and the endpoint of the
emulated AWS.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from tests.rehearsal.launch import clean_environment

_INVOKE = (
    "import json, sys, handler; "
    "print(json.dumps(handler.handler(json.load(sys.stdin), None), default=str))"
)


class LambdaError(RuntimeError):
    """The handler raised (the message holds its output)."""


def invoke(
    session,
    code_uri: tuple[str, str],
    function_environment: dict[str, str],
    event: dict[str, Any],
    *,
    python: Path,
    workdir: Path,
    aws_environment: dict[str, str],
) -> dict[str, Any]:
    bucket, key = code_uri
    body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    folder = workdir / Path(key).stem
    if not folder.exists():
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            archive.extractall(folder)
    env = clean_environment({**aws_environment, **function_environment, "PYTHONPATH": str(folder)})
    done = subprocess.run(
        [str(python), "-c", _INVOKE],
        input=json.dumps(event),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise LambdaError(f"{key} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def s3_object_created(bucket: str, key: str, size: int, when: dt.datetime) -> dict[str, Any]:
    """The EventBridge event S3 sends for a new object (the landing rule's pattern)."""
    return {
        "version": "0",
        "id": "rehearsal",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": f"etag-{size}"},
            "reason": "PutObject",
        },
    }


def scheduled_event(when: dt.datetime, rule_input: str | None = None) -> dict[str, Any]:
    """What an EventBridge schedule delivers (its constant ``Input`` when the rule has one)."""
    if rule_input:
        return json.loads(rule_input)
    return {
        "version": "0",
        "id": "rehearsal",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/rehearsal"],
        "detail": {},
    }
