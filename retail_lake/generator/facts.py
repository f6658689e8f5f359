"""Sales transactions and inventory snapshots of one business day, fully vectorised.

Sales are drawn first; the inventory snapshot of the same day is then drawn
*against* each store x product's sold quantity, so that the stock situations the weekly
metrics measure really happen: roughly 6 % of snapshots are out of stock (``on_hand`` 0,
``out_of_stock_flg`` 1) and roughly 10 % of those with sales are low on stock
(``on_hand`` < the day's quantity). Money is integer cents throughout, so
``sales_amt = sales_qty * sales_price - discount`` and
``sales_mgrn = sales_amt - sales_cost`` hold exactly in the written decimals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_lake.generator.dimensions import Dimensions
from retail_lake.generator.writer import build_table

OUT_OF_STOCK_RATE = 0.06
LOW_STOCK_RATE = 0.10


@dataclass(frozen=True)
class DaySales:
    table: pa.Table
    qty_by_pair: np.ndarray  # units sold per (store index * products + product index)


def build_sales(
    day: dt.date, first_trans_id: int, rows: int, dims: Dimensions, rng: np.random.Generator
) -> DaySales:
    """``rows`` transactions on ``day`` with ids ``first_trans_id ..``, in time order."""
    n_prod = len(dims.prod_key)
    store = rng.choice(len(dims.store_key), size=rows, p=dims.store_weight)
    prod = rng.choice(n_prod, size=rows, p=dims.prod_weight)
    seconds = np.sort(rng.integers(8 * 3600, 22 * 3600, rows))
    qty = np.minimum(rng.geometric(0.55, rows), 12).astype(np.int64)
    price = dims.price_cents[prod]
    gross = qty * price
    pct = np.where(rng.random(rows) < 0.2, rng.integers(5, 31, rows), 0)
    discount = gross * pct // 100
    amount = gross - discount
    cost = qty * dims.unit_cost_cents[prod]
    ship = np.where(rng.random(rows) < 0.3, rng.integers(100, 1500, rows), 0)
    hhmmss = (seconds // 3600) * 10000 + (seconds // 60 % 60) * 100 + seconds % 60
    columns = {
        "trans_id": np.arange(first_trans_id, first_trans_id + rows, dtype=np.int64),
        "prod_key": dims.prod_key[prod],
        "store_key": dims.store_key[store],
        "trans_dt": np.full(rows, np.datetime64(day, "D")),
        "trans_time": hhmmss,
        "sales_qty": qty * 100,
        "sales_price": price,
        "sales_amt": amount,
        "discount": discount,
        "sales_cost": cost,
        "sales_mgrn": amount - cost,
        "ship_cost": ship,
    }
    qty_by_pair = np.bincount(
        store * n_prod + prod, weights=qty, minlength=len(dims.store_key) * n_prod
    ).astype(np.int64)
    return DaySales(build_table("sales", columns), qty_by_pair)


@dataclass(frozen=True)
class DayInventory:
    table: pa.Table
    low_stock: int  # snapshots with on_hand < the day's sold quantity
    out_of_stock: int


def build_inventory(
    day: dt.date, qty_by_pair: np.ndarray, dims: Dimensions, rng: np.random.Generator
) -> DayInventory:
    """One snapshot per store x product (store-major order) for ``day``."""
    n_store, n_prod = len(dims.store_key), len(dims.prod_key)
    n = n_store * n_prod
    u = rng.random(n)
    oos = u < OUT_OF_STOCK_RATE
    low = ~oos & (u < OUT_OF_STOCK_RATE + LOW_STOCK_RATE) & (qty_by_pair > 0)
    short = np.floor(rng.random(n) * qty_by_pair).astype(np.int64)  # always < qty when qty > 0
    plenty = qty_by_pair + rng.integers(0, 60, n)  # >= qty: not low
    on_hand = np.where(oos, 0, np.where(low, short, plenty))
    reorder = oos | low | (rng.random(n) < 0.3)
    on_order = np.where(reorder, rng.integers(10, 120, n), 0)
    waste = np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0)
    delivery = np.datetime64(day, "D") + rng.integers(1, 8, n).astype("timedelta64[D]")
    columns = {
        "cal_dt": np.full(n, np.datetime64(day, "D")),
        "store_key": np.repeat(dims.store_key, n_prod),
        "prod_key": np.tile(dims.prod_key, n_store),
        "inventory_on_hand_qty": on_hand * 100,
        "inventory_on_order_qty": on_order * 100,
        "out_of_stock_flg": oos.astype(np.int64),
        "waste_qty": waste * 100,
        "promotion_flg": (rng.random(n) < 0.1).astype(np.int8),
        "next_delivery_dt": pa.array(
            delivery.astype("datetime64[D]"), type=pa.date32(), mask=on_order == 0
        ),
    }
    is_low = on_hand < qty_by_pair
    return DayInventory(build_table("inventory", columns), int(is_low.sum()), int(oos.sum()))
