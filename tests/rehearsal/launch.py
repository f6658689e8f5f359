"""Start one job run the way the services do: its uploaded script, in its own process.

Both Glue and EMR Serverless hand the script, its arguments, the Python files
(the library wheel, put on ``sys.path`` as a zip) and the jars to ``spark-submit``
inside their runtime image. Here the image is a virtual environment mirroring it
(:mod:`tests.rehearsal.environments`); nothing of the checkout is importable: the
process starts in a scratch folder with a clean environment.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SPARK_DRIVER_MEMORY = "2g"
# What the services size for their workers; here, for two local cores.
SPARK_MACHINE_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
}
# SPARK_SUBMIT_OPTS carries the test run's JVM tuning (JIT tier, collector), a knob
# of this machine's java, not of the mirrored Python environment.
_KEPT_ENVIRONMENT = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "JAVA_HOME",
    "TZ",
    "SPARK_SUBMIT_OPTS",
)


@dataclass
class JobRunResult:
    name: str
    run_id: str
    state: str  # SUCCEEDED or FAILED
    seconds: float
    log: Path
    argv: list[str]

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text("utf-8", errors="replace").splitlines()[-lines:])


def download(session, uri: str, folder: Path) -> Path:
    """Copy ``s3://bucket/key`` from moto to ``folder`` (keeps the file name)."""
    parts = urlsplit(uri)
    if parts.scheme != "s3":
        raise ValueError(f"not an S3 URI: {uri}")
    target = folder / Path(parts.path).name
    folder.mkdir(parents=True, exist_ok=True)
    body = session.client("s3").get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"))
    target.write_bytes(body["Body"].read())
    return target


def clean_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """Only what a service's container would have, plus ``extra`` (endpoint, lake switch)."""
    env = {k: os.environ[k] for k in _KEPT_ENVIRONMENT if k in os.environ}
    env.update(extra)
    return env


def spark_submit(
    python: Path,
    script: Path,
    arguments: Sequence[str],
    *,
    name: str,
    run_id: str,
    py_files: Sequence[Path] = (),
    jars: Sequence[Path] = (),
    conf: Mapping[str, str] | None = None,
    environment: Mapping[str, str],
    workdir: Path,
    timeout: float = 900,
) -> JobRunResult:
    """Run ``script`` with ``spark-submit`` of the environment that ``python`` belongs to."""
    venv = python.parent.parent
    spark_home = next(venv.glob("lib/python*/site-packages/pyspark"))
    command = [
        str(venv / "bin" / "spark-submit"),
        "--master",
        "local[2]",
        "--driver-memory",
        SPARK_DRIVER_MEMORY,
    ]
    for key, value in {**SPARK_MACHINE_CONF, **(conf or {})}.items():
        command += ["--conf", f"{key}={value}"]
    if py_files:
        command += ["--py-files", ",".join(str(p) for p in py_files)]
    if jars:
        command += ["--jars", ",".join(str(p) for p in jars)]
    command += [str(script), *arguments]
    env = clean_environment(
        {
            **environment,
            "SPARK_HOME": str(spark_home),
            "PYSPARK_PYTHON": str(python),
            "PYSPARK_DRIVER_PYTHON": str(python),
        }
    )
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}-{run_id}.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        out.write(" ".join(command) + "\n\n")
        out.flush()
        done = subprocess.run(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    state = "SUCCEEDED" if done.returncode == 0 else "FAILED"
    return JobRunResult(name, run_id, state, time.monotonic() - started, log, command)
