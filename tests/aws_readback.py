"""Reading back what the code sent to moto (SES mail, Glue workflow runs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SentMail:
    source: str
    to: list[str]
    subject: str
    body: str


def ses_sent(region: str = "us-east-1") -> list[SentMail]:
    """Every message moto's SES accepted, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [
        SentMail(m.source, list(m.destinations.get("ToAddresses", [])), m.subject, m.body)
        for m in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
    ]


def glue_runs(session, workflow: str) -> list[dict[str, str]]:
    """Run properties of every run of a Glue workflow in moto."""
    glue = session.client("glue")
    runs = glue.get_workflow_runs(Name=workflow).get("Runs", [])
    return [
        glue.get_workflow_run_properties(Name=workflow, RunId=r["WorkflowRunId"])["RunProperties"]
        for r in runs
    ]
