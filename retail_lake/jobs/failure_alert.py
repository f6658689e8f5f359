"""The failure alert of a workflow step: one message naming the step, its dates, the cause
and where to look.

:func:`retail_lake.jobs.recording.recorded` calls :meth:`FailureAlerts.send` when a
step raises, on every platform; the message goes through the notifier port (SES on
AWS, ``_control/outbox/`` locally). Sending is best effort: the caller logs a failed
send and re-raises the step's own error (docs/design.md, Failure alerts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from retail_lake.notify import Notifier
from retail_lake.storage import layout

MAX_CAUSE = 2000
"""Characters of the cause kept in the message; the tracker and the log hold the rest."""


def date_label(days: Sequence[dt.date]) -> str:
    """``2026-01-05`` or ``2026-01-05..2026-01-07``, as the runner's errors spell a range."""
    days = sorted(days)
    return days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]}"


def cause_of(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_CAUSE else text[: MAX_CAUSE - 1] + "…"


@dataclass(frozen=True)
class FailureAlerts:
    """Sends the failure alert of a step through ``notifier`` to ``recipients``.

    ``lake`` is the lake root (where the reports are); ``logs`` says where this
    platform's log of the run is (the process output locally, the job run's
    CloudWatch log streams on Glue, the job run's driver log on EMR).
    """

    notifier: Notifier
    recipients: tuple[str, ...]
    workflow: str
    lake: str
    logs: str
    platform: str = "local"

    def message(
        self, step: str, days: Sequence[dt.date], run_id: str, exc: BaseException
    ) -> tuple[str, str]:
        """Subject and plain-text body of the alert."""
        label = date_label(days)
        last = max(days)
        cause = cause_of(exc)
        subject = f"[retail-lake] step '{step}' failed for {label}"
        lines = [
            f"Step '{step}' of workflow {self.workflow} failed for business date(s) {label}.",
            "",
            "Cause:",
            f"  {cause}",
            "",
            "Where to look:",
            f"  tracker: run {run_id} of step {step}, business date {last} (status FAILED,"
            " the error in its report)",
            f"  reports: {self.lake}/{layout.report(last, step)} and the other step reports"
            f" of {last} (a step that failed may not have written its own)",
            f"  log: {self.logs}",
            "",
            "Nothing after this step ran. Once the cause is fixed, run the same dates again:",
            f"  retail-lake run --lake {self.lake} --start-date {min(days)}"
            + (f" --end-date {last}" if len(days) > 1 else "")
            + (f" --platform {self.platform}" if self.platform != "local" else ""),
            "(every step replaces what it wrote for those dates, so a rerun is safe).",
        ]
        return subject, "\n".join(lines) + "\n"

    def send(self, step: str, days: Sequence[dt.date], run_id: str, exc: BaseException) -> str:
        """Send the alert; returns the notifier's message id. Raises what the notifier raises."""
        subject, body = self.message(step, days, run_id, exc)
        return self.notifier.send(subject, body, self.recipients)
