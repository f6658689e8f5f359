"""Running the daily workflow: its definition, the local runner and the AWS starters.

:mod:`~retail_lake.runner.workflow` loads ``workflows/daily.toml`` (the infrastructure
generator reads it too), :mod:`~retail_lake.runner.local` executes it in this process
with the job bodies, and :mod:`~retail_lake.runner.remote` starts one run of it on
Glue or EMR. The job bodies never import this package: the runners call them.
"""
