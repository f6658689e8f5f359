"""Glue job `catalog`: register curated and quarantine tables and partitions, (re)create views.

Tables become queryable in Athena as soon as this job ends; no crawler is needed
for datasets whose schema the contracts already fix.
"""

import sys

from retail_lake.catalog import refresh_after_run
from retail_lake.jobs.entry import start_job


def main(argv: list[str]) -> None:
    job = start_job(argv, "catalog")
    job.once(lambda: refresh_after_run(job.adapters.catalog(), job.storage, days=job.days))
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
