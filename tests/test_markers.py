"""Markers match what each test uses: ``-m "not spark"`` really runs no Spark test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _collected(expression: str) -> set[str]:
    files = ["tests/test_validation_rules.py", "tests/test_contracts.py"]
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "-m", expression, *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_a_test_using_the_spark_fixture_is_selected_by_the_spark_marker():
    spark_tests = _collected("spark")
    others = _collected("not spark")
    assert not spark_tests & others
    # every rule test takes the shared SparkSession, none declares the marker itself
    assert any("test_validation_rules.py" in t for t in spark_tests)
    assert not any("test_validation_rules.py" in t for t in others)
    # contract tests without Spark stay outside
    assert any("test_contracts.py" in t for t in others)


def test_the_modules_scheduled_first_exist_and_come_first():
    """A renamed module would silently drop out of the slowest-first schedule."""
    from tests.conftest import SLOWEST_MODULES

    assert [m for m in SLOWEST_MODULES if not (ROOT / "tests" / f"{m}.py").exists()] == []
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    listed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    modules = [line.split("::")[0] for line in listed.stdout.splitlines() if "::" in line]
    first = list(dict.fromkeys(modules))[: len(SLOWEST_MODULES)]
    assert first == [f"tests/{m}.py" for m in SLOWEST_MODULES]
