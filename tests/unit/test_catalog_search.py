"""Search tokens: folding of case, accents and umlauts; index terms; matching."""

from __future__ import annotations

import pytest

from services.catalog.domain.search import (INSIDE, NAME_WEIGHT, START, WHOLE, document_terms, fold, match,
                                            parse_query, query_terms, tokens)


@pytest.mark.parametrize("spelling", ["Käse", "käse", "KÄSE", "kaese", "Kaese", "kase", "KASE"])
def test_every_spelling_of_kaese_is_one_word(spelling):
    assert fold(spelling) == "kase"


def test_other_letters_fold_too():
    assert fold("Straße") == "strasse"
    assert fold("Crème fraîche") == "creme fraiche"
    assert fold("Öl") == fold("Oel") == "ol"
    assert fold("Müsli") == fold("Muesli") == "musli"


def test_tokens_are_folded_words_without_stopwords_and_single_letters():
    assert tokens("Bergkäse vom Hof, 200 g – mit Kümmel!") == ["bergkase", "hof", "200", "kummel"]
    assert tokens(None) == [] and tokens("") == []


def test_document_terms_are_words_two_letter_starts_and_trigrams():
    assert document_terms("Käse") == {"w:kase", "p:ka", "t:kas", "t:ase"}
    assert document_terms("Ei", None) == {"w:ei", "p:ei"}
    assert document_terms("Brot", "Brot") == document_terms("Brot")


def test_a_query_word_needs_terms_every_matching_document_has():
    for word, doc in [("kase", "Bergkäse"), ("käse", "Käsekuchen"), ("bro", "Bauernbrot"), ("ei", "Eier")]:
        [folded] = parse_query(word)
        assert set(query_terms(folded)) <= document_terms(doc), (word, doc)


def test_parse_query_keeps_distinct_words_in_order():
    assert parse_query("Käse und kaese Brot") == ["kase", "brot"]
    assert parse_query(None) == [] and parse_query("  ") == []


@pytest.mark.parametrize("query", ["käse", "kaese", "kase", "KÄSE"])
def test_kaese_is_found_however_it_is_typed(query):
    assert match(parse_query(query), "Käse aus Brakel") is not None


def test_a_word_inside_a_german_compound_is_found():
    assert match(parse_query("käse"), "Bergkäse") == match(parse_query("kaese"), "Bergkäse")
    assert match(parse_query("brot"), "Bauernbrot") is not None


def test_every_query_word_must_match():
    assert match(parse_query("käse brot"), "Bergkäse", "passt zu Brot") is not None
    assert match(parse_query("käse wurst"), "Bergkäse", "passt zu Brot") is None


def test_better_matches_score_higher_and_the_name_counts_double():
    q = parse_query("kase")
    whole, start, inside = (match(q, name).score for name in ("Käse", "Käsekuchen", "Bergkäse"))
    assert (whole, start, inside) == (WHOLE * NAME_WEIGHT, START * NAME_WEIGHT, INSIDE * NAME_WEIGHT)
    assert match(q, "Brotzeitteller", "mit Käse").score == WHOLE < whole


def test_two_letter_query_words_must_start_a_word():
    assert match(parse_query("ei"), "Eier vom Hof") is not None
    assert match(parse_query("ei"), "Bergkäse klein") is None  # "klein" holds "ei", but does not start with it
