"""Text search over goods without a search server: normalised tokens and a
small inverted index (the worker writes the terms, see handlers/product_projection.py).

Normalising folds case, accents and umlauts, so "Käse", "kaese", "KASE" and
"käse" are one word: ä/ö/ü lose their dots and the spellings ae/oe/ue become
a/o/u as well (both sides are folded the same way, so "Feuer" and "feuer"
still meet as "feur"). German glues words together ("Bergkäse",
"Bauernbrot"), so a query word also finds words that contain it: a document
is indexed by its words, the first two letters of each word and every
trigram; a query word of three letters or more needs all of its trigrams,
and the candidates are then checked for the real substring.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_WORD = 2
_WORD = re.compile(r"[a-z0-9]+")
_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))
# Words that say nothing about goods; a query of only these finds everything it filters.
STOPWORDS = frozenset({
    "und", "oder", "mit", "ohne", "der", "die", "das", "den", "dem", "des", "ein", "eine", "vom", "von",
    "aus", "im", "in", "am", "zum", "zur", "fur", "the", "and", "or", "with", "of", "from", "a", "an",
})
# Where a query word was found, best first: a whole word, the start of a word, inside a word.
WHOLE, START, INSIDE = 3, 2, 1
NAME_WEIGHT = 2


def fold(text: str) -> str:
    """Lower case without accents, ß as ss, umlauts and their ae/oe/ue spellings as plain vowels."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for digraph, vowel in _DIGRAPHS:
        plain = plain.replace(digraph, vowel)
    return plain


def tokens(text: str | None) -> list[str]:
    """The words of a text, folded, in order, without stopwords and one-letter words."""
    if not text:
        return []
    return [w for w in _WORD.findall(fold(text)) if len(w) >= MIN_WORD and w not in STOPWORDS]


def trigrams(word: str) -> set[str]:
    return {word[i:i + 3] for i in range(len(word) - 2)}


def document_terms(*texts: str | None) -> set[str]:
    """The index terms of a product: `w:` whole words, `p:` two-letter starts, `t:` trigrams."""
    terms: set[str] = set()
    for text in texts:
        for word in tokens(text):
            terms.add(f"w:{word}")
            terms.add(f"p:{word[:2]}")
            terms.update(f"t:{tri}" for tri in trigrams(word))
    return terms


def query_terms(word: str) -> list[str]:
    """The terms a document must all have to possibly contain `word`."""
    if len(word) < 3:
        return [f"p:{word[:2]}"]
    return sorted(f"t:{tri}" for tri in trigrams(word))


def parse_query(q: str | None) -> list[str]:
    """The distinct query words, in order."""
    return list(dict.fromkeys(tokens(q)))


def _place(word: str, words: list[str]) -> int:
    best = 0
    for candidate in words:
        if candidate == word:
            return WHOLE
        if candidate.startswith(word):
            best = max(best, START)
        elif len(word) >= 3 and word in candidate:
            best = max(best, INSIDE)
    return best


@dataclass(frozen=True)
class Match:
    score: int


def match(query: list[str], name: str, description: str | None = None) -> Match | None:
    """How well a product matches every query word (None: some word is missing).
    A two-letter query word must start a word; longer ones may sit inside one."""
    name_words, other_words = tokens(name), tokens(description)
    score = 0
    for word in query:
        in_name = _place(word, name_words)
        found = max(in_name * NAME_WEIGHT, _place(word, other_words))
        if not found:
            return None
        score += found
    return Match(score)
