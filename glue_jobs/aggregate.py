"""Glue job `aggregate`: validated rows → curated weekly and daily facts and dimensions.

Recomputes only the weeks and days the business date(s) touched, each once.
"""

import sys

from retail_lake.jobs import aggregate
from retail_lake.jobs.entry import start_job


def main(argv: list[str]) -> None:
    job = start_job(argv, "aggregate")
    job.once(lambda: aggregate.run(job.spark, job.storage, job.days))
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
