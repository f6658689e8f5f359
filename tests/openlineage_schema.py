"""A JSON Schema (draft 2020-12) of the OpenLineage RunEvent and the facets retail-lake emits.

Written for these tests from the OpenLineage 2-0-2 specification
(https://openlineage.io/spec/2-0-2/OpenLineage.json and the facet schemas under
https://openlineage.io/spec/facets/), which openlineage-python does not ship: the
required fields, enums and types of the event, its run/job/datasets, the base facet
(``_producer`` and ``_schemaURL`` URIs) and each facet used here (schema,
outputStatistics, dataQualityAssertions, dataQualityMetrics, parent, nominalTime,
errorMessage, jobType). Unknown facets are allowed, as the spec allows them.
"""

from __future__ import annotations

URI = {"type": "string", "format": "uri"}
UUID = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}
BASE_FACET = {
    "type": "object",
    "properties": {"_producer": URI, "_schemaURL": URI},
    "required": ["_producer", "_schemaURL"],
    "additionalProperties": True,
}


def _facet(properties: dict, required: list[str]) -> dict:
    return {
        "allOf": [{"$ref": "#/$defs/BaseFacet"}],
        "properties": properties,
        "required": required,
    }


SCHEMA_FIELD = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "type": {"type": "string"},
        "description": {"type": "string"},
        "fields": {"type": "array", "items": {"$ref": "#/$defs/SchemaField"}},
    },
    "required": ["name"],
}

FACETS = {
    "schema": _facet(
        {"fields": {"type": "array", "items": {"$ref": "#/$defs/SchemaField"}}}, ["fields"]
    ),
    "outputStatistics": _facet(
        {
            "rowCount": {"type": "integer"},
            "size": {"type": "integer"},
            "fileCount": {"type": "integer"},
        },
        [],
    ),
    "dataQualityAssertions": _facet(
        {
            "assertions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "assertion": {"type": "string"},
                        "success": {"type": "boolean"},
                        "column": {"type": "string"},
                        "severity": {"type": "string"},
                        "name": {"type": "string"},
                        "expected": {"type": "string"},
                        "actual": {"type": "string"},
                        "params": {"type": "object"},
                    },
                    "required": ["assertion", "success"],
                },
            }
        },
        ["assertions"],
    ),
    "dataQualityMetrics": _facet(
        {
            "rowCount": {"type": "integer"},
            "bytes": {"type": "integer"},
            "fileCount": {"type": "integer"},
            "columnMetrics": {"type": "object"},
        },
        ["columnMetrics"],
    ),
    "parent": _facet(
        {
            "run": {"type": "object", "properties": {"runId": UUID}, "required": ["runId"]},
            "job": {
                "type": "object",
                "properties": {"namespace": {"type": "string"}, "name": {"type": "string"}},
                "required": ["namespace", "name"],
            },
            "root": {
                "type": "object",
                "properties": {
                    "run": {"type": "object", "properties": {"runId": UUID}, "required": ["runId"]},
                    "job": {
                        "type": "object",
                        "properties": {
                            "namespace": {"type": "string"},
                            "name": {"type": "string"},
                        },
                        "required": ["namespace", "name"],
                    },
                },
                "required": ["run", "job"],
            },
        },
        ["run", "job"],
    ),
    "nominalTime": _facet(
        {"nominalStartTime": DATE_TIME, "nominalEndTime": DATE_TIME}, ["nominalStartTime"]
    ),
    "errorMessage": _facet(
        {
            "message": {"type": "string"},
            "programmingLanguage": {"type": "string"},
            "stackTrace": {"type": "string"},
        },
        ["message", "programmingLanguage"],
    ),
    "jobType": _facet(
        {
            "processingType": {"type": "string"},
            "integration": {"type": "string"},
            "jobType": {"type": "string"},
        },
        ["processingType", "integration"],
    ),
}


def _facets() -> dict:
    """A facets object: known facets by their schema, any other as a base facet."""
    return {
        "type": "object",
        "properties": {name: {"$ref": f"#/$defs/facets/{name}"} for name in FACETS},
        "additionalProperties": {"$ref": "#/$defs/BaseFacet"},
    }


DATASET = {
    "type": "object",
    "properties": {
        "namespace": {"type": "string"},
        "name": {"type": "string"},
        "facets": _facets(),
    },
    "required": ["namespace", "name"],
}

RUN_EVENT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"BaseFacet": BASE_FACET, "SchemaField": SCHEMA_FIELD, "facets": FACETS},
    "type": "object",
    "properties": {
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "eventTime": DATE_TIME,
        "producer": URI,
        "schemaURL": URI,
        "run": {
            "type": "object",
            "properties": {"runId": UUID, "facets": _facets()},
            "required": ["runId"],
        },
        "job": {
            "type": "object",
            "properties": {
                "namespace": {"type": "string"},
                "name": {"type": "string"},
                "facets": _facets(),
            },
            "required": ["namespace", "name"],
        },
        "inputs": {
            "type": "array",
            "items": {
                "allOf": [DATASET],
                "properties": {"inputFacets": _facets()},
            },
        },
        "outputs": {
            "type": "array",
            "items": {
                "allOf": [DATASET],
                "properties": {"outputFacets": _facets()},
            },
        },
    },
    "required": ["eventTime", "producer", "schemaURL", "run", "job"],
}


def validator():
    """A validator that also checks the ``uri``, ``uuid`` and ``date-time`` formats."""
    import jsonschema

    cls = jsonschema.Draft202012Validator
    cls.check_schema(RUN_EVENT_SCHEMA)
    return cls(RUN_EVENT_SCHEMA, format_checker=cls.FORMAT_CHECKER)
