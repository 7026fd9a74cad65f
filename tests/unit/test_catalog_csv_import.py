"""CSV product lists: German and English headers, decimal comma or point,
delimiters, encodings, and a reason with the line number for every bad row."""

from __future__ import annotations

import pytest

from services.catalog.domain.csv_import import (ImportFileError, listing_key, read_product_csv,
                                                sniff_delimiter)
from services.catalog.domain.products import ProductDraft

GERMAN = """Name;Beschreibung;Kategorie;Einheit;Preis;MwSt;Bestand;Temperatur;Gewicht;Volumen
Bergkäse;würzig, 12 Monate gereift;Milch & Eier;200 g;4,49 €;7;12;gekühlt;200;250
Bauernbrot;;Brot;Stück;3,20;7 %;5;ungekühlt;1 kg;2000
Erbsen;;Tiefkühlkost;450 g;1,99;7;30;tiefgekühlt;450;600
"""

ENGLISH = """name,description,category,unit,price,vat,stock,temperature,weight_g,volume_ml
Free-range eggs,"Box of 10, size M",dairy,10 pcs,3.49,7,40,chilled,650,1200
Apple juice,,beverages,1 l,2.49,19,0,ambient,1100,1000
"""


def test_german_headers_with_decimal_commas_and_semicolons():
    report = read_product_csv(GERMAN.encode())
    assert report.rejected == []
    assert [(r.line, r.stock) for r in report.rows] == [(2, 12), (3, 5), (4, 30)]
    cheese, bread, peas = (r.draft for r in report.rows)
    assert cheese == ProductDraft(name="Bergkäse", unit="200 g", price_cents=449, vat_rate_bp=700, weight_g=200,
                                  volume_ml=250, category="DAIRY_EGGS", temperature_class="CHILLED",
                                  description="würzig, 12 Monate gereift")
    assert (bread.price_cents, bread.weight_g, bread.category, bread.temperature_class, bread.description) == (
        320, 1000, "BREAD_BAKERY", "AMBIENT", None)
    assert (peas.category, peas.temperature_class) == ("FROZEN", "FROZEN")


def test_english_headers_with_decimal_points_commas_and_quoted_cells():
    report = read_product_csv(ENGLISH)
    assert report.rejected == []
    eggs, juice = (r.draft for r in report.rows)
    assert (eggs.name, eggs.description, eggs.price_cents, eggs.category, eggs.temperature_class) == (
        "Free-range eggs", "Box of 10, size M", 349, "DAIRY_EGGS", "CHILLED")
    assert (juice.price_cents, juice.vat_rate_bp, report.rows[1].stock) == (249, 1900, 0)


def test_bad_rows_are_reported_with_their_line_and_every_reason_and_good_rows_still_count():
    text = """Name;Einheit;Preis;MwSt;Gewicht;Volumen;Kategorie;Temperatur;Bestand
Honig;500 g;6,50;7;500;400;Vorrat;;3
;Stück;1,00;7;100;100;;;
Milch;1 l;-1;7;1000;1000;;;
Senf;200 ml;1,20;8;250;200;;warm;
Wurst;Stück;2,1,0;7;100;100;Fleisch;;x

Quark;250 g;1,29;7;250;250;Milch;gekühlt;1,5
"""
    report = read_product_csv(text.encode())
    assert [r.line for r in report.rows] == [2]
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 8]  # line 7 is empty and skipped, the numbering goes on
    assert "Name fehlt" in reasons[3]
    assert "Preis '-1' muss größer als 0 sein" in reasons[4]
    assert "MwSt '8'" in reasons[5] and "unbekannte Temperatur 'warm'" in reasons[5]
    assert "Preis '2,1,0' ist keine Zahl" in reasons[6] and "Bestand 'x'" in reasons[6]
    assert "ganze Zahl" in reasons[8]


def test_line_numbers_count_physical_lines_when_a_quoted_cell_spans_two():
    text = ('name,unit,price,vat,weight_g,volume_ml,description\n'
            'Jam,Glas,"3,10",7,400,300,"Erdbeere\nund Rhabarber"\n'
            'Bad,Glas,zero,7,400,300,\n')
    report = read_product_csv(text)
    assert report.rows[0].draft.price_cents == 310
    assert report.rows[0].draft.description == "Erdbeere\nund Rhabarber"
    assert [(r.line, "keine Zahl" in r.reason) for r in report.rejected] == [(4, True)]


