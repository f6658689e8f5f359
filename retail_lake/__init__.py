"""retail-lake: nightly retail analytics on AWS Glue/EMR, runnable locally.

The package holds pure DataFrame transforms, the dataset contracts, the ports and
their AWS and local adapters, the configuration and the job runtime. Glue job
scripts in ``glue_jobs/`` only parse arguments and call into it.
"""

__version__ = "0.1.0"
