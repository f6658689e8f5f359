"""What an operator hears about the quality gates of a validate run.

One message per run lists every gate breached (dataset, load, file, figure,
threshold, action, where to look), sent through the notifier port; every judged
figure goes out through the metrics port. :class:`GateNotices` is called by the
step hooks after validate, whether it succeeded (warnings only) or halted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from retail_lake.jobs.failure_alert import date_label
from retail_lake.jobs.validate_gates import GateResult
from retail_lake.jobs.validate_report import ValidateRun
from retail_lake.metrics import Datapoint, MetricsPublisher
from retail_lake.notify import Notifier
from retail_lake.storage import layout

METRIC_NAMES = {
    "quarantine_share": "QuarantineShare",
    "volume": "VolumeFactor",
    "key_loss": "KeyLossShare",
}
"""CloudWatch metric of each gate's figure (one value per dataset and load)."""
BREACHES_METRIC = "GateBreaches"
METRICS_BATCH = "data_quality"


def gate_message(
    breaches: Sequence[GateResult], days: Sequence[dt.date], workflow: str, lake: str
) -> tuple[str, str]:
    """Subject and body of the run's gate alert."""
    halts = [b for b in breaches if b.action == "halt"]
    label = date_label(days)
    verdict = f"{len(halts)} halted, {len(breaches) - len(halts)} warned"
    subject = f"[retail-lake] quality gates for {label}: {verdict}"
    lines = [
        f"Validate of workflow {workflow} judged the loads {label};"
        f" {len(breaches)} quality gate(s) breached ({verdict}).",
        "",
    ]
    for breach in sorted(breaches, key=lambda b: (b.action != "halt", b.load, b.dataset)):
        lines.append(f"  [{breach.action}] {breach.describe()}")
    lines.append("")
    if halts:
        lines += [
            "A halted load was not merged: validated/ and curated/ keep their previous data,",
            "and validate failed, so nothing after it ran. Fix the input, then run the",
            "same dates again; the rerun replaces what the halted run wrote.",
            "",
        ]
    loads = sorted({b.load for b in breaches})
    lines += ["Where to look:"]
    for load in loads:
        day = dt.date.fromisoformat(load)
        lines.append(f"  {lake}/{layout.report(day, 'validate')} (gates and counts per file)")
    for name, load in sorted({(b.dataset, b.load) for b in breaches}):
        partition = layout.quarantine_partition(name, dt.date.fromisoformat(load))
        lines.append(f"  {lake}/{partition}/ (the rejects of {name})")
    lines.append("  the view v_data_quality_daily (the trend per load, dataset and file)")
    return subject, "\n".join(lines) + "\n"


def gate_datapoints(run: ValidateRun, workflow: str) -> list[Datapoint]:
    """Each load's dataset-wide figures and its breach count per action."""
    points = []
    for report in run.reports:
        for name, outcome in report.datasets.items():
            dims = {"Workflow": workflow, "Dataset": name}
            for result in outcome.gates:
                if result.scope == "dataset":
                    unit = "None" if result.gate == "volume" else "Percent"
                    value = result.figure if result.gate == "volume" else 100 * result.figure
                    points.append(
                        Datapoint(
                            METRIC_NAMES[result.gate], min(value, 1e9), dims, report.day, unit
                        )
                    )
            for action in ("warn", "halt"):
                count = sum(1 for r in outcome.gates if r.action == action)
                points.append(
                    Datapoint(
                        BREACHES_METRIC, count, {**dims, "Action": action}, report.day, "Count"
                    )
                )
    return points


@dataclass(frozen=True)
class GateNotices:
    """Sends the gate alert of a validate run and publishes its figures."""

    notifier: Notifier
    metrics: MetricsPublisher | None
    recipients: tuple[str, ...]
    workflow: str
    lake: str

    def alert(self, run: ValidateRun, days: Sequence[dt.date]) -> str | None:
        """Send the one alert of the run; ``None`` when no gate was breached."""
        if not run.breaches:
            return None
        subject, body = gate_message(run.breaches, days, self.workflow, self.lake)
        return self.notifier.send(subject, body, self.recipients)

    def publish(self, run: ValidateRun) -> int:
        """Publish the run's figures; 0 when this run has no metrics adapter."""
        if self.metrics is None:
            return 0
        return self.metrics.publish(METRICS_BATCH, gate_datapoints(run, self.workflow))
