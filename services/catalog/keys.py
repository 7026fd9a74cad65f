"""Every Redis key of the catalog, in one place (prefix `catalog:`).

Read models (written by the worker from catalog.shops / catalog.products; rebuilt
by `python -m services.catalog.rebuild --yes`):
- `catalog:shop:<shop_id>`              JSON of the shop's profile and status
- `catalog:shops`                       set of every shop id
- `catalog:shops:municipality:<folded>` set of open shops in a municipality
- `catalog:geo:shops`                   GEO index of open shops
- `catalog:product:<product_id>`        JSON of the listing and its status
- `catalog:shop-products:<shop_id>`     set of a shop's listed products
- `catalog:products:listed`             set of every listed product
- `catalog:category:<CATEGORY>`         set of listed products per category
- `catalog:search:<term>`               inverted index: listed products per term

Decision state (written by the worker owning the product's partition, together
with its processed marker; the `{product_id}` hash tag keeps a product's keys in
one slot on Redis Cluster):
- `catalog:stock:{<product_id>}`        hash: shop_id, available, reserved, status, delisting_reason
- `catalog:stock:{<product_id>}:held`   hash: order_id -> units held for that order
- `catalog:order-products:<order_id>`   set of the order's products (for releases), expires
"""

from __future__ import annotations

from .domain.search import fold

PREFIX = "catalog"
SHOPS = f"{PREFIX}:shops"
SHOP_LOCATIONS = f"{PREFIX}:geo:shops"
LISTED = f"{PREFIX}:products:listed"
READ_MODEL_PATTERNS = (f"{PREFIX}:shop:*", f"{PREFIX}:shops*", f"{PREFIX}:geo:*", f"{PREFIX}:product:*",
                       f"{PREFIX}:shop-products:*", f"{PREFIX}:products:*", f"{PREFIX}:category:*",
                       f"{PREFIX}:search:*")


def shop(shop_id: str) -> str:
    return f"{PREFIX}:shop:{shop_id}"


def shops_in(municipality: str) -> str:
    return f"{PREFIX}:shops:municipality:{' '.join(fold(municipality).split())}"


def shop_products(shop_id: str) -> str:
    return f"{PREFIX}:shop-products:{shop_id}"


def product(product_id: str) -> str:
    return f"{PREFIX}:product:{product_id}"


def category(symbol: str) -> str:
    return f"{PREFIX}:category:{symbol}"


def term(term_: str) -> str:
    return f"{PREFIX}:search:{term_}"


def stock(product_id: str) -> str:
    return f"{PREFIX}:stock:{{{product_id}}}"


def held(product_id: str) -> str:
    return f"{PREFIX}:stock:{{{product_id}}}:held"


def order_products(order_id: str) -> str:
    return f"{PREFIX}:order-products:{order_id}"
