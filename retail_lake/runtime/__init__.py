"""What a run is built from: the Spark/Glue context and the adapters of every port.

Two modules, both called only by whoever starts a run (the local runner, the
Glue/EMR job entry): :mod:`retail_lake.runtime.spark` gives the SparkSession for the
platform, :mod:`retail_lake.runtime.adapters` opens every port from the settings.
The job bodies receive what these build and never build any of it themselves, so a
test can hand them any adapter and a platform change touches one place.
"""
