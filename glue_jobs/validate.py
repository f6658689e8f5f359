"""Glue job `validate`: raw rows of a range of loads → validated/ and quarantine/.

Thin by design: resolve arguments, build the runtime, call the library, commit.
Runs unchanged on Glue (``--platform glue``), EMR (``--platform emr``) or locally.
"""

import sys

from retail_lake.jobs import validate
from retail_lake.jobs.entry import start_job


def main(argv: list[str]) -> None:
    job = start_job(argv, "validate")
    job.once(lambda: validate.run(job.spark, job.storage, job.days))
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
