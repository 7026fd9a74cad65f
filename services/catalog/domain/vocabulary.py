"""The words shops use for shelves and cold chain, in German and English,
mapped to the symbols of the event contracts (ProductCategory, TemperatureClass)."""

from __future__ import annotations

from .search import fold

CATEGORIES = ("FRUIT_VEGETABLES", "BREAD_BAKERY", "DAIRY_EGGS", "MEAT_SAUSAGE", "FISH", "FROZEN",
              "PANTRY", "BEVERAGES", "SWEETS_SNACKS", "HOUSEHOLD", "DRUGSTORE", "PLANTS_FLOWERS", "OTHER")
TEMPERATURE_CLASSES = ("AMBIENT", "CHILLED", "FROZEN")

_CATEGORY_WORDS = {
    "FRUIT_VEGETABLES": ["obst", "gemüse", "obst & gemüse", "obst und gemüse", "obst/gemüse",
                         "fruit", "vegetables", "fruit & vegetables", "fruit and vegetables", "produce"],
    "BREAD_BAKERY": ["brot", "backwaren", "brot & backwaren", "brot und backwaren", "bäckerei",
                     "bread", "bakery", "bread & bakery"],
    "DAIRY_EGGS": ["milch", "milchprodukte", "molkerei", "käse", "eier", "milch & eier", "milch und eier",
                   "molkereiprodukte", "dairy", "eggs", "dairy & eggs", "dairy and eggs", "cheese"],
    "MEAT_SAUSAGE": ["fleisch", "wurst", "fleisch & wurst", "fleisch und wurst", "wurstwaren",
                     "fleischwaren", "meat", "sausage", "meat & sausage", "meat and sausage"],
    "FISH": ["fisch", "fish", "seafood"],
    "FROZEN": ["tiefkühl", "tiefkühlkost", "tk", "tiefkühlware", "frozen", "frozen food"],
    "PANTRY": ["vorrat", "vorräte", "grundnahrungsmittel", "konserven", "trockenware", "kolonialwaren",
               "pantry", "groceries", "dry goods"],
    "BEVERAGES": ["getränke", "getraenke", "säfte", "bier", "wein", "beverages", "drinks"],
    "SWEETS_SNACKS": ["süßwaren", "süßes", "snacks", "süßigkeiten", "knabbereien", "sweets",
                      "sweets & snacks", "sweets and snacks", "confectionery"],
    "HOUSEHOLD": ["haushalt", "haushaltswaren", "household"],
    "DRUGSTORE": ["drogerie", "drogeriewaren", "hygiene", "drugstore", "toiletries"],
    "PLANTS_FLOWERS": ["pflanzen", "blumen", "pflanzen & blumen", "pflanzen und blumen", "garten",
                       "plants", "flowers", "plants & flowers"],
    "OTHER": ["sonstiges", "sonstige", "andere", "other", "misc"],
}
_TEMPERATURE_WORDS = {
    "AMBIENT": ["ungekühlt", "ungekuehlt", "raumtemperatur", "trocken", "normal", "ambient", "room temperature",
                "dry"],
    "CHILLED": ["gekühlt", "gekuehlt", "kühl", "kühlware", "kühlschrank", "chilled", "cold", "refrigerated"],
    "FROZEN": ["tiefgekühlt", "tiefgekuehlt", "tiefkühl", "tk", "gefroren", "frozen"],
}


# The word a German spreadsheet shows for each symbol (and reads back, see above).
CATEGORY_LABELS_DE = {
    "FRUIT_VEGETABLES": "Obst & Gemüse", "BREAD_BAKERY": "Brot & Backwaren", "DAIRY_EGGS": "Milch & Eier",
    "MEAT_SAUSAGE": "Fleisch & Wurst", "FISH": "Fisch", "FROZEN": "Tiefkühlkost", "PANTRY": "Vorrat",
    "BEVERAGES": "Getränke", "SWEETS_SNACKS": "Süßwaren", "HOUSEHOLD": "Haushalt", "DRUGSTORE": "Drogerie",
    "PLANTS_FLOWERS": "Pflanzen & Blumen", "OTHER": "Sonstiges",
}
TEMPERATURE_LABELS_DE = {"AMBIENT": "ungekühlt", "CHILLED": "gekühlt", "FROZEN": "tiefgekühlt"}


def _index(words: dict[str, list[str]]) -> dict[str, str]:
    index = {}
    for symbol, names in words.items():
        for name in [symbol, symbol.replace("_", " "), *names]:
            index[_key(name)] = symbol
    return index


def _key(word: str) -> str:
    # "Obst & Gemüse", "obst/gemuese" and "OBST UND GEMÜSE" are the same shelf.
    return " ".join(fold(word).replace("&", " und ").replace("/", " und ").replace(" and ", " und ").split())


_CATEGORY_INDEX = _index(_CATEGORY_WORDS)
_TEMPERATURE_INDEX = _index(_TEMPERATURE_WORDS)


class UnknownWord(ValueError):
    """A category or temperature class nobody has a symbol for."""


def parse_category(text: str | None) -> str:
    """'Milch & Eier', 'dairy', 'DAIRY_EGGS' -> 'DAIRY_EGGS'; empty -> 'OTHER'."""
    return _symbol(text, _CATEGORY_INDEX, "OTHER", f"unbekannte Kategorie {text!r} (unknown category)")


def parse_temperature(text: str | None) -> str:
    """'ungekühlt' -> AMBIENT, 'gekühlt' -> CHILLED, 'tiefgekühlt' -> FROZEN; empty -> AMBIENT."""
    return _symbol(text, _TEMPERATURE_INDEX, "AMBIENT",
                   f"unbekannte Temperatur {text!r} (use ungekühlt, gekühlt, tiefgekühlt)")


def _symbol(text: str | None, index: dict[str, str], empty: str, unknown: str) -> str:
    """The symbol `text` names in `index`; `empty` for no text; UnknownWord(`unknown`) otherwise."""
    if text is None or not str(text).strip():
        return empty
    found = index.get(_key(str(text)))
    if found is None:
        raise UnknownWord(unknown)
    return found
