"""Are all of a business date's files there? Track arrivals, alert, start the workflow once.

The business logic of the completeness check, shared by the two Lambdas (``lambdas/file_arrived``,
``lambdas/check_completeness``) and by ``retail-lake check``:

* :func:`file_arrived` records the object of an EventBridge S3 event in the tracker;
  :func:`scan_landing` does the same for a local lake folder;
* :func:`expected_files` lists what a date needs (from the contracts, the layout and
  the ``source`` setting: with ``mysql`` only the franchise files land);
* :func:`check` alerts about missing files or starts the date's workflow exactly once;
  :func:`run_check` wires it from :class:`~retail_lake.config.Settings`.
"""

from __future__ import annotations

from retail_lake.completeness._arrival import (
    ArrivalResult,
    EventError,
    file_arrived,
    record_landing_file,
    record_stored_file,
    scan_landing,
)
from retail_lake.completeness._check import (
    CHECK_STEP,
    CLAIM_LEASE,
    CheckResult,
    alert_message,
    check,
)
from retail_lake.completeness._expected import (
    FILE_DATASETS,
    ExpectedFile,
    LandingKey,
    expected_files,
    franchise_stores_from_store_csv,
    franchise_stores_from_validated,
    parse_landing_key,
    resolve_franchise_stores,
)
from retail_lake.completeness._run import business_date_from_event, next_check_from_event, run_check
from retail_lake.completeness._starter import (
    GlueWorkflowStarter,
    StepFunctionsStarter,
    WorkflowStarter,
    WorkflowStartError,
    run_dates,
    workflow_starter,
)

__all__ = [
    "CHECK_STEP",
    "CLAIM_LEASE",
    "FILE_DATASETS",
    "ArrivalResult",
    "CheckResult",
    "EventError",
    "ExpectedFile",
    "GlueWorkflowStarter",
    "LandingKey",
    "StepFunctionsStarter",
    "WorkflowStartError",
    "WorkflowStarter",
    "alert_message",
    "business_date_from_event",
    "check",
    "expected_files",
    "file_arrived",
    "franchise_stores_from_store_csv",
    "franchise_stores_from_validated",
    "next_check_from_event",
    "parse_landing_key",
    "record_landing_file",
    "record_stored_file",
    "resolve_franchise_stores",
    "run_check",
    "run_dates",
    "scan_landing",
    "workflow_starter",
]
