"""The job runtime: one way to get a SparkSession for ``--platform local|glue|emr``.

Transforms receive plain DataFrames and never learn which platform they run on.
Spark tuning for each platform lives here, not in the jobs. Nothing here imports
``awsglue``: EMR Serverless images do not have it, and the jobs need none of it.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_lake.config import Settings

log = logging.getLogger(__name__)

MARIADB_JARS = (Path("/usr/share/java/mariadb-java-client.jar"),)


def mariadb_jdbc_jar() -> Path | None:
    """The Debian ``libmariadb-java`` driver jar, if installed."""
    override = os.environ.get("RETAIL_LAKE_JDBC_JAR")
    candidates = [Path(override)] if override else list(MARIADB_JARS)
    return next((p for p in candidates if p.is_file()), None)


def spark_conf(settings: Settings) -> dict[str, str]:
    """Spark settings that suit the platform; one table, read by every job."""
    shuffle = settings.shuffle_partitions
    conf = {
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.compression.codec": "snappy",
        "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
        # Athena reads 128-512 MB files best; keep output files in that range.
        "spark.sql.files.maxRecordsPerFile": "0",
        "spark.sql.adaptive.advisoryPartitionSizeInBytes": str(256 * 1024 * 1024),
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    }
    if settings.platform == "local":
        conf.update(
            {
                "spark.master": os.environ.get("RETAIL_LAKE_SPARK_MASTER", "local[2]"),
                "spark.sql.shuffle.partitions": str(shuffle or 4),
                "spark.default.parallelism": "2",
                "spark.driver.memory": os.environ.get("RETAIL_LAKE_DRIVER_MEMORY", "4g"),
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.warehouse.dir": str(
                    Path(settings.lake) / "_control" / "spark-warehouse"
                ),
                "spark.driver.extraJavaOptions": "-Dderby.system.home=/tmp",
            }
        )
        jar = mariadb_jdbc_jar()
        if jar:
            conf["spark.jars"] = str(jar)
    elif shuffle:
        conf["spark.sql.shuffle.partitions"] = str(shuffle)
    return conf


@dataclass
class JobContext:
    """What a job gets from the runtime: its SparkSession, settings and name."""

    spark: Any
    settings: Settings
    job_name: str
    owns_session: bool = False

    def commit(self) -> None:
        """End the job: stop the session if this runtime started it (EMR, local scripts).

        On Glue the service owns the session and stops it itself, and a session that
        existed before the job (a notebook, the test suite) is left running. Glue job
        bookmarks are disabled (the extraction watermarks live in the tracker), so
        there is nothing for ``awsglue.job.Job.commit`` to record.
        """
        if self.owns_session and self.settings.platform != "glue":
            self.spark.stop()


def quiet_py4j() -> None:
    """py4j's DEBUG trace logs every string sent to the JVM, JDBC passwords included."""
    logging.getLogger("py4j").setLevel(logging.INFO)


def build_spark(settings: Settings, app_name: str = "retail-lake"):
    """The SparkSession for the platform, with the settings of :func:`spark_conf`.

    Glue 5.0 and EMR Serverless start the driver with a session already configured
    (Glue Data Catalog as metastore, S3 committers, the job's workers);
    ``getOrCreate`` returns it and the ``spark.sql.*`` settings apply at run time.
    Locally the builder creates the session from the whole table.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    quiet_py4j()
    builder = SparkSession.builder.appName(app_name)
    conf = spark_conf(settings)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in conf.items():
        if key.startswith("spark.sql.") and key != "spark.sql.warehouse.dir":
            spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("WARN")
    return spark


def build_context(settings: Settings, job_name: str) -> JobContext:
    """Build the job context for the configured platform.

    The same code serves Glue, EMR and local runs: the jobs use DataFrames only, and
    the one thing a ``GlueContext`` offered them (the JDBC details of a Glue
    connection) comes from the Glue API instead (:mod:`retail_lake.source_db`), so
    no ``awsglue`` JVM classes are needed on any platform.
    """
    from pyspark.sql import SparkSession

    existed = SparkSession.getActiveSession() is not None
    return JobContext(build_spark(settings, job_name), settings, job_name, owns_session=not existed)
