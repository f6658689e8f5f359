"""Shared helpers of the infrastructure tests: parsed templates, a real wheel and layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from retail_lake.deploy import build_wheel
from retail_lake.infra import BOOTSTRAP_TEMPLATE, TEMPLATES
from retail_lake.lineage_layer import build_lineage_layer

ALL_TEMPLATES = (*TEMPLATES, BOOTSTRAP_TEMPLATE)
REPO = Path(__file__).resolve().parents[1]


def load(path: Path) -> dict[str, Any]:
    parsed, matches = decode_str(path.read_text("utf-8"))
    assert not matches, matches
    return parsed


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """The library wheel, built once per session exactly as deploy builds it."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def built_layer() -> Path:
    """The order Lambdas' openlineage layer zip, from deploy's cache (built on a miss)."""
    return build_lineage_layer()
