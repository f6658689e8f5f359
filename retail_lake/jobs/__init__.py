"""Job bodies: each reads through the ports it is handed, calls pure transforms and writes.

One module per workflow step, named after it: ``extract`` (with its halves
``extract_mysql`` and ``extract_files``), ``validate``, ``aggregate``; the catalog step
is :func:`retail_lake.catalog.refresh_after_run`. The Glue scripts in ``glue_jobs/``
(through :mod:`~retail_lake.jobs.entry`) and the local runner open the adapters once
(:mod:`retail_lake.runtime.adapters`) and pass them to these ``run`` functions, which
hold the I/O that transforms must not do and open no client themselves.
"""
