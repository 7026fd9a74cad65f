"""A shop's product list as a CSV file, in German or English, from a web form,
a spreadsheet or typed in by an operator on the phone.

    report = read_product_csv(data, existing={("bergkase", "100 g"): "p-1"})
    report.rows      -> ImportedRow(line, draft, stock) for every good row
    report.rejected  -> RejectedRow(line, reason) for every bad one

Headers may be German (Name, Beschreibung, Kategorie, Einheit, Preis, MwSt,
Bestand, Temperatur, Gewicht, Volumen) or English (name, description, category,
unit, price, vat, stock, temperature, weight_g, volume_ml), in any order and
case, with a unit in brackets ("Gewicht (kg)", "Preis (€)"). Cells use a
decimal comma or point ("2,49", "2.49", "2,49 €"). The delimiter (`;`, `,` or
tab) is sniffed from the header line; the text may be UTF-8 (with or without
the BOM spreadsheets write) or Windows-1252, as German Excel saves it.
Line numbers are those of the file (the header is line 1), so a shop finds
the row it has to fix.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .money import (AmountError, parse_price_cents, parse_units, parse_vat_rate_bp, parse_volume_ml,
                    parse_weight_g)
from .products import ListingError, ProductDraft, check_stock
from .search import fold
from .vocabulary import UnknownWord, parse_category, parse_temperature

MAX_ROWS = 5000
DELIMITERS = ";,\t"
REQUIRED = ("name", "unit", "price", "vat", "weight", "volume")
# Names people give the columns, folded (see `_column`).
_ALIASES = {
    "name": ("name", "produkt", "produktname", "bezeichnung", "artikel", "artikelname", "product",
             "product name"),
    "description": ("description", "beschreibung", "details", "produktbeschreibung"),
    "category": ("category", "kategorie", "warengruppe"),
    "unit": ("unit", "einheit", "verkaufseinheit", "sale unit"),
    "price": ("price", "preis", "bruttopreis", "verkaufspreis", "vk", "vk preis", "gross price"),
    "vat": ("vat", "mwst", "ust", "mehrwertsteuer", "steuersatz", "vat rate", "mwst satz"),
    "stock": ("stock", "bestand", "menge", "lagerbestand", "anzahl", "verfugbar", "available"),
    "temperature": ("temperature", "temperatur", "kuhlung", "temperaturklasse", "temperature class"),
    "weight": ("weight", "gewicht"),
    "volume": ("volume", "volumen", "inhalt"),
}
_BY_ALIAS = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
_HEADER_UNITS = {"g", "kg", "ml", "l", "eur", "cents", "ct", "euro"}
# How a row's column is shown in a reason: the shop's own header.
GERMAN = {"name": "Name", "unit": "Einheit", "price": "Preis", "vat": "MwSt", "weight": "Gewicht",
          "volume": "Volumen"}
ENGLISH = {"name": "name", "unit": "unit", "price": "price", "vat": "vat", "weight": "weight_g",
           "volume": "volume_ml"}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (no header, required columns missing...)."""


