"""``docs/datasets.md``: the column documentation, generated from the contracts.

python -m retail_lake.contracts.docs --write   # regenerate
python -m retail_lake.contracts.docs --check   # exit 1 when the file is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from retail_lake import resources
from retail_lake.contracts import Dataset, contracts
from retail_lake.contracts._gates import GATE_NAMES

TARGET_NAME = "docs/datasets.md"


def target() -> Path:
    """``docs/datasets.md`` of the source checkout (the docs are not part of the package)."""
    return resources.require_checkout("python -m retail_lake.contracts.docs") / TARGET_NAME


def _gates_line(ds: Dataset) -> str:
    """The dataset's quality gates, e.g. ``volume warns at 5x``; empty without gates."""
    parts = []
    for gate in GATE_NAMES:
        limits = ds.gates.limits(gate)
        unit = "x" if gate == "volume" else ""
        shown = [
            f"{verb} at {value:g}{unit}" if unit else f"{verb} at {value:.0%}"
            for verb, value in (("warns", limits.warn_at), ("halts", limits.halt_at))
            if value is not None
        ]
        if shown:
            extra = (
                f" (median of the last {ds.gates.volume_history} loads, from"
                f" {ds.gates.volume_min_history} on)"
                if gate == "volume"
                else ""
            )
            parts.append(f"`{gate}` {' and '.join(shown)}{extra}")
    return f"Quality gates: {'; '.join(parts)}." if parts else ""


def render() -> str:
    registry = contracts()
    lines = [
        "# Datasets",
        "",
        "Generated from `retail_lake/contracts/datasets.toml` "
        f"(version {registry.version}, hash `{registry.content_hash}`) by "
        "`python -m retail_lake.contracts.docs --write`; a test fails when it is stale.",
        "",
    ]
    for ds in registry.datasets.values():
        lines += [f"## `{ds.name}` ({ds.zone}, {ds.kind})", "", ds.description, ""]
        facts = [f"key: `{', '.join(ds.key)}`"]
        if ds.partition_by:
            facts.append(f"partitioned by `{', '.join(ds.partition_by)}`")
        if ds.business_date:
            facts.append(f"business date `{ds.business_date}`")
        if ds.landing_path:
            facts.append(f"delivered as `{ds.landing_path}`")
        if ds.expected_files:
            facts.append(f"expected files: {ds.expected_files}")
        lines += ["; ".join(facts) + ".", ""]
        gates = _gates_line(ds)
        if gates:
            lines += [gates, ""]
        lines += [
            "| column | type | rules | notes |",
            "|---|---|---|---|",
        ]
        references = dict(ds.references)
        for column in ds.columns:
            rules = [
                label
                for label, applies in (
                    ("required", column.name in ds.required),
                    ("not negative", column.name in ds.non_negative),
                    ("0 or 1", column.name in ds.flags),
                    (f"in {references.get(column.name)}", column.name in references),
                )
                if applies
            ]
            notes = column.doc + (f" (since {column.since})" if column.since else "")
            lines.append(f"| `{column.name}` | {column.type} | {', '.join(rules)} | {notes} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    try:
        path = target()
    except resources.NoCheckoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "--write" in argv:
        path.write_text(text, encoding="utf-8")
        return 0
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != text:
        print(f"{TARGET_NAME} is stale: run python -m retail_lake.contracts.docs --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
