"""Properties of a shop's product list as CSV (services/catalog/domain/csv_import.py)
and of the amounts in it (money.py): whatever the language of the headers, the
delimiter, the encoding or the decimal notation, a good row comes back with its
values and its line in the file; every row is either imported or rejected at
its line; a product is listed once; and nothing but the documented errors is
ever raised."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.catalog.domain.csv_import import ImportFileError, listing_key, read_product_csv
from services.catalog.domain.money import (MAX_PRICE_CENTS, VAT_RATES_BP, AmountError, format_euro,
                                           parse_price_cents, parse_units, parse_vat_rate_bp, parse_volume_ml,
                                           parse_weight_g)
from services.catalog.domain.products import MAX_VOLUME_ML, MAX_WEIGHT_G, ProductDraft
from services.catalog.domain.stock import MAX_LEVEL

FAST = settings(max_examples=100, deadline=None)
FILES = settings(max_examples=60, deadline=None)

# Text as shops type it. No "€" next to a letter: in Windows-1252 that byte pair can
# also be valid UTF-8, an ambiguity of the encoding, not of the reader.
TEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789äöüÄÖÜßé &-/()',;\""
names = st.text(TEXT, min_size=1, max_size=30).filter(lambda s: s.strip())
units = st.one_of(st.sampled_from(["Stück", "200 g", "1 l", "Bund", "10 pcs", "Glas (350 g)"]),
                  st.text(TEXT, min_size=1, max_size=12).filter(lambda s: s.strip()))
# Words for shelves and cold chain, with the symbol a shop means by them.
CATEGORY_WORDS = [("", "OTHER"), ("Milch & Eier", "DAIRY_EGGS"), ("Brot", "BREAD_BAKERY"),
                  ("obst und gemüse", "FRUIT_VEGETABLES"), ("Getränke", "BEVERAGES"), ("TK", "FROZEN"),
                  ("dairy", "DAIRY_EGGS"), ("PANTRY", "PANTRY"), ("sweets & snacks", "SWEETS_SNACKS")]
TEMPERATURE_WORDS = [("", "AMBIENT"), ("ungekühlt", "AMBIENT"), ("gekühlt", "CHILLED"), ("Tiefgekühlt", "FROZEN"),
                     ("chilled", "CHILLED"), ("FROZEN", "FROZEN"), ("ambient", "AMBIENT")]
VAT_WRITINGS = {0: ["0", "0 %", "0,0"], 700: ["7", "7 %", "7,0%", "0,07", "0.07"],
                1900: ["19", "19 %", "19,0 %", "0.19"]}


@dataclass(frozen=True)
class Product:
    """What a shop means to list, and how it writes it down."""

    name: str
    unit: str
    price_cents: int
    vat_rate_bp: int
    weight_g: int
    volume_ml: int
    stock: int
    category: tuple[str, str]
    temperature: tuple[str, str]
    description: str
    style: int  # which of the notations below to use for each cell


products = st.builds(
    Product, names, units, st.integers(min_value=1, max_value=MAX_PRICE_CENTS), st.sampled_from(sorted(VAT_RATES_BP)),
    st.integers(min_value=1, max_value=MAX_WEIGHT_G), st.integers(min_value=1, max_value=MAX_VOLUME_ML),
    st.integers(min_value=0, max_value=MAX_LEVEL), st.sampled_from(CATEGORY_WORDS),
    st.sampled_from(TEMPERATURE_WORDS), st.one_of(st.just(""), st.text(TEXT, max_size=40)),
    st.integers(min_value=0, max_value=1000))


@dataclass(frozen=True)
class Layout:
    german: bool
    case: str            # "as is", "upper", "lower"
    price_unit: str      # "", "€", "ct"
    weight_unit: str     # "", "kg"
    volume_unit: str     # "", "l", "cl"
    with_stock: bool
    extra_column: bool   # a column nobody asked for
    order: tuple[int, ...]  # a permutation of the columns
    delimiter: str
    newline: str
    encoding: str | None  # None: given as text


COLUMNS = ("name", "description", "category", "unit", "price", "vat", "stock", "temperature", "weight", "volume",
           "extra")


@st.composite
def layouts(draw) -> Layout:
    return Layout(draw(st.booleans()), draw(st.sampled_from(["as is", "upper", "lower"])),
                  draw(st.sampled_from(["", "€", "ct"])), draw(st.sampled_from(["", "kg"])),
                  draw(st.sampled_from(["", "l", "cl"])), draw(st.booleans()), draw(st.booleans()),
                  tuple(draw(st.permutations(range(len(COLUMNS))))), draw(st.sampled_from(";,\t")),
                  draw(st.sampled_from(["\n", "\r\n"])),
                  draw(st.sampled_from([None, "utf-8", "utf-8-sig", "cp1252"])))


def header_of(column: str, layout: Layout) -> str:
    german = {"name": "Name", "description": "Beschreibung", "category": "Kategorie", "unit": "Einheit",
              "price": "Preis", "vat": "MwSt", "stock": "Bestand", "temperature": "Temperatur",
              "weight": "Gewicht", "volume": "Volumen", "extra": "Regal"}
    english = {"name": "name", "description": "description", "category": "category", "unit": "unit",
               "price": "price", "vat": "vat", "stock": "stock", "temperature": "temperature",
               "weight": "weight_g", "volume": "volume_ml", "extra": "shelf"}
    text = (german if layout.german else english)[column]
    unit = {"price": layout.price_unit, "weight": layout.weight_unit, "volume": layout.volume_unit}.get(column)
    if unit:
        text = f"{text.split('_')[0]} ({unit})"
    return {"upper": text.upper(), "lower": text.lower()}.get(layout.case, text)


def cell_of(column: str, p: Product, layout: Layout) -> str:
    """The cell as a shop might write it, in one of the notations the reader promises to take."""
    s = p.style
    euros, cents = divmod(p.price_cents, 100)
    if column == "name":
        return p.name
    if column == "unit":
        return p.unit
    if column == "description":
        return p.description
    if column == "category":
        return p.category[0]
    if column == "temperature":
        return p.temperature[0]
    if column == "stock":
        return [str(p.stock), f"{p.stock},0", f"{p.stock:,}".replace(",", "") + ".00"][s % 3]
    if column == "vat":
        writings = VAT_WRITINGS[p.vat_rate_bp]
        return writings[s % len(writings)]
    if column == "price":
        if layout.price_unit == "ct":
            return str(p.price_cents)
        return [format_euro(p.price_cents), f"{euros},{cents:02d}", f"{euros:,}.{cents:02d}",
                f"EUR {euros}.{cents:02d}", f"{euros:,}.{cents:02d} €".replace(",", "'")][s % 5]
    if column == "weight":
        grams = p.weight_g
        if layout.weight_unit == "kg":
            return [f"{grams // 1000},{grams % 1000:03d}", f"{grams} g"][s % 2]
        return [str(grams), f"{grams} g", f"{grams // 1000}.{grams % 1000:03d} kg"][s % 3]
    if column == "volume":
        ml = p.volume_ml
        if layout.volume_unit == "l":
            return [f"{ml // 1000},{ml % 1000:03d}", f"{ml} ml"][s % 2]
        if layout.volume_unit == "cl":
            return [f"{ml // 10},{ml % 10}", f"{ml} ml"][s % 2]
        return [str(ml), f"{ml} ml", f"{ml // 1000},{ml % 1000:03d} l"][s % 3]
    assert column == "extra"
    return "B-3"


def columns_of(layout: Layout) -> list[str]:
    wanted = [c for c in COLUMNS if (c != "stock" or layout.with_stock) and (c != "extra" or layout.extra_column)]
    return [COLUMNS[i] for i in layout.order if COLUMNS[i] in wanted]


def row_text(cells: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(cells)
    return out.getvalue()


def expected_draft(p: Product) -> ProductDraft:
    return ProductDraft(name=" ".join(p.name.split()), unit=" ".join(p.unit.split()), price_cents=p.price_cents,
                        vat_rate_bp=p.vat_rate_bp, weight_g=p.weight_g, volume_ml=p.volume_ml,
                        category=p.category[1], temperature_class=p.temperature[1],
                        description=p.description.strip() or None)


# Rows that are wrong in one way a shop gets a row wrong; each must be rejected at its line.
BAD_ROWS = {
    "no price": lambda cells, cols: {**cells, "price": ""},
    "no name": lambda cells, cols: {**cells, "name": "  "},
    "a foreign VAT rate": lambda cells, cols: {**cells, "vat": "16"},
    "a price of nothing": lambda cells, cols: {**cells, "price": "0,00"},
    "negative stock": lambda cells, cols: {**cells, "stock": "-1"} if "stock" in cols else {**cells, "vat": "x"},
    "a weight that is no amount": lambda cells, cols: {**cells, "weight": "schwer"},
    "an unknown shelf": lambda cells, cols: {**cells, "category": "Werkzeug"},
    "three decimals": lambda cells, cols: {**cells, "price": "1,999"},
}


@st.composite
def files(draw):
    """A product list with good rows, bad rows and blank lines; what each data line should become."""
    layout = draw(layouts())
    cols = columns_of(layout)
    good = draw(st.lists(products, max_size=5, unique_by=lambda p: listing_key(p.name, p.unit)))
    if not layout.with_stock:
        good = [replace(p, stock=0) for p in good]  # no stock column: nothing in stock yet
    entries: list[Product | str] = list(good)
    for _ in range(draw(st.integers(min_value=0 if good else 1, max_value=3))):
        entries.insert(draw(st.integers(min_value=0, max_value=len(entries))),
                       draw(st.sampled_from(sorted(BAD_ROWS))))
    lines = [layout.delimiter.join(header_of(c, layout) for c in cols)]
    expected: dict[int, Product | str] = {}
    template = draw(products)
    for entry in entries:
        for _ in range(draw(st.integers(min_value=0, max_value=1))):
            lines.append(draw(st.sampled_from(["", layout.delimiter * (len(cols) - 1)])))  # blank lines count too
        product = entry if isinstance(entry, Product) else template
        cells = {c: cell_of(c, product, layout) for c in cols}
        if isinstance(entry, str):
            cells = BAD_ROWS[entry](cells, cols)
        lines.append(row_text([cells[c] for c in cols], layout.delimiter))
        expected[len(lines)] = entry
    text = layout.newline.join(lines) + layout.newline
    data = text if layout.encoding is None else text.encode(layout.encoding)
    return data, expected


@FILES
@given(files())
def test_every_row_comes_back_at_its_line_with_its_values_or_is_rejected_there(file):
    data, expected = file
    report = read_product_csv(data)
    imported = {row.line: row for row in report.rows}
    rejected = {row.line: row.reason for row in report.rejected}
    assert sorted(imported) == sorted(line for line, e in expected.items() if isinstance(e, Product))
    assert sorted(rejected) == sorted(line for line, e in expected.items() if isinstance(e, str)), rejected
    for line, row in imported.items():
        product = expected[line]
        assert (row.draft, row.stock) == (expected_draft(product), product.stock)
    assert all(reason.strip() for reason in rejected.values())


def spelled_otherwise(text: str, how: int) -> str:
    """The same words as another person types them: case, spacing, umlauts."""
    if how % 5 == 4 and re.search("[äöü][eé]", text, re.IGNORECASE):
        # search.fold reads "äe" as "a" but "aee" as "ae" (a limit of folding digraphs); not the import's business.
        how = 0
    return [text.upper(), f"  {text} ", text.replace(" ", "   "), text.lower(),
            text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")][how % 5]


@FILES
@given(st.lists(products, min_size=1, max_size=4, unique_by=lambda p: listing_key(p.name, p.unit)),
       st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=4)), min_size=1, max_size=3),
       st.sets(st.integers(min_value=0, max_value=3), max_size=2))
def test_a_product_is_listed_once_however_it_is_spelled(first, repeats, already_listed):
    layout = Layout(True, "as is", "", "", "", True, False, tuple(range(len(COLUMNS))), ";", "\n", "utf-8")
    cols = columns_of(layout)
    again = [first[i % len(first)] for i, _ in repeats]
    rows = list(first) + [Product(spelled_otherwise(p.name, how), spelled_otherwise(p.unit, how + 1),
                                  *(getattr(p, f) for f in ("price_cents", "vat_rate_bp", "weight_g", "volume_ml",
                                                            "stock", "category", "temperature", "description",
                                                            "style")))
                          for p, (_, how) in zip(again, repeats)]
    existing = {listing_key(first[i].name, first[i].unit): f"p-{i}" for i in already_listed if i < len(first)}
    text = "\n".join([";".join(header_of(c, layout) for c in cols)]
                     + [row_text([cell_of(c, p, layout) for c in cols], ";") for p in rows])
    report = read_product_csv(text, existing=existing)
    reasons = {row.line: row.reason for row in report.rejected}
    for index, p in enumerate(rows):
        line = index + 2
        original = index if index < len(first) else first.index(again[index - len(first)])
        if listing_key(first[original].name, first[original].unit) in existing:
            assert f"p-{original}" in reasons[line], "a product listed before is changed there, not listed again"
        elif index >= len(first):
            assert f"Zeile {original + 2}" in reasons[line], "a repeated row names the row it repeats"
        else:
            assert line not in reasons
    assert len(report.rows) == len(first) - len(existing)


raw_rows = st.text(st.sampled_from(list("0123456789,.;\"\n\r\t €kgml-+ aäßx%\x00")), max_size=80)


@FAST
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200),
                 raw_rows.map(lambda rows: "Name;Einheit;Preis;MwSt;Gewicht;Volumen;Bestand\n" + rows),
                 raw_rows.map(lambda rows: ("name,unit,price,vat,weight_g,volume_ml\n" + rows).encode("cp1252",
                                                                                                      "replace"))))
def test_any_upload_gets_a_report_or_says_why_the_file_cannot_be_read(data):
    try:
        report = read_product_csv(data)
    except ImportFileError as exc:
        assert str(exc)
        return
    lines = [r.line for r in report.rows] + [r.line for r in report.rejected]
    assert len(lines) == len(set(lines)) and all(line >= 1 for line in lines)
    # Whatever came in, what is imported keeps the rules of every listing.
    assert all(row.draft.checked() == row.draft and 0 <= row.stock <= MAX_LEVEL for row in report.rows)


# -- the amounts in the cells ------------------------------------------------------------------
@FAST
@given(st.integers(min_value=1, max_value=MAX_PRICE_CENTS))
def test_a_price_reads_back_in_every_notation(cents):
    euros, rest = divmod(cents, 100)
    for text in (format_euro(cents), f"{euros},{rest:02d}", f"{euros:,}.{rest:02d}", f"EUR {euros}.{rest:02d}",
                 f"{euros},{rest:02d} €", f"{euros}.{rest:02d}0"):
        assert parse_price_cents(text) == cents, text


@FAST
@given(st.integers(min_value=0, max_value=MAX_PRICE_CENTS), st.integers(min_value=1, max_value=9))
def test_a_price_with_a_third_decimal_is_refused_not_guessed(cents, third):
    euros, rest = divmod(cents, 100)
    with pytest.raises(AmountError):
        parse_price_cents(f"{euros},{rest:02d}{third}")


@FAST
@given(st.integers(min_value=MAX_PRICE_CENTS + 1, max_value=100 * MAX_PRICE_CENTS) | st.integers(max_value=0))
def test_a_price_that_is_not_positive_or_implausibly_high_is_refused(cents):
    with pytest.raises(AmountError):
        parse_price_cents(format_euro(cents))


@FAST
@given(st.text(max_size=12) | st.decimals(min_value=-100, max_value=100, places=3).map(str))
def test_a_vat_rate_that_reads_is_a_german_one(text):
    try:
        assert parse_vat_rate_bp(text) in VAT_RATES_BP
    except AmountError:
        pass


@FAST
@given(st.integers(min_value=0, max_value=10 ** 9))
def test_whole_units_read_back_and_negative_or_broken_ones_are_refused(n):
    assert parse_units(str(n)) == n == parse_units(f"{n},0")
    for bad in (f"-{n + 1}", f"{n},5"):
        with pytest.raises(AmountError):
            parse_units(bad)


@FAST
@given(st.integers(min_value=1, max_value=10 ** 7))
def test_grams_and_millilitres_are_the_same_in_every_unit(n):
    kilo, rest = divmod(n, 1000)
    assert parse_weight_g(str(n)) == parse_weight_g(f"{n} g") == parse_weight_g(f"{kilo},{rest:03d} kg") == n
    assert parse_volume_ml(str(n)) == parse_volume_ml(f"{n} ml") == parse_volume_ml(f"{kilo}.{rest:03d} l") == n


@FAST
@example("0,4")
@given(st.decimals(min_value=0, max_value=5, places=3).map(lambda d: str(d).replace(".", ","))
       .flatmap(lambda n: st.sampled_from([n, f"{n} g", f"{n} ml"])))
def test_a_weight_or_volume_that_reads_is_positive(text):
    for parse in (parse_weight_g, parse_volume_ml):
        try:
            assert parse(text) > 0, f"{parse.__name__}({text!r})"
        except AmountError:
            pass
