"""Glue job `extract`: fill raw/ for a range of business dates, from MySQL/RDS or landing CSVs.

``--source mysql`` extracts the five retail tables over JDBC (dimensions in full,
facts incrementally from a watermark); ``--source files`` ingests the CSV dumps in
landing/. Both end in the same raw layout.
"""

import sys

from retail_lake.jobs import extract
from retail_lake.jobs.entry import start_job


def main(argv: list[str]) -> None:
    job = start_job(argv, "extract")
    job.once(
        lambda: extract.run(
            job.spark,
            job.storage,
            job.settings,
            job.days,
            tracker=job.adapters.tracker,
            source=job.adapters.source,
        )
    )
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
