"""Store and product dimensions, plus the per-row attributes the fact builders need.

Dimensions are small (hundreds to thousands of rows), so they are built once per
run and delivered unchanged as a full snapshot every day. They are
always clean: anomalies go only into facts, so fact rows never cascade into
``unknown_store``/``unknown_product`` because of a broken dimension row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_lake.generator.writer import build_table

# city, state code, state name, region, postal code, latitude, longitude
CITIES = (
    ("Seattle", "WA", "Washington", "West", "98101", 47.606209, -122.332069),
    ("Portland", "OR", "Oregon", "West", "97201", 45.515232, -122.678385),
    ("San Diego", "CA", "California", "West", "92101", 32.715736, -117.161087),
    ("Denver", "CO", "Colorado", "Central", "80202", 39.739236, -104.990251),
    ("Austin", "TX", "Texas", "Central", "78701", 30.267153, -97.743061),
    ("Chicago", "IL", "Illinois", "Central", "60601", 41.878113, -87.629799),
    ("Atlanta", "GA", "Georgia", "South", "30303", 33.748997, -84.387985),
    ("Miami", "FL", "Florida", "South", "33101", 25.761681, -80.191788),
    ("Nashville", "TN", "Tennessee", "South", "37201", 36.162663, -86.781601),
    ("Boston", "MA", "Massachusetts", "East", "02108", 42.360081, -71.058884),
    ("New York", "NY", "New York", "East", "10001", 40.712776, -74.005974),
    ("Philadelphia", "PA", "Pennsylvania", "East", "19103", 39.952583, -75.165222),
)
REGIONS = ("West", "Central", "South", "East")

CATEGORIES = (
    ("Grocery", ("Coffee", "Tea", "Pasta", "Snacks", "Cereal")),
    ("Beverages", ("Juice", "Soda", "Water", "Energy Drink")),
    ("Household", ("Detergent", "Paper Towels", "Light Bulbs", "Batteries")),
    ("Personal Care", ("Shampoo", "Toothpaste", "Soap", "Sunscreen")),
    ("Electronics", ("Headphones", "Chargers", "Cables")),
)
BRANDS = ("Acme", "Northwind", "Contoso", "Fabrikam", "Globex", "Initech", "Umbrella", "Wayne")


@dataclass(frozen=True)
class Dimensions:
    """The dimension tables as written, plus arrays the fact builders index into."""

    store: pa.Table
    product: pa.Table
    store_key: np.ndarray
    store_num: np.ndarray
    store_weight: np.ndarray  # probability of a sale happening in each store
    franchise: np.ndarray  # bool per store
    store_city: np.ndarray  # index into CITIES
    prod_key: np.ndarray
    prod_name: np.ndarray  # object array of str
    prod_code: np.ndarray  # "P-0001", the item id of orders and franchise files
    prod_weight: np.ndarray  # popularity
    price_cents: np.ndarray
    unit_cost_cents: np.ndarray
    category: np.ndarray  # object array of category names
    subcategory: np.ndarray

    @property
    def franchise_idx(self) -> np.ndarray:
        return np.flatnonzero(self.franchise)


def _franchise_mask(stores: int) -> np.ndarray:
    """Every third store (the 2nd, 5th, ...) is a franchise; a lone store is one."""
    mask = np.arange(stores) % 3 == 1
    if stores == 1:
        mask[:] = True
    return mask


def build_dimensions(stores: int, products: int, rng: np.random.Generator) -> Dimensions:
    if stores < 1 or products < 1:
        raise ValueError("stores and products must be at least 1")
    store, store_arrays = _stores(stores, rng)
    product, prod_arrays = _products(products, rng)
    return Dimensions(store=store, product=product, **store_arrays, **prod_arrays)


def _stores(n: int, rng: np.random.Generator) -> tuple[pa.Table, dict[str, np.ndarray]]:
    idx = np.arange(n)
    key = idx + 1
    num = 1000 + key  # store_num differs from store_key so that mixing them up shows
    franchise = _franchise_mask(n)
    city = rng.integers(0, len(CITIES), n)
    city[: min(n, len(CITIES))] = rng.permutation(len(CITIES))[: min(n, len(CITIES))]
    c = [CITIES[i] for i in city]
    size_units = rng.integers(800, 6000, n) * 100  # square metres, in cents
    kind = np.where(franchise, 2, rng.integers(0, 2, n))
    type_cd = np.array(["SM", "EX", "FR"])[kind]
    type_desc = np.array(["Supermarket", "Express", "Franchise"])[kind]
    region = np.array([x[3] for x in c])
    market_key = np.array([REGIONS.index(r) + 1 for r in region])
    jitter = rng.integers(-20000, 20000, (n, 2))  # micro-degrees, a few km
    columns = {
        "store_key": key,
        "store_num": num,
        "store_desc": [f"Store {s} {x[0]}" for s, x in zip(num, c, strict=True)],
        "addr": [f"{100 + 7 * int(i)} Main St" for i in idx],
        "city": [x[0] for x in c],
        "region": region.tolist(),
        "cntry_cd": ["US"] * n,
        "cntry_nm": ["United States"] * n,
        "postal_zip_cd": [x[4] for x in c],
        "prov_state_desc": [x[2] for x in c],
        "prov_state_cd": [x[1] for x in c],
        "store_type_cd": type_cd.tolist(),
        "store_type_desc": type_desc.tolist(),
        "frnchs_flg": franchise.astype(np.int8),
        "store_size": size_units,
        "market_key": market_key,
        "market_name": [f"{r} Market" for r in region],
        "submarket_key": city + 1,
        "submarket_name": [f"{x[0]} Metro" for x in c],
        "latitude": np.round(np.array([x[5] for x in c]) * 1e6).astype(np.int64) + jitter[:, 0],
        "longitude": np.round(np.array([x[6] for x in c]) * 1e6).astype(np.int64) + jitter[:, 1],
    }
    weight = size_units / size_units.sum()
    arrays = {
        "store_key": key,
        "store_num": num,
        "store_weight": weight,
        "franchise": franchise,
        "store_city": city,
    }
    return build_table("store", columns), arrays


def _products(n: int, rng: np.random.Generator) -> tuple[pa.Table, dict[str, np.ndarray]]:
    idx = np.arange(n)
    key = idx + 1
    subcats = [(ci, si) for ci, (_, subs) in enumerate(CATEGORIES) for si in range(len(subs))]
    pick = rng.integers(0, len(subcats), n)
    cat_i = np.array([subcats[p][0] for p in pick])
    sub_i = np.array([subcats[p][1] for p in pick])
    category = np.array([CATEGORIES[c][0] for c in cat_i], dtype=object)
    subcategory = np.array(
        [CATEGORIES[c][1][s] for c, s in zip(cat_i, sub_i, strict=True)], dtype=object
    )
    brand = np.array(BRANDS, dtype=object)[rng.integers(0, len(BRANDS), n)]
    name = np.array([f"{b} {s} {k:04d}" for b, s, k in zip(brand, subcategory, key, strict=True)])
    code = np.array([f"P-{k:04d}" for k in key], dtype=object)
    # log-normal prices between roughly 1 and 200 dollars
    price = np.clip(np.round(np.exp(rng.normal(6.5, 0.9, n))), 99, 19999).astype(np.int64)
    unit_cost = (price * rng.uniform(0.55, 0.8, n)).astype(np.int64)
    status = np.where(rng.random(n) < 0.9, 0, 1)
    popularity = 1.0 / (rng.permutation(n) + 1.0) ** 0.8
    columns = {
        "prod_key": key,
        "prod_name": name.astype(object),
        "vol": rng.integers(10, 500, n) * 10,
        "wgt": rng.integers(5, 2000, n) * 10,
        "brand_name": brand,
        "status_code": np.array(["A", "N"], dtype=object)[status],
        "status_code_name": np.array(["Active", "New"], dtype=object)[status],
        "category_key": cat_i + 1,
        "category_name": category,
        "subcategory_key": (cat_i + 1) * 100 + sub_i + 1,
        "subcategory_name": subcategory,
    }
    arrays = {
        "prod_key": key,
        "prod_name": name.astype(object),
        "prod_code": code,
        "prod_weight": popularity / popularity.sum(),
        "price_cents": price,
        "unit_cost_cents": unit_cost,
        "category": category,
        "subcategory": subcategory,
    }
    return build_table("product", columns), arrays
