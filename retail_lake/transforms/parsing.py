"""Column helpers that parse delivered text into contract types (Column in, Column out).

Parsing is strict: a value parses only when its whole text is in the canonical
form of its type (``YYYY-MM-DD`` dates, plain decimal numbers that the column
holds exactly, integers without a fraction). Anything else yields NULL, which the
``bad_type`` rule turns into a rejection. Spark's own casts are too lenient for that
(``CAST('1e3' AS BIGINT)``, ``'2026-1-5'`` as a date, ``'1.234'`` rounded to 1.23).

A decimal may carry more fractional digits than the column's scale when the extra
ones are all zeros: ``1200.500`` is exactly 1200.50 in ``decimal(18,2)``; ``1200.505``
would lose a digit and does not parse.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from retail_lake.contracts import ColumnType

_INT = r"^-?[0-9]{1,18}$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DOUBLE = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"


def _decimal_pattern(column_type: ColumnType) -> str:
    """At most ``precision - scale`` whole digits; fractional digits past the scale
    only when they are zeros (the value is then exact at the column's scale)."""
    scale = column_type.scale or 0
    whole = (column_type.precision or 18) - scale
    kept = f"[0-9]{{1,{scale}}}0*" if scale else "0+"
    return f"^-?[0-9]{{1,{whole}}}(\\.{kept})?$"


def parse_value(text: Column, column_type: ColumnType) -> Column:
    """The typed value of ``text``, or NULL when it does not parse (or is NULL)."""
    name = column_type.name
    if name == "string":
        return text
    if name == "int":
        return F.when(text.rlike(_INT), text.cast("bigint"))
    if name == "decimal":
        spark_type = f"decimal({column_type.precision},{column_type.scale})"
        return F.when(text.rlike(_decimal_pattern(column_type)), text.cast(spark_type))
    if name == "date":
        return F.when(text.rlike(_DATE), F.to_date(text, "yyyy-MM-dd"))
    if name == "bool":
        return F.when(text == "1", F.lit(True)).when(text == "0", F.lit(False))
    if name == "double":
        return F.when(text.rlike(_DOUBLE), text.cast("double"))
    if name == "timestamp":
        return F.when(text.rlike(_TIMESTAMP), F.to_timestamp(text))
    raise ValueError(f"no parser for {column_type}")


def parse_flag(text: Column) -> Column:
    """A ``*_flg`` column read as an integer, so that ``2`` is a bad flag, not a bad type."""
    return F.when(text.rlike(_INT), text.cast("bigint"))
