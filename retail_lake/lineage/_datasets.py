"""Which datasets each workflow step reads and writes, derived from the contracts.

| step | reads | writes |
|---|---|---|
| extract | the landing CSV files of its dates (``--source files``) or the MySQL tables, plus the franchise files | ``raw/<dataset>`` |
| validate | ``raw/<dataset>`` | ``validated/<dataset>``, ``quarantine/<dataset>`` |
| aggregate | ``validated/<dataset>`` | ``curated/<dataset>`` |
| catalog | the locations of every catalog table | the catalog tables and the ``v_*`` views |
| crawl | nothing locally (the contracts fix the landing/raw schemas) | |

The datasets are those of the contracts: the landing datasets with a raw zone
(the five retail tables and ``store_sales``) go through extract and validate, the
curated ones come out of aggregate, and the catalog's tables are
:func:`retail_lake.catalog.tables.lake_tables`. Schemas are the contract's columns,
as text in raw and quarantine, typed in validated and curated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from retail_lake.contracts import RETAIL_TABLES, contracts
from retail_lake.lineage._naming import Naming
from retail_lake.storage import layout

Field = tuple[str, str, str]
"""(column name, contract type, description)."""

SOURCE_FILE = ("source_file", "string", "the landing file the row came from")
LOAD_DATE = ("load_date", "date", "the business date of the load that delivered the row")
REJECT_REASON = ("reject_reason", "string", "the first validation rule the row broke")


@dataclass(frozen=True)
class DatasetRef:
    """One input or output of a step. ``role`` and ``dataset`` say what it is to the
    lake (``raw``/``validated``/``quarantine``/``curated``/``landing``/``source``/
    ``table``/``view`` and the contract name), so report counts can be attached."""

    namespace: str
    name: str
    role: str
    dataset: str
    fields: tuple[Field, ...] = field(default=())


def loaded_datasets() -> list[str]:
    """Contract datasets that arrive in landing and are kept in raw: extract and validate's."""
    return [d.name for d in contracts().by_zone("landing") if d.raw_path]


def _typed(name: str) -> tuple[Field, ...]:
    return tuple((c.name, str(c.type), c.doc) for c in contracts()[name].columns)


def _text(name: str) -> tuple[Field, ...]:
    return tuple((c.name, "string", c.doc) for c in contracts()[name].columns)


def _lake(naming: Naming, path: str, role: str, name: str, fields: tuple[Field, ...]) -> DatasetRef:
    return DatasetRef(naming.lake_namespace, naming.lake_name(path), role, name, fields)


def raw(naming: Naming, name: str) -> DatasetRef:
    return _lake(naming, layout.raw_dir(name), "raw", name, (*_text(name), SOURCE_FILE, LOAD_DATE))


def validated(naming: Naming, name: str) -> DatasetRef:
    fields = (*_typed(name), SOURCE_FILE, LOAD_DATE)
    return _lake(naming, layout.validated_dir(name), "validated", name, fields)


def quarantine(naming: Naming, name: str) -> DatasetRef:
    fields = (*_text(name), REJECT_REASON, SOURCE_FILE, LOAD_DATE)
    return _lake(naming, layout.quarantine_dir(name), "quarantine", name, fields)


def curated(naming: Naming, name: str) -> DatasetRef:
    return _lake(naming, layout.curated_dir(name), "curated", name, _typed(name))


def _landing(naming: Naming, name: str, days: Sequence[dt.date]) -> list[DatasetRef]:
    fields = _text(name)
    if name == "store_sales":  # one file per store: the date's folder is the dataset
        paths = [layout.landing_store_sales_dir(day) for day in days]
    else:
        paths = [layout.landing_retail(day, name) for day in days]
    return [_lake(naming, path, "landing", name, fields) for path in paths]


def _extract(naming: Naming, days: Sequence[dt.date], source: str) -> tuple[list, list]:
    inputs: list[DatasetRef] = []
    for name in loaded_datasets():
        if source == "mysql" and name in RETAIL_TABLES:
            inputs.append(
                DatasetRef(
                    naming.source_namespace, naming.source_table(name), "source", name, _typed(name)
                )
            )
        else:
            inputs += _landing(naming, name, days)
    return inputs, [raw(naming, name) for name in loaded_datasets()]


def _validate(naming: Naming) -> tuple[list, list]:
    names = loaded_datasets()
    outputs = [validated(naming, n) for n in names] + [quarantine(naming, n) for n in names]
    return [raw(naming, n) for n in names], outputs


def _aggregate(naming: Naming) -> tuple[list, list]:
    inputs = [validated(naming, n) for n in loaded_datasets()]
    return inputs, [curated(naming, d.name) for d in contracts().by_zone("curated")]


def _catalog(naming: Naming) -> tuple[list, list]:
    from retail_lake.catalog.tables import lake_tables
    from retail_lake.sql import view_files

    inputs, outputs = [], []
    for spec in lake_tables():
        fields = tuple((name, str(typ), "") for name, typ in spec.all_columns)
        contract = spec.name.removeprefix("quarantine_")
        role = "quarantine" if spec.name.startswith("quarantine_") else "curated"
        role = "raw" if spec.name == "order_changes" else role
        inputs.append(_lake(naming, spec.location, role, contract, fields))
        outputs.append(
            DatasetRef(
                naming.catalog_namespace, naming.table_name(spec.name), "table", spec.name, fields
            )
        )
    for view in view_files():
        name = view.name.removesuffix(".sql")
        outputs.append(DatasetRef(naming.catalog_namespace, naming.table_name(name), "view", name))
    return inputs, outputs


def step_io(
    step: str, naming: Naming, days: Sequence[dt.date], source: str = "files"
) -> tuple[list[DatasetRef], list[DatasetRef]]:
    """``(inputs, outputs)`` of a workflow step; a step not listed has none."""
    if step == "extract":
        return _extract(naming, days, source)
    if step == "validate":
        return _validate(naming)
    if step == "aggregate":
        return _aggregate(naming)
    if step == "catalog":
        return _catalog(naming)
    return [], []
