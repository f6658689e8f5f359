"""Franchise-store daily files and order batches of the order-event channel.

A franchise file holds one store's order lines of one day. ``row_id`` keeps
counting across days for each store, because (``franchise_store``, ``row_id``) is the
key and a key seen again in a later load is a restatement, not a new sale.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from retail_lake.generator.dimensions import CITIES, Dimensions
from retail_lake.generator.writer import build_table

FIRST_NAMES = ("Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon")
LAST_NAMES = ("Diaz", "Smith", "Nguyen", "Okafor", "Rossi", "Kim", "Silva", "Novak", "Brown")
SHIP_MODES = ("Standard Class", "Second Class", "First Class", "Same Day")
SEGMENTS = ("Consumer", "Corporate", "Home Office")
TAX_RATE_BP = 825  # 8.25 % in basis points
CUSTOMERS = 500


def customer_name(i: np.ndarray) -> np.ndarray:
    first = np.array(FIRST_NAMES, dtype=object)[i % len(FIRST_NAMES)]
    last = np.array(LAST_NAMES, dtype=object)[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return first + " " + last


def build_store_sales(
    day: dt.date,
    store_idx: int,
    first_row_id: int,
    orders: int,
    dims: Dimensions,
    rng: np.random.Generator,
) -> pa.Table:
    """``orders`` orders of 1-3 lines each for franchise store ``store_idx`` on ``day``."""
    lines_per_order = 1 + (rng.random(orders) < 0.35) + (rng.random(orders) < 0.15)
    order_of_line = np.repeat(np.arange(orders), lines_per_order)
    n = len(order_of_line)
    prod = rng.choice(len(dims.prod_key), size=n, p=dims.prod_weight)
    qty = rng.integers(1, 6, n)
    gross = qty * dims.price_cents[prod]
    discount = np.where(rng.random(n) < 0.25, gross // 10, 0)
    sale = gross - discount
    tax = (sale * TAX_RATE_BP + 5000) // 10000
    profit = sale - qty * dims.unit_cost_cents[prod] - np.where(rng.random(n) < 0.1, gross, 0)
    customer = rng.integers(0, CUSTOMERS, orders)[order_of_line]
    today = np.datetime64(day, "D")
    order_date = today - rng.integers(0, 3, orders).astype("timedelta64[D]")
    ship_date = order_date + rng.integers(0, 6, orders).astype("timedelta64[D]")
    city = CITIES[int(dims.store_city[store_idx])]
    store_num = int(dims.store_num[store_idx])
    stamp = day.strftime("%Y%m%d")
    order_ids = np.array([f"{store_num}-{stamp}-{k + 1:04d}" for k in range(orders)], dtype=object)
    columns = {
        "row_id": np.arange(first_row_id, first_row_id + n, dtype=np.int64),
        "order_id": order_ids[order_of_line],
        "order_date": order_date[order_of_line],
        "ship_date": ship_date[order_of_line],
        "ship_mode": np.array(SHIP_MODES, dtype=object)[rng.integers(0, len(SHIP_MODES), orders)][
            order_of_line
        ],
        "segment": np.array(SEGMENTS, dtype=object)[customer % len(SEGMENTS)],
        "customer_id": np.array([f"CU-{c:05d}" for c in customer], dtype=object),
        "customer_name": customer_name(customer),
        "item": dims.prod_name[prod],
        "sale_amount": sale,
        "tax_amount": tax,
        "quantity": qty,
        "discount_amount": discount,
        "profit": profit,
        "franchise_store": np.full(n, store_num, dtype=np.int64),
        "transaction_date": np.full(n, today),
        "delivery_city": [city[0]] * n,
        "franchise_state": [city[1]] * n,
        "postal_code": [city[4]] * n,
        "region": [city[3]] * n,
        "product_id": dims.prod_code[prod],
        "category": dims.category[prod],
        "sub_category": dims.subcategory[prod],
    }
    return build_table("store_sales", columns)


def build_orders(day: dt.date, count: int, dims: Dimensions, rng: np.random.Generator) -> dict:
    """One order batch in the format the order-event channel reads."""
    customer = rng.integers(0, CUSTOMERS, count)
    names = customer_name(customer)
    prod = rng.choice(len(dims.prod_key), size=count, p=dims.prod_weight)
    qty = rng.integers(1, 6, count)
    stamp = day.strftime("%Y%m%d")
    orders = []
    for i in range(count):
        name = str(names[i])
        email = f"{name.lower().replace(' ', '.')}{int(customer[i])}@example.com"
        orders.append(
            {
                "contact-info": {
                    "name": name,
                    "email": email,
                    "phone": f"+1-555-{int(customer[i]):04d}",
                },
                "order-info": {
                    "OrderId": f"O-{stamp}-{i + 1:06d}",
                    "item-id": str(dims.prod_code[prod[i]]),
                    "qty": int(qty[i]),
                    "price": int(dims.price_cents[prod[i]]) / 100,
                    "order-date": day.isoformat(),
                },
            }
        )
    return {"orders": orders}
