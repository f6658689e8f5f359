"""Peak resident memory of this process and its children (the Spark JVM), sampled.

A child that has been forked but has not yet called ``exec`` (the JVM forks to run
``chmod`` for Hadoop's local file system) still shows its parent's address space in
``VmRSS``; counting it would double the JVM. Such a child has its parent's command
line, so processes whose command line equals their parent's are not counted.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, without not-yet-exec'd copies of their parent."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in map(int, children):
                if _cmdline(child) == _cmdline(pid):
                    continue
                pids.extend(_tree(child))
    except OSError:
        pass
    return pids


class PeakMemory:
    """Context manager sampling the RSS of the process tree every ``interval`` seconds."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = sum(_rss_kib(p) for p in _tree(os.getpid()))
            self.peak_kib = max(self.peak_kib, total)
            time.sleep(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_gib(self) -> float:
        return self.peak_kib / 1024 / 1024
