"""Infrastructure generated from the one workflow definition.

``generated_files()`` renders every checked-in artifact that is derived from
``workflows/daily.toml`` and ``crawlers/crawlers.toml``: the nested stack
``cloudformation/daily_workflow.yaml`` (Glue Workflow, jobs, triggers, crawlers,
EMR Serverless application and state machine), the state machine's ASL
``workflows/daily_emr.asl.json`` and the EMR image recipe
``cloudformation/emr_image/Dockerfile``. ``python -m retail_lake.infra --write`` writes
them; ``--check`` (and ``tests/test_infra_generated.py``) fails on drift.
"""

from __future__ import annotations

from importlib.abc import Traversable

from retail_lake import resources
from retail_lake.infra._common import (
    BOOTSTRAP_TEMPLATE,
    EMR_ASL,
    LAMBDAS,
    ORDERS_TEMPLATE,
    ROOT_TEMPLATE,
    WORKFLOW_TEMPLATE,
    lambda_key,
    lineage_layer_key,
    wheel_key,
    wheel_name,
)
from retail_lake.infra.emr import render_asl, state_machine_definition
from retail_lake.infra.emr_image import dockerfile
from retail_lake.infra.template import build_template, render_template
from retail_lake.runner.workflow import Workflow, daily

TEMPLATES = (ROOT_TEMPLATE, WORKFLOW_TEMPLATE, ORDERS_TEMPLATE)
"""Templates deploy uploads under ``<prefix>cloudformation/`` (the root and its nested stacks)."""

EMR_IMAGE_DOCKERFILE = resources.path("cloudformation/emr_image/Dockerfile")

GENERATED = {
    WORKFLOW_TEMPLATE: "cloudformation/daily_workflow.yaml",
    EMR_ASL: "workflows/daily_emr.asl.json",
    EMR_IMAGE_DOCKERFILE: "cloudformation/emr_image/Dockerfile",
}
"""Each generated file -> its name in the repository (and among the bundled files)."""


def generated_files(workflow: Workflow | None = None) -> dict[Traversable, str]:
    """File -> content of every generated, checked-in artifact."""
    workflow = workflow or daily()
    return {
        WORKFLOW_TEMPLATE: render_template(build_template(workflow)),
        EMR_ASL: render_asl(state_machine_definition(workflow)),
        EMR_IMAGE_DOCKERFILE: dockerfile(workflow),
    }


def drifted(workflow: Workflow | None = None) -> list[Traversable]:
    """Generated files whose checked-in (bundled) content differs from a fresh rendering."""
    out = []
    for path, text in generated_files(workflow).items():
        if not path.is_file() or path.read_text("utf-8") != text:
            out.append(path)
    return out


def write(workflow: Workflow | None = None) -> list[str]:
    """Rewrite the generated files of the checkout; returns the names of those that changed."""
    root = resources.require_checkout("python -m retail_lake.infra --write")
    changed = drifted(workflow)
    for path, text in generated_files(workflow).items():
        if path in changed:
            (root / GENERATED[path]).write_text(text, "utf-8")
    return [GENERATED[path] for path in changed]


__all__ = [
    "BOOTSTRAP_TEMPLATE",
    "EMR_ASL",
    "EMR_IMAGE_DOCKERFILE",
    "GENERATED",
    "LAMBDAS",
    "ROOT_TEMPLATE",
    "TEMPLATES",
    "WORKFLOW_TEMPLATE",
    "build_template",
    "drifted",
    "generated_files",
    "lambda_key",
    "lineage_layer_key",
    "state_machine_definition",
    "wheel_key",
    "wheel_name",
    "write",
]
