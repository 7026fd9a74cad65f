"""Folding the catalog into local trade: shops registered and closed, goods listed
and delisted, as day deltas on the shop's cell (`shops_opened`, `shops_closed`,
`goods_delta`). Active shops and goods listed on a day are the sums of the deltas up
to and including it (a state, not a flow: a week or month shows its last day).

The shop's area (municipality, village, place) is kept from its registration and
updates and joined when read. What the events lack: the goods a shop sells in the
shop but does not list here, and its turnover.
"""

from __future__ import annotations

from nahnetz.records import ProductDelisted, ProductListed, ShopClosed, ShopRegistered
from nahnetz.records.base import EventRecord

from .changes import SHOP, Add, Cell, Change
from .days import day_of


def fold_catalog(event: EventRecord, active: bool) -> list[Change]:
    """`active`: whether the shop is open (for shop events) or the product listed (for
    product events) before this event, so a repeated registration or delisting
    counts once."""
    day = day_of(event.meta.occurred_at)
    if isinstance(event, ShopRegistered) and not active:
        return [Add(Cell(day, SHOP, event.shop_id), "shops_opened")]
    if isinstance(event, ShopClosed) and active:
        return [Add(Cell(day, SHOP, event.shop_id), "shops_closed")]
    if isinstance(event, ProductListed) and not active:
        return [Add(Cell(day, SHOP, event.shop_id), "goods_delta")]
    if isinstance(event, ProductDelisted) and active:
        return [Add(Cell(day, SHOP, event.shop_id), "goods_delta", -1)]
    return []
