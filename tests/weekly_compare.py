"""Compare two tables of weekly metrics column by column (Spark output vs a reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_lake.contracts import dataset

ORDER = ["yr_wk_num", "store_key", "prod_key"]


def sorted_weekly(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["yr_wk_num"] = frame["yr_wk_num"].astype("int64")
    return frame.sort_values(ORDER).reset_index(drop=True)


def assert_same_weekly(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same rows; counts exact, doubles within the specified relative 1e-6."""
    ours, theirs = sorted_weekly(ours), sorted_weekly(theirs)
    assert len(ours) == len(theirs) > 0
    for column in dataset("weekly_sales_inventory").column_names:
        a, b = ours[column], theirs[column]
        if column == "week_end_dt":
            assert [pd.Timestamp(v).date() for v in a] == [pd.Timestamp(v).date() for v in b]
        elif a.dtype.kind in "f" or b.dtype.kind in "f":
            np.testing.assert_allclose(
                a.astype(float).to_numpy(),
                b.astype(float).to_numpy(),
                rtol=1e-6,
                equal_nan=True,
                err_msg=column,
            )
        else:
            assert a.astype("int64").tolist() == b.astype("int64").tolist(), column
