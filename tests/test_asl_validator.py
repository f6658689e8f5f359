"""The Step Functions definitions pass asl-validator once their placeholders are filled."""

from __future__ import annotations

import copy
import json

import pytest

from tests.rehearsal.asl import (
    DEFINITIONS,
    PLAUSIBLE_VALUES,
    REPO,
    placeholders,
    substitute,
    substituted_definition,
    template_substitutions,
    validate_asl,
    validate_asl_many,
)

pytestmark = pytest.mark.rehearsal


def broken_copy() -> dict:
    """The order-events definition with a Next pointing at a missing state."""
    broken = copy.deepcopy(substituted_definition("workflows/order_events.asl.json"))
    broken["States"]["DescribeSource"]["Next"] = "NoSuchState"
    return broken


@pytest.fixture(scope="module")
def results() -> dict[str, list[str]]:
    """Every definition of the tests below, validated in one run of the CLI."""
    definitions = {name: substituted_definition(name) for name in DEFINITIONS}
    definitions["broken"] = broken_copy()
    return validate_asl_many(definitions)


@pytest.mark.parametrize("definition_file", sorted(DEFINITIONS))
def test_raw_definition_is_json_and_every_placeholder_is_substituted(definition_file):
    text = (REPO / definition_file).read_text("utf-8")
    json.loads(text)
    substitutions = template_substitutions(definition_file)
    assert placeholders(text) == substitutions.keys(), "placeholders vs DefinitionSubstitutions"
    assert substitutions.keys() <= PLAUSIBLE_VALUES.keys()


@pytest.mark.parametrize("definition_file", sorted(DEFINITIONS))
def test_definition_validates(definition_file, results):
    assert "${" not in json.dumps(substituted_definition(definition_file))
    assert results[definition_file] == []


def test_intrinsic_arguments_stay_valid_after_substitution():
    definition = substituted_definition("workflows/daily_emr.asl.json")
    submit = definition["States"]["extract"]["Parameters"]["JobDriver"]["SparkSubmit"]
    arguments = submit["EntryPointArguments.$"]
    assert arguments.startswith("States.Array(") and arguments.endswith("$.end_date)")
    assert f"'s3://{PLAUSIBLE_VALUES['LakeBucket']}'" in arguments
    assert f"'{PLAUSIBLE_VALUES['JdbcUrl']}'" in arguments
    # Every quoted literal is closed: an even number of quotes, no stray escapes.
    assert arguments.count("'") % 2 == 0 and "\\" not in arguments


def test_a_value_that_would_break_an_intrinsic_literal_is_refused():
    with pytest.raises(ValueError):
        substitute("States.Array('${Source}')", {"Source": "it's"})
    with pytest.raises(KeyError):
        substitute("${Unknown}", {})


def test_a_broken_definition_is_reported(results):
    errors = results["broken"]
    assert errors, "a Next pointing at a missing state must be reported"
    assert any("NoSuchState" in error for error in errors), errors


def test_validate_asl_reports_a_definition_without_states():
    errors = validate_asl({"StartAt": "a"})
    assert any("States" in error for error in errors), errors
