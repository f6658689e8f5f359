"""Job bodies: each reads through the ports, calls pure transforms and writes.

Glue scripts in ``glue_jobs/`` and the local runner call these ``run`` functions;
they hold the I/O that transforms must not do.
"""
