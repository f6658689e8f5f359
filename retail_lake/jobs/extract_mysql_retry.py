"""Extraction failures: what went wrong, whether a retry can help, and the retry loop.

Kept apart from the SQL and from the job's orchestration because the same rules
apply to every JDBC call the MySQL extract makes (bounds query, read, write): a
connection failure is retried with backoff, a wrong password or a missing table is
not (it cannot succeed, and repeated failed logins can get a client host blocked),
and every message is scrubbed of the password before anyone sees it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from retail_lake.source_db import SourceDatabase

# The MySQL extract's logger: retry warnings belong to the job's log, whichever module
# the loop lives in.
log = logging.getLogger("retail_lake.jobs.extract_mysql")
T = TypeVar("T")


class ExtractError(RuntimeError):
    """Extraction of one table failed; the message names the table and the cause."""

    def __init__(self, table: str, cause: str, attempts: int, consequence: str) -> None:
        self.table, self.cause, self.attempts = table, cause, attempts
        tries = f"after {attempts} attempts" if attempts > 1 else "at the first attempt"
        super().__init__(f"extracting table {table!r} failed {tries}: {cause}; {consequence}")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff for transient connection failures."""

    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based), capped so a
        long outage does not turn into hour-long sleeps."""
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)


_AUTH = re.compile(r"(?i)access denied|authentication fail|\b28000\b")
_UNREACHABLE = re.compile(
    r"(?i)connection refused|connect timed out|could not connect|socket fail|"
    r"unknownhost|communications link failure|no route to host|connection reset|"
    r"lost connection|network is unreachable|\b08S01\b|\b08001\b"
)
_MISSING = re.compile(r"(?i)doesn't exist|unknown database|unknown column|\b42S02\b")


def _exception_chain(exc: BaseException) -> list[str]:
    """Messages of ``exc`` and, for Spark/Py4J errors, of the Java causes below it.

    The useful text (``Access denied``, ``Communications link failure``) is usually
    several Java causes deep; the Python exception only says that a call failed.
    """
    texts: list[str] = []
    java = getattr(exc, "java_exception", None)
    depth = 0
    while java is not None and depth < 12:
        try:
            texts.append(str(java.toString()))
            java = java.getCause()
        except Exception:  # the gateway is gone; keep what we have
            break
        depth += 1
    if not texts:
        texts.append(f"{type(exc).__name__}: {exc}")
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            texts.append(f"{type(cause).__name__}: {cause}")
    return texts


def describe_failure(exc: BaseException, source: SourceDatabase) -> tuple[str, bool]:
    """``(cause, transient)``: a short, password-free cause and whether a retry can help."""
    chain = [source.scrub(t) for t in _exception_chain(exc)]
    everything = "\n".join(chain)
    sql = [t for t in chain if "SQL" in t.split(":", 1)[0]]
    detail = (sql[-1] if sql else chain[-1]).splitlines()[0].strip()
    if len(detail) > 400:
        detail = detail[:400] + "..."
    if _AUTH.search(everything):
        return f"access denied for user {source.user!r} (wrong user or password): {detail}", False
    if _UNREACHABLE.search(everything):
        return f"database unreachable at {source.url}: {detail}", True
    if _MISSING.search(everything):
        return f"not found in the source database: {detail}", False
    return detail, False


def with_retries(
    table: str,
    action: Callable[[], T],
    source: SourceDatabase,
    policy: RetryPolicy,
    consequence: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``; retry transient failures, then raise :class:`ExtractError`.

    The original exception is not chained (``from None``): Java stack traces can
    echo connection strings, and the scrubbed cause already says what happened.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return action()
        except Exception as exc:
            cause, transient = describe_failure(exc, source)
            if not transient or attempt >= policy.attempts:
                raise ExtractError(table, cause, attempt, consequence) from None
            wait = policy.delay(attempt)
            log.warning(
                "extract %s: attempt %d/%d failed (%s); retrying in %.1fs",
                table,
                attempt,
                policy.attempts,
                cause,
                wait,
            )
            sleep(wait)
