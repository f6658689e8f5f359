"""``python -m tests.rehearsal``: build the rehearsal's cached environments ahead of pytest.

``make test`` and ``make rehearse`` run this first, like the checkov venv, so the
slow part (installing Spark and the platforms' modules into two venvs, the npm
validator) is set-up, not test time. Each is rebuilt only when its requirements
change; the tests call the same functions and find them ready.
"""

from __future__ import annotations

from retail_lake.infra._common import job_modules
from retail_lake.infra.emr_image import dockerfile_modules
from retail_lake.runner.workflow import daily
from tests.rehearsal.asl import validator_cli
from tests.rehearsal.environments import emr_environment, glue_environment


def main() -> None:
    workflow = daily()
    glue_environment(job_modules(workflow.compute))
    emr_environment(dockerfile_modules(workflow))
    validator_cli()


if __name__ == "__main__":
    main()
