"""The part of Amazon States Language the daily state machine uses, evaluated like Step Functions.

Paths (``$.a.b``), ``.$`` parameters, the intrinsics ``States.Array`` and
``States.Format``, ``Choice`` rules with ``IsPresent``/``StringEquals``, and
``ResultPath``. Anything else raises, so the rehearsal cannot pass over a construct
it does not understand.
"""

from __future__ import annotations

import re
from typing import Any

_MISSING = object()


class StatesError(RuntimeError):
    """What Step Functions would fail the execution with (``States.Runtime`` and such)."""


def path_value(data: Any, path: str) -> Any:
    """``$.a.b`` of ``data``; a missing field is ``States.Runtime`` as in Step Functions."""
    if path == "$":
        return data
    if not path.startswith("$."):
        raise StatesError(f"unsupported path {path!r}")
    node = data
    for part in path[2:].split("."):
        if not isinstance(node, dict) or part not in node:
            raise StatesError(f"States.Runtime: the JSONPath {path} could not be found")
        node = node[part]
    return node


def is_present(data: Any, path: str) -> bool:
    try:
        path_value(data, path)
    except StatesError:
        return False
    return True


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated arguments of an intrinsic call (quotes and parens aware)."""
    parts, depth, current, quoted, escaped = [], 0, [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == "'":
            quoted = not quoted
            current.append(char)
        elif not quoted and char == "(":
            depth += 1
            current.append(char)
        elif not quoted and char == ")":
            depth -= 1
            current.append(char)
        elif not quoted and depth == 0 and char == ",":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if quoted or depth:
        raise StatesError(f"unbalanced intrinsic arguments: {text!r}")
    if current or parts:
        parts.append("".join(current).strip())
    return parts


def _literal(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def intrinsic(expression: str, data: Any) -> Any:
    """Evaluate ``States.Array(...)``, ``States.Format(...)``, a path or a literal."""
    expression = expression.strip()
    if expression.startswith("'"):
        return _literal(expression)
    if expression.startswith("$"):
        return path_value(data, expression)
    match = re.fullmatch(r"(States\.\w+)\((.*)\)", expression, re.S)
    if not match:
        raise StatesError(f"unsupported expression {expression!r}")
    function, inner = match.groups()
    values = [intrinsic(arg, data) for arg in _split_arguments(inner)]
    if function == "States.Array":
        return values
    if function == "States.Format":
        template, *rest = values
        pieces = re.split(r"(?<!\\)\{\}", template)
        if len(pieces) - 1 != len(rest):
            raise StatesError(f"States.Format arguments do not match {template!r}")
        out = pieces[0]
        for value, piece in zip(rest, pieces[1:], strict=True):
            out += str(value) + piece
        return out
    raise StatesError(f"intrinsic {function} is not emulated")


def parameters(template: Any, data: Any) -> Any:
    """A ``Parameters`` block: ``"key.$"`` entries are paths or intrinsics over ``data``."""
    if isinstance(template, list):
        return [parameters(x, data) for x in template]
    if not isinstance(template, dict):
        return template
    out = {}
    for key, value in template.items():
        if key.endswith(".$"):
            out[key[:-2]] = intrinsic(value, data)
        else:
            out[key] = parameters(value, data)
    return out


def choose(state: dict[str, Any], data: Any) -> str:
    """The ``Next`` of the first matching choice rule, else ``Default``."""
    for rule in state["Choices"]:
        variable = rule["Variable"]
        if "IsPresent" in rule:
            matched = is_present(data, variable) == rule["IsPresent"]
        elif "StringEquals" in rule:
            matched = (
                is_present(data, variable) and path_value(data, variable) == rule["StringEquals"]
            )
        else:
            raise StatesError(f"choice rule not emulated: {sorted(rule)}")
        if matched:
            return rule["Next"]
    if "Default" not in state:
        raise StatesError("States.NoChoiceMatched")
    return state["Default"]


def with_result(data: dict[str, Any], result_path: Any, result: Any) -> dict[str, Any]:
    """Apply a state's ``ResultPath`` (``None`` keeps the input unchanged)."""
    if result_path is None:
        return data
    if result_path == "$":
        return result
    if not result_path.startswith("$.") or "." in result_path[2:]:
        raise StatesError(f"ResultPath {result_path!r} not emulated")
    return {**data, result_path[2:]: result}
