"""The query port's interface and error."""

from __future__ import annotations

from typing import Protocol

import pandas as pd


class QueryError(RuntimeError):
    """The query could not run; the message says why (and the translated SQL locally)."""


class QueryEngine(Protocol):
    def sql(self, text: str) -> pd.DataFrame:
        """Run one Athena-dialect statement and return its rows."""
