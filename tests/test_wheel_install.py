"""The library works from its built wheel alone, without the checkout.

Installed: a fresh virtual environment gets only the wheel (``pip install --no-deps``);
the third-party packages come from the project's environment through a ``.pth``
line, so nothing of the checkout (nor the editable install's finder) is importable.
Zipped: the wheel file itself on ``sys.path``, as Glue ``--extra-py-files`` and EMR
Serverless ``--py-files`` use it, read through zipimport.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from retail_lake import deploy, resources
from retail_lake.infra import LAMBDAS
from retail_lake.runner.workflow import daily
from retail_lake.storage import layout
from tests.infra_support import REPO, built_wheel  # noqa: F401

START = dt.date(2026, 1, 5)


def _environment() -> dict[str, str]:
    """The caller's environment without anything that points Python or Spark at the checkout."""
    dropped = ("PYTHON", "PYSPARK_", "RETAIL_LAKE_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update(RETAIL_LAKE_SHUFFLE_PARTITIONS="2", RETAIL_LAKE_DRIVER_MEMORY="1g")
    return env


def _venv(root: Path, wheel: Path | None) -> Path:
    """A venv seeing the project's third-party packages, plus ``wheel`` installed if given."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A path line in a .pth file is only appended to sys.path: the .pth files of the
    # project's site-packages (the editable install's finder among them) are not run.
    Path(site, "project_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    if wheel is not None:
        pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "-q", "--no-deps", str(wheel)], check=True)
    return python


def _run(args: list[str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory, built_wheel) -> Path:  # noqa: F811
    """``bin/python`` of a fresh venv with the wheel installed."""
    return _venv(tmp_path_factory.mktemp("wheel-venv") / "venv", built_wheel)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A working directory outside the checkout."""
    work = tmp_path / "work"
    work.mkdir()
    return work


# ------------------------------------------------------------------ the bundled files


def test_every_bundled_file_is_a_symlink_to_the_checked_in_file():
    bundled = REPO / "retail_lake" / "resources"
    links = sorted(p for p in bundled.rglob("*") if p.is_symlink())
    assert links, "retail_lake/resources holds no symlinks"
    for link in links:
        name = link.relative_to(bundled).as_posix()
        canonical = "pyproject.toml" if name == resources.PYPROJECT else name
        assert not Path(os.readlink(link)).is_absolute(), f"{name}: absolute link"
        assert link.resolve() == (REPO / canonical).resolve(), f"{name} -> {link.resolve()}"


def test_everything_read_at_run_time_or_deployed_is_bundled():
    needed = {"workflows/daily.toml", "crawlers/crawlers.toml", "requirements.lock.txt"}
    needed |= {f"workflows/{p.name}" for p in (REPO / "workflows").glob("*.json")}
    needed |= {f"cloudformation/{p.name}" for p in (REPO / "cloudformation").glob("*.yaml")}
    needed |= {s.script for s in daily().steps if s.script}
    needed |= {f"{folder}/handler.py" for folder in LAMBDAS.values()}
    for name in sorted(needed):
        assert resources.read_bytes(name) == (REPO / name).read_bytes(), name
    assert resources.read_bytes(resources.PYPROJECT) == (REPO / "pyproject.toml").read_bytes()


def test_the_checkout_is_recognised():
    assert resources.checkout() == REPO.resolve()


def test_the_wheel_carries_the_real_content(built_wheel):  # noqa: F811
    with zipfile.ZipFile(built_wheel) as archive:
        names = set(archive.namelist())
        for name in ("workflows/daily.toml", "glue_jobs/validate.py", "requirements.lock.txt"):
            entry = f"retail_lake/resources/{name}"
            assert entry in names, entry
            assert archive.read(entry) == (REPO / name).read_bytes(), entry
            assert (archive.getinfo(entry).external_attr >> 16) & 0o170000 != 0o120000


def test_the_wheel_holds_exactly_the_checkouts_modules(built_wheel):  # noqa: F811
    """A module moved or deleted in the checkout must not survive in the wheel."""
    checkout = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "retail_lake").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(built_wheel) as archive:
        shipped = {n for n in archive.namelist() if n.endswith(".py")}
    assert shipped == checkout, (shipped - checkout, checkout - shipped)


# ------------------------------------------------------------------ installed from the wheel


