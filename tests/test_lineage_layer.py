"""The order Lambdas' openlineage layer that deploy builds: what it holds, and that a
handler runs with lineage from its zip plus that layer alone, as Lambda loads them."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from retail_lake.artifacts import lambda_zip
from retail_lake.infra._common import pinned
from retail_lake.lineage_layer import (
    LAMBDA_PYTHON,
    ROOT_DISTRIBUTION,
    RUNTIME_PROVIDED,
    layer_requirements,
)
from tests.infra_support import REPO, built_layer, load  # noqa: F401
from tests.orders_support import seed_order, with_contact

_FUNCTIONS = {
    "validate_order": "ValidateOrderFunction",
    "order_stream_transform": "OrderStreamTransformFunction",
}
_EVENTS = {  # a batch as InspectBatch sends it; a Firehose batch with one undecodable record
    "validate_order": {
        "batch": {"orders": [with_contact(seed_order("A", qty=1))]},
        "lineage": {"run": "arn:aws:states:us-east-1:1:execution:m:run-1", "source": "s3://b/o"},
    },
    "order_stream_transform": {
        "invocationId": "inv-1",
        "records": [{"recordId": "r1", "data": "bm90IGpzb24="}],
    },
}

# Lambda puts the function zip (/var/task), the layers' python/ folders (/opt/python)
# and the runtime's own AWS SDK on sys.path. ``-I -S`` leaves out this environment's
# site-packages, so openlineage can come from the layer alone.
_LAYERED_HANDLER = """
import json, sys
task, layer, runtime = sys.argv[1:4]
sys.path[:0] = [task, layer, runtime]
import openlineage.client, handler
assert openlineage.client.__file__.startswith(layer), openlineage.client.__file__
assert handler.__file__.startswith(task), handler.__file__
print(json.dumps(handler.handler(json.load(sys.stdin), None)))
"""


def _runtime_stand_in(folder: Path) -> Path:
    """Links to this environment's copies of what the Lambda runtime provides."""
    folder.mkdir()
    modules = {"python-dateutil": "dateutil"}
    for distribution in sorted(RUNTIME_PROVIDED):
        spec = importlib.util.find_spec(modules.get(distribution, distribution))
        assert spec is not None and spec.origin, distribution
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder


def _distributions(names: list[str]) -> dict[str, str]:
    """``name -> version`` of the ``*.dist-info`` folders under ``python/``."""
    out = {}
    for name in names:
        top = name.split("/")[1]
        if top.endswith(".dist-info"):
            dist, version = top.removesuffix(".dist-info").rsplit("-", 1)
            out[dist.lower().replace("_", "-")] = version
    return out


def test_the_layer_holds_openlineage_and_its_locked_dependencies_only(built_layer):  # noqa: F811
    with zipfile.ZipFile(built_layer) as archive:
        names = archive.namelist()
    assert {n.split("/", 1)[0] for n in names} == {"python"}
    found = _distributions(names)
    expected = dict(r.split("==") for r in layer_requirements())
    assert found == expected
    assert f"{ROOT_DISTRIBUTION}=={found[ROOT_DISTRIBUTION]}" == pinned([ROOT_DISTRIBUTION])[0]
    assert not set(found) & RUNTIME_PROVIDED  # the runtime's SDK is never shadowed


def test_the_order_lambdas_emit_lineage_with_the_built_layer(tmp_path, built_layer):  # noqa: F811
    python = f"python{LAMBDA_PYTHON}"  # the layer is built for the functions' runtime
    orders = load(REPO / "cloudformation" / "orders.yaml")["Resources"]
    assert orders["LineageLayer"]["Properties"]["CompatibleRuntimes"] == [python]
    opt = tmp_path / "opt"
    with zipfile.ZipFile(built_layer) as archive:
        archive.extractall(opt)
    runtime_modules = _runtime_stand_in(tmp_path / "runtime")
    for name in ("validate_order", "order_stream_transform"):
        assert orders[_FUNCTIONS[name]]["Properties"]["Runtime"] == python
        task = tmp_path / name
        with zipfile.ZipFile(io.BytesIO(lambda_zip(name))) as archive:
            archive.extractall(task)
        lake = tmp_path / f"lake-{name}"
        env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
        env.update(RETAIL_LAKE_LINEAGE="lake", RETAIL_LAKE_LAKE=str(lake))
        paths = [str(task), str(opt / "python"), str(runtime_modules)]
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAYERED_HANDLER, *paths],
            input=json.dumps(_EVENTS[name]),
            env=env,
            cwd=task,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "no lineage" not in done.stderr, done.stderr
        result = json.loads(done.stdout.splitlines()[-1])
        written = [json.loads(p.read_text()) for p in lake.rglob("_control/lineage/**/*.json")]
        assert written and {e["eventType"] for e in written} <= {"START", "COMPLETE"}, result
