"""The daily workflow definition (``workflows/daily.toml``), loaded and checked.

The Glue Workflow and its triggers, the EMR Step Functions state machine and the
local runner all come from this one object, so their order and arguments cannot
disagree.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.abc import Traversable
from pathlib import Path

from retail_lake import resources

DEFINITION = resources.path("workflows/daily.toml")
"""The bundled copy of ``workflows/daily.toml`` (the same file in a checkout)."""


class WorkflowError(ValueError):
    """The workflow definition is inconsistent."""


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # "job" or "crawlers"
    after: tuple[str, ...] = ()
    script: str | None = None
    arguments: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    crawlers: tuple[str, ...] = ()
    needs_connection: bool = False
    description: str = ""


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    arguments: dict[str, str]
    steps: tuple[Step, ...]
    # Platform settings of the job steps (``[compute]``: Glue version, workers, the
    # Python modules to install); only the infrastructure generator reads them.
    compute: dict[str, object] = field(default_factory=dict, hash=False, compare=False)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise WorkflowError(f"no step {name!r} in workflow {self.name}")

    def ordered(self) -> list[Step]:
        """Steps in dependency order (stable: definition order among equals)."""
        done: list[Step] = []
        pending = list(self.steps)
        while pending:
            ready = [s for s in pending if all(a in {d.name for d in done} for a in s.after)]
            if not ready:
                raise WorkflowError(f"cycle among steps {[s.name for s in pending]}")
            done.append(ready[0])
            pending.remove(ready[0])
        return done

    def job_arguments(self, step: Step) -> dict[str, str]:
        """The ``--name value`` arguments of a job step: workflow-wide, then its own."""
        return {**self.arguments, **step.arguments}


def load_workflow(path: Path | Traversable = DEFINITION) -> Workflow:
    document = tomllib.loads(path.read_text("utf-8"))
    steps = tuple(
        Step(
            name=s["name"],
            kind=s["kind"],
            after=tuple(s.get("after", [])),
            script=s.get("script"),
            arguments={k: str(v) for k, v in s.get("arguments", {}).items()},
            crawlers=tuple(s.get("crawlers", [])),
            needs_connection=bool(s.get("needs_connection", False)),
            description=s.get("description", ""),
        )
        for s in document["steps"]
    )
    workflow = Workflow(
        document["name"],
        document.get("description", ""),
        dict(document.get("arguments", {})),
        steps,
        dict(document.get("compute", {})),
    )
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise WorkflowError("step names must be unique")
    for step in steps:
        unknown = set(step.after) - set(names)
        if unknown:
            raise WorkflowError(f"step {step.name!r} runs after unknown steps {sorted(unknown)}")
        if step.kind == "job" and not step.script:
            raise WorkflowError(f"job step {step.name!r} has no script")
    workflow.ordered()
    return workflow


@cache
def daily() -> Workflow:
    return load_workflow()
