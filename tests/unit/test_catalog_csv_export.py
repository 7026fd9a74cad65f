"""A shop's product list as a CSV file: the import reads it back, and no cell
becomes a spreadsheet formula on the shop's computer."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from services.catalog.domain.csv_export import BOM, HEADER, product_list_csv
from services.catalog.domain.csv_import import read_product_csv
from services.catalog.domain.products import ListingError, ProductDraft


def product(name: str, **fields) -> dict:
    doc = {"product_id": f"p-{name[:3]}", "name": name, "unit": "500 g", "description": None,
           "price": {"amount_cents": 249, "currency": "EUR"}, "vat_rate_bp": 700, "weight_g": 520,
           "volume_ml": 600, "category": "DAIRY_EGGS", "temperature_class": "CHILLED"}
    return doc | fields


def cells(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):], newline=""), delimiter=";"))


def test_the_export_is_what_the_import_reads_back():
    rows = [(product("Bergkäse", description="würzig; 12 Monate", price={"amount_cents": 1999}), 7),
            (product("Roggenbrot", unit="Laib", category="BREAD_BAKERY", temperature_class="AMBIENT",
                     vat_rate_bp=1900, price={"amount_cents": 380}), None)]
    text = product_list_csv(rows)
    assert cells(text)[0] == list(HEADER)
    assert cells(text)[1][:8] == ["Bergkäse", "würzig; 12 Monate", "Milch & Eier", "500 g", "19,99", "7", "7",
                                  "gekühlt"]
    report = read_product_csv(text.encode("utf-8"))
    assert report.rejected == [] and report.ignored_columns == ["Produkt-ID"]
    back = {r.draft.name: (r.draft, r.stock) for r in report.rows}
    cheese, stock = back["Bergkäse"]
    assert (cheese.price_cents, cheese.vat_rate_bp, cheese.category, cheese.temperature_class, stock) == (
        1999, 700, "DAIRY_EGGS", "CHILLED", 7)
    assert cheese.description == "würzig; 12 Monate" and (cheese.weight_g, cheese.volume_ml) == (520, 600)
    bread, _ = back["Roggenbrot"]
    assert (bread.price_cents, bread.vat_rate_bp, bread.category, bread.temperature_class) == (
        380, 1900, "BREAD_BAKERY", "AMBIENT")


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil.example","Klick")', "+1+cmd|' /C calc'!A0",
                                     "-2+3", "@SUM(A1:A9)"])
def test_no_cell_is_written_as_a_formula(formula):
    [_, row] = cells(product_list_csv([(product("Quark", description=formula), 1)]))
    assert row[1].startswith("'") and row[1].lstrip("'").replace("\\|", "|") == formula


def test_numbers_stay_numbers():
    [_, row] = cells(product_list_csv([(product("Quark", price={"amount_cents": 5}), 0)]))
    assert row[4:7] == ["0,05", "7", "0"]


@pytest.mark.parametrize("field", ["name", "unit", "description"])
@pytest.mark.parametrize("start", ["=", "@"])
def test_a_listing_that_starts_like_a_formula_is_refused(field, start):
    draft = ProductDraft(name="Quark", unit="250 g", price_cents=199, vat_rate_bp=700, weight_g=260,
                         volume_ml=300)
    with pytest.raises(ListingError, match="formula"):
        replace(draft, **{field: f"{start}HYPERLINK(x)"}).checked()


def test_the_import_names_the_row_with_a_formula():
    text = "Name;Einheit;Preis;MwSt;Gewicht;Volumen\n=HYPERLINK(\"http://x\");Stück;1,00;7;100;100\nQuark;250 g;1,99;7;260;300\n"
    report = read_product_csv(text)
    assert [r.draft.name for r in report.rows] == ["Quark"]
    assert [r.line for r in report.rejected] == [2] and "Tabellenformel" in report.rejected[0].reason