@dataclass(frozen=True)
class ImportedRow:
    line: int
    draft: ProductDraft
    stock: int


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: list[ImportedRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Column:
    index: int
    header: str
    unit: str | None  # from the header, e.g. "kg" in "Gewicht (kg)"


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1252 (German Excel's "CSV")."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of the header line. Headers hold no decimal commas, so the
    sniffer sees the real separator; a one-column file has none at all."""
    try:
        return csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header_line.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ";"


def _column(header: str) -> tuple[str, str | None]:
    """'Gewicht (kg)' -> ('gewicht', 'kg'); 'weight_g' -> ('weight', 'g'); 'Preis in €' -> ('preis', 'eur')."""
    text = fold(header).replace("€", " eur ")
    unit = None
    bracket = re.search(r"[(\[]\s*([a-z%]+)\s*[)\]]", text)
    if bracket:
        unit = bracket.group(1)
        text = text[:bracket.start()] + text[bracket.end():]
    words = re.findall(r"[a-z]+", text.replace("_", " "))
    if len(words) > 1 and words[-1] in _HEADER_UNITS:
        unit = words.pop()
    if len(words) > 1 and words[-1] == "in":
        words.pop()
    return " ".join(words), unit


def _map_header(header: list[str]) -> tuple[dict[str, _Column], list[str]]:
    columns: dict[str, _Column] = {}
    ignored = []
    for index, raw in enumerate(header):
        name, unit = _column(raw)
        column = _BY_ALIAS.get(name)
        if column is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if column in columns:
            raise ImportFileError(f"die Spalte {raw.strip()!r} kommt doppelt vor "
                                  f"(column {column} appears twice: {columns[column].header!r} and {raw.strip()!r})")
        columns[column] = _Column(index, raw.strip(), unit)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        names = ", ".join(f"{GERMAN[c]}/{ENGLISH[c]}" for c in missing)
        raise ImportFileError(f"Pflichtspalten fehlen (required columns missing): {names}")
    return columns, ignored


def _price(cell: str, unit: str | None) -> int:
    if unit in ("cents", "ct"):
        return parse_units(cell, "Preis in Cent")
    return parse_price_cents(cell)


def _with_header_unit(parse: Callable[[str], int], default_units: set[str]) -> Callable[[str, str | None], int]:
    def parse_cell(cell: str, unit: str | None) -> int:
        # "Gewicht (kg)" with a bare "1,5": the header gives the unit.
        if unit and unit not in default_units and re.fullmatch(r"\s*[0-9.,]+\s*", cell):
            cell = f"{cell} {unit}"
        return parse(cell)
    return parse_cell


_weight = _with_header_unit(parse_weight_g, {"g"})
_volume = _with_header_unit(parse_volume_ml, {"ml"})


def _read_row(cells: list[str], columns: Mapping[str, _Column]) -> tuple[ProductDraft | None, int, list[str]]:
    problems: list[str] = []

    def cell(column: str) -> str:
        spec = columns.get(column)
        return cells[spec.index].strip() if spec is not None and spec.index < len(cells) else ""

    def parsed(column: str, parse: Callable[..., object], *extra: object) -> object:
        try:
            return parse(cell(column), *extra)
        except (AmountError, UnknownWord, ListingError) as exc:
            problems.append(str(exc))
            return None

    for column in ("name", "unit", "price", "vat", "weight", "volume"):
        if not cell(column):
            problems.append(f"{GERMAN[column]} fehlt ({column} is missing)")
    values = {
        "price_cents": parsed("price", _price, columns["price"].unit) if cell("price") else None,
        "vat_rate_bp": parsed("vat", parse_vat_rate_bp) if cell("vat") else None,
        "weight_g": parsed("weight", _weight, columns["weight"].unit) if cell("weight") else None,
        "volume_ml": parsed("volume", _volume, columns["volume"].unit) if cell("volume") else None,
        "category": parsed("category", parse_category),
        "temperature_class": parsed("temperature", parse_temperature),
    }
    stock = parsed("stock", parse_units) if cell("stock") else 0
    if stock is not None:
        try:
            check_stock(int(stock))
        except ListingError as exc:
            problems.append(str(exc))
    if problems:
        return None, 0, problems
    try:
        draft = ProductDraft(name=cell("name"), unit=cell("unit"), description=cell("description") or None,
                             **values).checked()  # type: ignore[arg-type]
    except ListingError as exc:
        return None, 0, [str(exc)]
    return draft, int(stock), []


def listing_key(name: str, unit: str) -> tuple[str, str]:
    """What makes two listings of one shop the same product: name and unit, folded."""
    return " ".join(fold(name).split()), " ".join(fold(unit).split())


def read_product_csv(data: bytes | str, *, existing: Mapping[tuple[str, str], str] | None = None,
                     max_rows: int = MAX_ROWS) -> ImportReport:
    """Read a product list; `existing` maps `listing_key`s of the shop's listed
    products to their ids, so a second upload does not list them twice."""
    text = decode_text(data) if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff")
    first_line = next((line for line in text.splitlines() if line.strip()), None)
    if first_line is None:
        raise ImportFileError("die Datei ist leer (the file is empty)")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    header: list[str] | None = None
    columns: dict[str, _Column] = {}
    report = ImportReport()
    seen: dict[tuple[str, str], int] = {}
    existing = existing or {}
    while True:
        line = reader.line_num + 1  # where the next record starts
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.rejected.append(RejectedRow(line, f"Zeile nicht lesbar (unreadable row): {exc}"))
            continue
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = cells
            columns, report.ignored_columns = _map_header(header)
            continue
        if len(report.rows) + len(report.rejected) >= max_rows:
            raise ImportFileError(f"mehr als {max_rows} Zeilen (more than {max_rows} rows); bitte aufteilen")
        if len(cells) > len(header):
            report.rejected.append(RejectedRow(
                line, f"{len(cells)} Spalten statt {len(header)} (too many columns); "
                      "Text mit Trennzeichen bitte in Anführungszeichen"))
            continue
        draft, stock, problems = _read_row(cells, columns)
        if draft is None:
            report.rejected.append(RejectedRow(line, "; ".join(problems)))
            continue
        key = listing_key(draft.name, draft.unit)
        if key in seen:
            report.rejected.append(RejectedRow(
                line, f"doppelt, wie Zeile {seen[key]} (duplicate of line {seen[key]})"))
            continue
        if key in existing:
            report.rejected.append(RejectedRow(
                line, f"schon gelistet als {existing[key]} (already listed; change it there)"))
            continue
        seen[key] = line
        report.rows.append(ImportedRow(line, draft, stock))
    if header is None:
        raise ImportFileError("die Datei hat keine Kopfzeile (no header line)")
    if not report.rows and not report.rejected:
        raise ImportFileError("die Datei hat keine Produktzeilen (no product rows)")
    return report
