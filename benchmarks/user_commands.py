"""The two commands a newcomer runs, measured: ``make run`` and ``make test``.

``make run`` after set-up is ``retail-lake demo``: generate three weeks, load a
throwaway MariaDB, run the daily workflow over every date extracting from it. It
is timed here as its own process, started the way the Makefile starts it, so the
figure includes the JVM start and everything the user waits for.

The test suite takes 20 minutes on two cores, so the benchmark does not run it; it
reads the time from the last line pytest printed in a ``make test`` log
(``--test-log``), and says so when there is none.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SUMMARY = re.compile(r"^=+ (?P<summary>.*\b(?:passed|failed)\b.*) in (?P<seconds>[\d.]+)s\b.*=+$")


def time_demo(lake: Path) -> dict[str, Any]:
    """``retail-lake demo --lake <lake>`` from this environment's entry point."""
    cli = Path(sys.executable).with_name("retail-lake")
    env = {k: v for k, v in os.environ.items() if k != "SPARK_SUBMIT_OPTS"}
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(cli), "demo", "--lake", str(lake)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - t0
    lines = done.stderr.strip().splitlines()
    return {
        "seconds": seconds,
        "exit_code": done.returncode,
        "error": lines[-1] if done.returncode and lines else "",
    }


def suite_time(log: Path) -> dict[str, Any] | None:
    """The last pytest summary in ``log``: its seconds, its text, whether all passed.

    None when the log holds no summary line (pytest never finished).
    """
    found = None
    for line in log.read_text(errors="replace").splitlines():
        if match := SUMMARY.match(line.strip()):
            found = {
                "seconds": float(match["seconds"]),
                "summary": match["summary"],
                "passed": not re.search(r"\b(failed|errors?)\b", match["summary"]),
                "log": log.name,
            }
    return found
