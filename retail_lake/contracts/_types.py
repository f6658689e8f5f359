"""The contract's small type vocabulary and how each engine spells it.

One table maps a contract type to Spark, MySQL, Athena/Glue and DuckDB, so that no
module keeps its own idea of what ``decimal(18,2)`` or ``bool`` means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
_SIMPLE = {"int", "string", "date", "bool", "double", "timestamp"}


@dataclass(frozen=True)
class ColumnType:
    """A parsed contract type; ``precision``/``scale`` are set for decimals only."""

    name: str
    precision: int | None = None
    scale: int | None = None

    @property
    def is_decimal(self) -> bool:
        return self.name == "decimal"

    def __str__(self) -> str:
        if self.is_decimal:
            return f"decimal({self.precision},{self.scale})"
        return self.name

    def spark(self):  # -> pyspark.sql.types.DataType, imported lazily
        from pyspark.sql import types as T

        return {
            "int": T.LongType(),
            "string": T.StringType(),
            "date": T.DateType(),
            "bool": T.BooleanType(),
            "double": T.DoubleType(),
            "timestamp": T.TimestampType(),
        }.get(self.name) or T.DecimalType(self.precision, self.scale)

    def arrow(self):  # -> pyarrow.DataType, imported lazily
        import pyarrow as pa

        return {
            "int": pa.int64(),
            "string": pa.string(),
            "date": pa.date32(),
            "bool": pa.bool_(),
            "double": pa.float64(),
            "timestamp": pa.timestamp("us"),
        }.get(self.name) or pa.decimal128(self.precision, self.scale)

    def mysql(self) -> str:
        return {
            "int": "BIGINT",
            "string": "VARCHAR(255)",
            "date": "DATE",
            "bool": "TINYINT(1)",
            "double": "DOUBLE",
            "timestamp": "DATETIME(6)",
        }.get(self.name) or f"DECIMAL({self.precision},{self.scale})"

    def athena(self) -> str:
        """Glue Data Catalog / Athena (Hive DDL) spelling."""
        return {
            "int": "bigint",
            "string": "string",
            "date": "date",
            "bool": "boolean",
            "double": "double",
            "timestamp": "timestamp",
        }.get(self.name) or f"decimal({self.precision},{self.scale})"

    def duckdb(self) -> str:
        return {
            "int": "BIGINT",
            "string": "VARCHAR",
            "date": "DATE",
            "bool": "BOOLEAN",
            "double": "DOUBLE",
            "timestamp": "TIMESTAMP",
        }.get(self.name) or f"DECIMAL({self.precision},{self.scale})"


def parse_type(text: str) -> ColumnType:
    """Parse ``int``, ``decimal(18,2)`` and friends; anything else is a contract error."""
    spelled = text.replace(" ", "").lower()
    if spelled in _SIMPLE:
        return ColumnType(spelled)
    match = _DECIMAL.match(spelled)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if 0 < precision <= 38 and 0 <= scale <= precision:
            return ColumnType("decimal", precision, scale)
    raise ValueError(f"unknown contract type {text!r}")
