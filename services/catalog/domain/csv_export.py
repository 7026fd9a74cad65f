"""A shop's product list as a CSV file for German spreadsheets: the columns the
import reads (`csv_import.py`), `;` between cells, decimal commas and a UTF-8 BOM
(so Excel shows the umlauts), so a shop can export, edit and import it again.

Every cell goes through `defusedcsv`: text that a spreadsheet would run as a
formula (`=HYPERLINK(...)`, `+`, `-`, `@`, ...) is written with a leading `'`,
so a product name never becomes a link or a command on the shop's computer.
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Mapping

from defusedcsv import csv as safe_csv

from .vocabulary import CATEGORY_LABELS_DE, TEMPERATURE_LABELS_DE

HEADER = ("Name", "Beschreibung", "Kategorie", "Einheit", "Preis (€)", "MwSt (%)", "Bestand", "Temperatur",
          "Gewicht (g)", "Volumen (ml)", "Produkt-ID")
BOM = "\ufeff"


def decimal_comma(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def vat_percent(rate_bp: int) -> str:
    return f"{rate_bp // 100}" if rate_bp % 100 == 0 else f"{rate_bp // 100},{rate_bp % 100:02d}"


def product_row(product: Mapping[str, Any], available: int | None) -> list[str]:
    """One product (a catalog read model document) as the import's columns."""
    return [product["name"], product.get("description") or "",
            CATEGORY_LABELS_DE.get(product.get("category", "OTHER"), product.get("category", "")),
            product["unit"], decimal_comma(int(product["price"]["amount_cents"])),
            vat_percent(int(product["vat_rate_bp"])), "" if available is None else str(available),
            TEMPERATURE_LABELS_DE.get(product.get("temperature_class", "AMBIENT"), ""),
            str(product["weight_g"]), str(product["volume_ml"]), product["product_id"]]


def product_list_csv(rows: Iterable[tuple[Mapping[str, Any], int | None]]) -> str:
    """The file's text (with BOM) for (product, available units) pairs."""
    out = io.StringIO(newline="")
    writer = safe_csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for product, available in rows:
        writer.writerow(product_row(product, available))
    return BOM + out.getvalue()
