"""Dataset contracts: one declarative definition per dataset (``datasets.toml``).

Every schema, column list, rule set and expected-file pattern in the project is
derived from here, so that a column is added, retyped or documented in exactly one
place. The loaded contracts are immutable and cached per process.
"""

from __future__ import annotations

from retail_lake.contracts._model import (
    DUPLICATE_KEY,
    RETAIL_TABLES,
    ROW_RULE_REASONS,
    RULE_ORDER,
    Column,
    ContractError,
    Dataset,
    Registry,
    contract_hash,
    contracts,
    contracts_overridden,
    dataset,
)
from retail_lake.contracts._types import ColumnType, parse_type

__all__ = [
    "DUPLICATE_KEY",
    "RETAIL_TABLES",
    "ROW_RULE_REASONS",
    "RULE_ORDER",
    "Column",
    "ColumnType",
    "ContractError",
    "Dataset",
    "Registry",
    "contract_hash",
    "contracts",
    "contracts_overridden",
    "dataset",
    "parse_type",
]
