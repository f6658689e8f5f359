"""The order-event state machine definition and its copy inside the CloudFormation.

``workflows/order_events.asl.json`` is the single source. ``cloudformation/orders.yaml``
carries it inline (``Definition:``, between two marker comments) so that the
template deploys with a plain ``aws cloudformation deploy`` — no packaging step
that could upload a different file — and cfn-lint validates the states along
with the resources. ``python -m retail_lake.orders.asl --write`` regenerates the
block; ``--check`` (and a test) fails when it drifted from the ASL file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from retail_lake import resources

ASL_NAME = "workflows/order_events.asl.json"
TEMPLATE_NAME = "cloudformation/orders.yaml"
ASL_FILE = resources.path(ASL_NAME)
TEMPLATE_FILE = resources.path(TEMPLATE_NAME)
BEGIN = "# BEGIN order_events.asl.json (generated: python -m retail_lake.orders.asl --write)"
END = "# END order_events.asl.json"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def load_definition(path: Path | Traversable = ASL_FILE) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def placeholders(definition: dict[str, Any]) -> set[str]:
    """The ``${Name}`` DefinitionSubstitutions the definition uses."""
    return set(_PLACEHOLDER.findall(json.dumps(definition)))


def iter_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, including those inside Map item processors and Parallel branches."""
    for name, state in states.items():
        yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from iter_states(processor["States"])
        for branch in state.get("Branches", []):
            yield from iter_states(branch["States"])


def render_block(definition: dict[str, Any], indent: int) -> str:
    """``Definition:`` followed by the JSON as a YAML flow mapping, markers included."""
    pad = " " * indent
    body = json.dumps(definition, indent=2)
    lines = [f"{pad}{BEGIN}", f"{pad}Definition:"]
    lines += [f"{pad}  {line}" for line in body.splitlines()]
    lines.append(f"{pad}{END}")
    return "\n".join(lines)


def embed(template_text: str, definition: dict[str, Any]) -> str:
    """The template with its marked block replaced by ``definition``."""
    pattern = re.compile(rf"^( *){re.escape(BEGIN)}\n.*?^ *{re.escape(END)}$", re.M | re.S)
    match = pattern.search(template_text)
    if not match:
        raise ValueError(f"{TEMPLATE_FILE.name} has no '{BEGIN}' ... '{END}' block")
    block = render_block(definition, len(match.group(1)))
    return template_text[: match.start()] + block + template_text[match.end() :]


def is_current(
    template: Path | Traversable = TEMPLATE_FILE, asl: Path | Traversable = ASL_FILE
) -> bool:
    text = template.read_text("utf-8")
    return embed(text, load_definition(asl)) == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the template block")
    args = parser.parse_args(argv)
    text = TEMPLATE_FILE.read_text("utf-8")
    updated = embed(text, load_definition())
    if args.write:
        try:
            target = resources.require_checkout("python -m retail_lake.orders.asl --write")
        except resources.NoCheckoutError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        (target / TEMPLATE_NAME).write_text(updated, "utf-8")
        return 0
    if updated != text:
        print(f"{TEMPLATE_NAME} is out of date; run python -m retail_lake.orders.asl --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
