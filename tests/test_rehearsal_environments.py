"""The rehearsal's virtual environments mirror the Glue 5.0 and EMR Serverless runtimes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from packaging.version import Version

from retail_lake.infra._common import job_modules
from retail_lake.infra.emr_image import dockerfile_modules
from retail_lake.runner.workflow import daily
from tests.rehearsal.environments import (
    MARKER,
    PYTHON,
    REPO,
    base_python,
    canonical,
    dependents,
    emr_environment,
    emr_steps,
    environment_diff,
    glue_environment,
    glue_expected,
    glue_provided,
    glue_steps,
    importable,
    installed_distributions,
    isolation_problems,
    marker_text,
    run_python,
)

pytestmark = pytest.mark.rehearsal


def additional_python_modules() -> list[str]:
    """The ``--additional-python-modules`` the deployed Glue jobs get."""
    template, matches = decode_str((REPO / "cloudformation/daily_workflow.yaml").read_text())
    assert not matches, matches
    values = {
        resource["Properties"]["DefaultArguments"]["--additional-python-modules"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Glue::Job"
    }
    assert len(values) == 1, values
    return values.pop().split(",")


MODULES = additional_python_modules()
# What the EMR image's Dockerfile installs; the EMR rehearsal runs in exactly this.
EMR_MODULES = dockerfile_modules(daily())


@pytest.fixture(scope="module")
def glue_python() -> Path:
    return glue_environment(MODULES)


@pytest.fixture(scope="module")
def emr_python() -> Path:
    return emr_environment(EMR_MODULES)


def version_of(python: Path) -> tuple[int, int]:
    return tuple(json.loads(run_python(python, "import sys; print(list(sys.version_info[:2]))")))


def test_built_from_the_machine_python_not_the_project_venv():
    python = base_python()
    assert not python.resolve().is_relative_to(REPO)
    assert "pandas" in " ".join(glue_provided()) and MODULES


def test_glue_environment_is_python_311_with_awsglue_and_spark_354(glue_python):
    assert version_of(glue_python) == (3, 11)
    out = run_python(
        glue_python,
        "from awsglue.utils import getResolvedOptions; import pyspark;"
        " print(getResolvedOptions.__module__, pyspark.__version__)",
    )
    assert out.split() == ["awsglue.utils", "3.5.4"]


def test_glue_environment_has_each_additional_module_at_its_pin(glue_python):
    installed = installed_distributions(glue_python)
    for module in MODULES:
        name, version = module.split("==")
        assert installed[canonical(name)] == version, module
    assert installed["pyspark"] == "3.5.4"


def _needed_by_additional_modules(name: str, required: dict[str, set[str]]) -> bool:
    """Whether an additional module requires ``name``, directly or through others."""
    additional = {canonical(m.split("==")[0]) for m in MODULES}
    seen, todo = set(), [name]
    while todo:
        for dependent in required.get(todo.pop(), set()) - seen:
            if dependent in additional:
                return True
            seen.add(dependent)
            todo.append(dependent)
    return False


def test_glue_environment_is_provided_plus_additional_modules(glue_python):
    diff = environment_diff(glue_python, glue_expected(MODULES))
    required = dependents(glue_python)
    assert not diff.missing, diff.missing
    # Glue's pip upgrades a provided module only when an additional module needs a
    # newer one (openlineage-python needs requests 2.34 and urllib3 2): nothing else.
    upgraded = {
        name
        for name, (pinned, installed) in diff.wrong_version.items()
        if Version(installed) > Version(pinned.removeprefix("=="))
        and _needed_by_additional_modules(name, required)
    }
    assert set(diff.wrong_version) == upgraded, diff.wrong_version
    # Anything else is there because an installed distribution requires it.
    assert {name for name in diff.extra if name not in required} == set(), diff.extra


def test_environments_do_not_see_the_checkout(glue_python, emr_python):
    for python in (glue_python, emr_python):
        assert isolation_problems(python) == []
        assert not importable(python, "retail_lake")


def test_emr_environment_has_no_awsglue(emr_python):
    assert version_of(emr_python) == (3, 11)
    assert not importable(emr_python, "awsglue")
    installed = installed_distributions(emr_python)
    assert "awsgluedataplanepython" not in installed
    assert installed["pyspark"] == "3.5.4"
    for module in EMR_MODULES:
        name, version = module.split("==")
        assert installed[canonical(name)] == version, module


def test_the_tests_use_the_environments_the_set_up_built(glue_python, emr_python):
    """``python -m tests.rehearsal`` builds them before pytest; a test asking for other
    modules would rebuild one (slow, and racing a rehearsal that runs in it)."""
    workflow = daily()
    for python, steps in (
        (glue_python, glue_steps(job_modules(workflow.compute))),
        (emr_python, emr_steps(dockerfile_modules(workflow))),
    ):
        assert (python.parent.parent / MARKER).read_text("utf-8") == marker_text(PYTHON, steps)


def test_a_second_call_reuses_the_cached_environment(glue_python):
    marker = glue_python.parent.parent / MARKER
    before = marker.stat().st_mtime_ns
    assert glue_environment(MODULES) == glue_python
    assert marker.stat().st_mtime_ns == before
    assert "\n".join(MODULES) in marker.read_text()
