"""``generate``: write a consistent, optionally dirty, retail landing zone.

Randomness is split into independent streams keyed by (seed, stream, day[, store]),
so every file depends only on the seed and its own coordinates: the same seed gives
byte-identical files, and changing one part (say, the anomaly rate) does not
reshuffle the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from retail_lake.contracts import contracts, dataset
from retail_lake.generator import anomalies
from retail_lake.generator.calendar import build_calendar, calendar_bounds
from retail_lake.generator.dimensions import build_dimensions
from retail_lake.generator.facts import build_inventory, build_sales
from retail_lake.generator.franchise import build_orders, build_store_sales
from retail_lake.generator.manifest import FileEntry, Manifest
from retail_lake.generator.writer import BackgroundWriter, write_json
from retail_lake.storage import layout

# stream ids of the random generators
_DIMS, _SALES, _INVENTORY, _FRANCHISE, _ORDERS, _ANOMALY = range(6)
_FACTS = ("sales", "inventory", "store_sales")


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([*key])


def generate(
    lake_dir: Path,
    start_date: dt.date,
    days: int,
    stores: int = 10,
    products: int = 50,
    seed: int = 42,
    anomaly_rate: float = 0.0,
    progress: bool = False,
    *,
    sales_per_day: int | None = None,
    orders_per_day: int | None = None,
) -> Manifest:
    """Write ``days`` business days from ``start_date`` into ``lake_dir/landing``.

    ``sales_per_day`` defaults to 2 transactions per store and product;
    ``orders_per_day`` (order-channel JSON) to 10 + 2 per store. ``anomaly_rate`` is
    the share of rows of each sales, inventory and franchise file that are broken
    (see :mod:`retail_lake.generator.anomalies`). Returns the manifest, also written
    to ``_control/generator_manifest.json``.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0.0 <= anomaly_rate <= 1.0:
        raise ValueError("anomaly_rate must be between 0 and 1")
    lake = Path(lake_dir)
    sales_rows = 2 * stores * products if sales_per_day is None else sales_per_day
    order_count = 10 + 2 * stores if orders_per_day is None else orders_per_day
    dims = build_dimensions(stores, products, _rng(seed, _DIMS))
    calendar = build_calendar(start_date, days)
    first, last = calendar_bounds(start_date, days)
    ctx = anomalies.Context(first, int(dims.store_key.max()), int(dims.prod_key.max()))
    manifest = Manifest(
        parameters={
            "start_date": start_date.isoformat(),
            "days": days,
            "stores": stores,
            "products": products,
            "seed": seed,
            "anomaly_rate": anomaly_rate,
            "sales_per_day": sales_rows,
            "orders_per_day": order_count,
        },
        contract_version=contracts().version,
        calendar={"first": first.isoformat(), "last": last.isoformat()},
    )
    stats = {"low_stock_snapshots": 0, "out_of_stock_snapshots": 0, "franchise_stores": 0}
    stats["franchise_stores"] = len(dims.franchise_idx)
    dealt = dict.fromkeys(_FACTS, 0)  # anomalies dealt so far per dataset
    next_row_id = dict.fromkeys(dims.franchise_idx.tolist(), 1)

    writer = BackgroundWriter()

    def emit(name: str, day_index: int, table, path: str, stream: tuple[int, ...]) -> None:
        rng = _rng(seed, _ANOMALY, _FACTS.index(name), day_index, *stream)
        done = anomalies.inject(table, dataset(name), anomaly_rate, rng, ctx, dealt[name])
        dealt[name] += sum(done.injected.values())
        writer.submit(done.table, lake / path)
        day = (start_date + dt.timedelta(days=day_index)).isoformat()
        manifest.add(
            path, FileEntry(name, day, done.table.num_rows, done.injected, done.quarantined)
        )

    with writer, _progress(progress, days) as advance:
        for i in range(days):
            day = start_date + dt.timedelta(days=i)
            for name, table in (
                ("calendar", calendar),
                ("store", dims.store),
                ("product", dims.product),
            ):
                path = layout.landing_retail(day, name)
                writer.submit(table, lake / path)
                manifest.add(path, FileEntry(name, day.isoformat(), table.num_rows))
            sales = build_sales(day, 1 + i * sales_rows, sales_rows, dims, _rng(seed, _SALES, i))
            inventory = build_inventory(day, sales.qty_by_pair, dims, _rng(seed, _INVENTORY, i))
            stats["low_stock_snapshots"] += inventory.low_stock
            stats["out_of_stock_snapshots"] += inventory.out_of_stock
            emit("sales", i, sales.table, layout.landing_retail(day, "sales"), ())
            emit("inventory", i, inventory.table, layout.landing_retail(day, "inventory"), ())
            for s in dims.franchise_idx.tolist():
                rng = _rng(seed, _FRANCHISE, i, s)
                table = build_store_sales(
                    day, s, next_row_id[s], int(rng.poisson(6)) + 2, dims, rng
                )
                next_row_id[s] += table.num_rows
                path = layout.landing_store_sales(day, int(dims.store_num[s]))
                emit("store_sales", i, table, path, (s,))
            batch = build_orders(day, order_count, dims, _rng(seed, _ORDERS, i))
            orders_path = f"{layout.landing_orders()}/orders_{day.isoformat()}.json"
            write_json(batch, lake / orders_path)
            manifest.add(orders_path, FileEntry("orders", day.isoformat(), len(batch["orders"])))
            advance()
    manifest.stats = stats
    manifest.write(lake)
    return manifest


@contextmanager
def _progress(enabled: bool, days: int) -> Iterator:
    """A rich progress bar over the days when ``enabled``; otherwise a no-op."""
    if not enabled:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task("generating days", total=days)
        yield lambda: bar.advance(task)