def test_installed_package_is_the_wheel_not_the_checkout(installed, outside):
    code = (
        "import json, retail_lake; from retail_lake import resources; "
        "print(json.dumps([retail_lake.__file__, str(resources.checkout())]))"
    )
    done = _run([str(installed), "-I", "-c", code], outside)
    assert done.returncode == 0, done.stderr
    package_file, checkout = json.loads(done.stdout)
    assert Path(package_file).is_relative_to(installed.parents[1]), package_file
    assert checkout == "None"


def test_installed_help(installed, outside):
    done = _run([str(installed.with_name("retail-lake")), "--help"], outside)
    assert done.returncode == 0, done.stderr
    for command in ("generate", "run", "check", "deploy"):
        assert command in done.stdout


def test_installed_checkout_only_commands_fail_with_one_line(installed, outside):
    commands = [
        [str(installed), "-m", "retail_lake.infra", "--write"],
        [str(installed), "-m", "retail_lake.orders.asl", "--write"],
        [str(installed), "-m", "retail_lake.contracts.docs", "--check"],
        [str(installed.with_name("retail-lake")), "deploy", "--stack", "s", "--bucket", "b"],
    ]
    for command in commands:
        done = _run(command, outside)
        assert done.returncode != 0, command
        assert "Traceback" not in done.stderr, done.stderr
        assert "source checkout" in done.stderr, done.stderr
    assert "--wheel" in done.stderr  # deploy says how to go on


def test_installed_deploy_artifacts_and_generated_files_match_the_checkout(
    installed,
    outside,
    built_wheel,  # noqa: F811
):
    code = f"""
import io, json, pathlib, zipfile
from retail_lake import deploy, infra
from retail_lake.infra._common import pinned
artifacts = deploy.collect_artifacts(pathlib.Path({str(built_wheel)!r}))
with zipfile.ZipFile(io.BytesIO(artifacts["lambdas/check_completeness.zip"])) as z:
    names = z.namelist()
print(json.dumps({{
    "drifted": [str(p) for p in infra.drifted()],
    "keys": sorted(artifacts),
    "zip": names,
    "pinned": pinned(["duckdb"]),
}}))
"""
    done = _run([str(installed), "-I", "-c", code], outside)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["drifted"] == []
    assert found["keys"] == sorted(deploy.collect_artifacts(built_wheel))
    assert "retail_lake/resources/workflows/daily.toml" in found["zip"]
    assert "retail_lake/completeness/__init__.py" in found["zip"]
    assert found["pinned"][0].startswith("duckdb==")


@pytest.mark.spark
def test_installed_generate_and_run_write_curated_tables(installed, outside):
    cli = str(installed.with_name("retail-lake"))
    lake = outside / "lake"
    generate = [cli, "generate", "--lake", str(lake), "--start-date", START.isoformat()]
    generate += ["--days", "1", "--stores", "2", "--products", "4", "--sales-per-day", "40"]
    done = _run(generate, outside)
    assert done.returncode == 0, done.stdout + done.stderr
    run = [cli, "run", "--lake", str(lake), "--start-date", START.isoformat()]
    done = _run([*run, "--source", "files"], outside, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    curated = lake / layout.curated_dir("weekly_sales_inventory")
    assert any(curated.rglob("*.parquet")), sorted(p.name for p in lake.rglob("*"))


# ------------------------------------------------------------------ the wheel as a zip on sys.path


def test_zipped_wheel_on_sys_path_loads_workflow_contracts_and_crawlers(
    tmp_path,
    outside,
    built_wheel,  # noqa: F811
):
    bare = _venv(tmp_path / "bare", wheel=None)
    code = f"""
import sys
sys.path.insert(0, {str(built_wheel)!r})
import retail_lake
assert retail_lake.__file__.startswith({str(built_wheel)!r}), retail_lake.__file__
from retail_lake import deploy, resources
from retail_lake.runner.workflow import daily
from retail_lake.contracts import contracts
from retail_lake.crawlers import load_crawlers
from retail_lake.orders import asl
from retail_lake.sql import view_files
workflow = daily()
assert [s.name for s in workflow.steps], workflow
assert "sales" in contracts().datasets
assert load_crawlers()
assert asl.placeholders(asl.load_definition())
assert view_files()
assert resources.checkout() is None
assert resources.read_text("glue_jobs/validate.py").startswith('\"\"\"')
names = [name for name, _ in resources.package_files({{".toml"}})]
assert "retail_lake/resources/workflows/daily.toml" in names, names
print(workflow.name)
"""
    done = _run([str(bare), "-I", "-c", code], outside)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == daily().name
