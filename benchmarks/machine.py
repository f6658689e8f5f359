"""What a benchmark ran on: numbers mean little without the machine and its load."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _java_version() -> str:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        return out.stderr.splitlines()[0].strip() if out.stderr else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "not found"


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception:  # a missing engine is reported, not fatal
        return "not installed"


def describe() -> dict[str, str]:
    """CPU, cores, memory, OS, runtimes and engine versions, as printable strings."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.1f} GiB",
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "python": sys.version.split()[0],
        "java": _java_version(),
        "pyspark": _version("pyspark"),
        "duckdb": _version("duckdb"),
        "pyarrow": _version("pyarrow"),
        "load average at start (1, 5, 15 min)": load,
    }


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
