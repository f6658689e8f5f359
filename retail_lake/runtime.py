"""The job runtime: one way to get a SparkSession for ``--platform local|glue|emr``.

This is the only module that imports ``awsglue`` (and only on Glue, where the
runtime provides ``GlueContext``); transforms receive plain DataFrames and never
learn which platform they run on. Spark tuning for each platform lives here, not
in the jobs.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    """What a job gets from the runtime: a session, its settings and the Glue job, if any."""

    spark: Any
    settings: Settings
    job_name: str
    glue_job: Any = None
    glue_context: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def commit(self) -> None:
        """Commit the Glue job (bookmarks); a no-op on EMR and locally."""
        if self.glue_job is not None:
            self.glue_job.commit()


def quiet_py4j() -> None:
    """py4j's DEBUG trace logs every string sent to the JVM, JDBC passwords included."""
    logging.getLogger("py4j").setLevel(logging.INFO)


def build_spark(settings: Settings, app_name: str = "retail-lake"):
    """A SparkSession for EMR or local runs (Glue goes through :func:`build_context`)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    quiet_py4j()
    builder = SparkSession.builder.appName(app_name)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def build_context(
    settings: Settings, job_name: str, job_args: Mapping[str, str] | None = None
) -> JobContext:
    """Build the job context for the configured platform."""
    if settings.platform == "glue":
        quiet_py4j()
        from awsglue.context import GlueContext  # only available inside the Glue runtime
        from awsglue.job import Job
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        for key, value in spark_conf(settings).items():
            if key.startswith("spark.sql."):
                spark.conf.set(key, value)
        job = Job(glue_context)
        job.init(job_name, dict(job_args or {"JOB_NAME": job_name}))
        return JobContext(spark, settings, job_name, glue_job=job, glue_context=glue_context)
    return JobContext(build_spark(settings, job_name), settings, job_name)
