"""AWS engine: Athena through awswrangler, in the project's workgroup and Glue database."""

from __future__ import annotations

from typing import Any

import awswrangler as wr
import pandas as pd


class AthenaQuery:
    """``wr.athena.read_sql_query`` with the workgroup's result location and scan limit.

    ``ctas_approach=False`` because a CTAS needs write access to the database and
    leaves temporary tables behind; the workgroup's result set is enough for a
    command-line query.
    """

    def __init__(self, database: str, workgroup: str, boto3_session: Any = None) -> None:
        self.database = database
        self.workgroup = workgroup
        self.session = boto3_session

    def sql(self, text: str) -> pd.DataFrame:
        return wr.athena.read_sql_query(
            sql=text,
            database=self.database,
            workgroup=self.workgroup,
            ctas_approach=False,
            boto3_session=self.session,
        )
