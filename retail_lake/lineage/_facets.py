"""Facets built from the contracts and from the step reports.

* every dataset: ``schema`` (SchemaDatasetFacet) from its contract columns;
* validate: per dataset, on ``raw/<dataset>`` (input) a ``dataQualityMetrics`` facet
  (rows in, files) and a ``dataQualityAssertions`` facet: ``rows_in = valid +
  quarantined`` (the accounting the step enforces) and, per reject reason, "no row
  is <reason>" with the count of rows that were; on ``validated/<dataset>`` and
  ``quarantine/<dataset>`` (outputs) ``outputStatistics`` with the valid and the
  quarantined row counts;
* aggregate: ``outputStatistics`` for the curated tables whose row count the report
  holds (the dimensions).

The reports are read through their ``as_dict()``, the JSON written to
``_control/reports/``, so nothing here depends on Spark.
"""

from __future__ import annotations

from typing import Any

from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    output_statistics_output_dataset,
    schema_dataset,
)

from retail_lake.lineage._datasets import DatasetRef

ACCOUNTING = "rows_in = valid + quarantined"


def schema(ref: DatasetRef) -> dict[str, Any]:
    if not ref.fields:
        return {}
    fields = [
        schema_dataset.SchemaDatasetFacetFields(name=name, type=typ, description=doc or None)
        for name, typ, doc in ref.fields
    ]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields)}


def validation_counts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per dataset over every load of a validate report: rows_in, valid, quarantined,
    files and reasons."""
    out: dict[str, dict[str, Any]] = {}
    for load in report.get("loads", []):
        for name, outcome in load.get("datasets", {}).items():
            entry = out.setdefault(
                name, {"rows_in": 0, "valid": 0, "quarantined": 0, "files": 0, "reasons": {}}
            )
            for key in ("rows_in", "valid", "quarantined"):
                entry[key] += outcome.get("totals", {}).get(key, 0)
            entry["files"] += len(outcome.get("files", {}))
            for reason, n in outcome.get("reasons", {}).items():
                entry["reasons"][reason] = entry["reasons"].get(reason, 0) + n
    return out


def quality_input_facets(counts: dict[str, Any]) -> dict[str, Any]:
    """The data-quality facets of one validated dataset's raw input."""
    accounted = counts["valid"] + counts["quarantined"]
    assertions = [
        data_quality_assertions_dataset.Assertion(
            assertion=ACCOUNTING,
            success=counts["rows_in"] == accounted,
            name="rows_accounted",
            severity="error",
            expected=str(counts["rows_in"]),
            actual=str(accounted),
        )
    ]
    assertions += [
        data_quality_assertions_dataset.Assertion(
            assertion=f"no row is {reason}",
            success=n == 0,
            name=reason,
            severity="warn",
            expected="0",
            actual=str(n),
        )
        for reason, n in counts["reasons"].items()
    ]
    return {
        "dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=assertions
        ),
        "dataQualityMetrics": data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
            columnMetrics={}, rowCount=counts["rows_in"], fileCount=counts["files"]
        ),
    }


def rows(count: int) -> dict[str, Any]:
    return {
        "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=int(count)
        )
    }


def report_facets(
    step: str, report: dict[str, Any]
) -> tuple[dict[tuple[str, str], dict], dict[tuple[str, str], dict]]:
    """Input and output facets from a step's report, keyed by ``(role, dataset)``."""
    inputs: dict[tuple[str, str], dict] = {}
    outputs: dict[tuple[str, str], dict] = {}
    if step == "validate":
        for name, counts in validation_counts(report).items():
            inputs[("raw", name)] = quality_input_facets(counts)
            outputs[("validated", name)] = rows(counts["valid"])
            outputs[("quarantine", name)] = rows(counts["quarantined"])
    elif step == "aggregate":
        for name, count in (report.get("rows") or {}).items():
            outputs[("curated", name)] = rows(count)
    return inputs, outputs