def test_units_in_the_header_apply_to_bare_numbers():
    text = "Produkt;Einheit;Preis (€);MwSt (%);Gewicht (kg);Volumen (l)\nKartoffeln;5 kg;4,99;7;5;6,5\n"
    draft = read_product_csv(text).rows[0].draft
    assert (draft.name, draft.price_cents, draft.weight_g, draft.volume_ml) == ("Kartoffeln", 499, 5000, 6500)


def test_prices_in_cents_when_the_column_says_so():
    text = "name;unit;price_cents;vat;weight_g;volume_ml\nBrötchen;Stück;45;7;60;150\n"
    assert read_product_csv(text).rows[0].draft.price_cents == 45


def test_windows_1252_from_german_excel_and_a_utf8_bom_read_the_same():
    text = "Name;Einheit;Preis;MwSt;Gewicht;Volumen\nKäse;Stück;2,49 €;7;200;200\n"
    for data in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        report = read_product_csv(data)
        assert report.rows[0].draft.name == "Käse"
        assert report.rows[0].draft.price_cents == 249


def test_unknown_columns_are_ignored_and_named():
    text = "Name;Einheit;Preis;MwSt;Gewicht;Volumen;Lieferant\nKäse;Stück;2,49;7;200;200;Hof Meier\n"
    report = read_product_csv(text)
    assert report.ignored_columns == ["Lieferant"]
    assert len(report.rows) == 1


def test_missing_required_columns_refuse_the_whole_file_naming_them():
    with pytest.raises(ImportFileError, match="Preis/price.*Gewicht/weight_g"):
        read_product_csv("Name;Einheit;MwSt;Volumen\nKäse;Stück;7;200\n")


@pytest.mark.parametrize("text, says", [("", "leer"), ("\n\n", "leer"),
                                        ("Name;Einheit;Preis;MwSt;Gewicht;Volumen\n", "keine Produktzeilen"),
                                        ("Name;Name;Einheit;Preis;MwSt;Gewicht;Volumen\n", "doppelt")])
def test_files_that_cannot_be_read_say_why(text, says):
    with pytest.raises(ImportFileError, match=says):
        read_product_csv(text)


def test_a_row_with_more_cells_than_the_header_is_refused_with_a_hint():
    text = "Name;Einheit;Preis;MwSt;Gewicht;Volumen\nSaft; naturtrüb;1 l;2,49;19;1100;1000\n"
    [rejected] = read_product_csv(text).rejected
    assert rejected.line == 2 and "Anführungszeichen" in rejected.reason


def test_doubles_in_the_file_and_goods_already_listed_are_refused():
    text = ("Name;Einheit;Preis;MwSt;Gewicht;Volumen\n"
            "Käse;Stück;2,49;7;200;200\n"
            "KAESE;stück;2,59;7;200;200\n"
            "Brot;Stück;3,00;7;800;2000\n")
    report = read_product_csv(text, existing={listing_key("Brot", "Stück"): "p-bread"})
    assert [r.line for r in report.rows] == [2]
    assert [(r.line, r.reason.split(" (")[0]) for r in report.rejected] == [
        (3, "doppelt, wie Zeile 2"), (4, "schon gelistet als p-bread")]


def test_too_many_rows_refuse_the_file():
    rows = "".join(f"Ware {n};Stück;1,00;7;100;100\n" for n in range(4))
    with pytest.raises(ImportFileError, match="mehr als 3 Zeilen"):
        read_product_csv("Name;Einheit;Preis;MwSt;Gewicht;Volumen\n" + rows, max_rows=3)


@pytest.mark.parametrize("line, delimiter", [("Name;Preis;MwSt", ";"), ("name,price,vat", ","),
                                             ("name\tprice\tvat", "\t"), ("Name", ";")])
def test_the_delimiter_is_sniffed_from_the_header(line, delimiter):
    assert sniff_delimiter(line) == delimiter
