"""Notification templates, German with English (services/notify/domain/templates.py)."""

from __future__ import annotations

import pytest

from services.notify.domain.templates import TEMPLATES, MissingParameter, UnknownTemplate, render

ORDER = {"order_id": "o-1", "order_ref": "3F2A9C1E", "delivery_day": "13.05.2026",
         "pickup_point": "Pick-up-Point HX Brakel Marktplatz", "total": "15,30 €"}


def test_order_confirmed_in_german_with_the_english_alternative():
    rendered = render("order_confirmed", "de", ORDER)
    assert rendered.subject == "Bestellung 3F2A9C1E bestätigt"
    assert rendered.text == ("Ihre Bestellung 3F2A9C1E ist bestätigt. Lieferung am 13.05.2026 an "
                             "Pick-up-Point HX Brakel Marktplatz. Gesamtbetrag: 15,30 €.")
    assert rendered.alternative_language == "en"
    assert rendered.alternative_text == ("Your order 3F2A9C1E is confirmed. Delivery on 13.05.2026 to "
                                         "Pick-up-Point HX Brakel Marktplatz. Total: 15,30 €.")


def test_english_first_when_asked_and_german_for_an_unknown_language():
    assert render("order_confirmed", "en", ORDER).subject == "Order 3F2A9C1E confirmed"
    assert render("order_confirmed", "en", ORDER).alternative_language == "de"
    assert render("order_confirmed", "fr", ORDER).language == "de"


def test_optional_parts_disappear_without_their_params():
    rendered = render("order_confirmed", "de", {"order_ref": "X1", "delivery_day": "13.05.2026"})
    assert rendered.text == "Ihre Bestellung X1 ist bestätigt. Lieferung am 13.05.2026."
    assert render("order_confirmed", "de", {**ORDER, "total": ""}).text.endswith("Marktplatz.")


def test_a_rejection_explains_the_reason_in_each_language():
    params = {**ORDER, "reason": "OUT_OF_STOCK", "lines": "Ziegenkäse (1)"}
    rendered = render("order_rejected", "de", params)
    assert rendered.text == ("Ihre Bestellung 3F2A9C1E konnte leider nicht angenommen werden (nicht genug vorrätig). "
                             "Betroffen: Ziegenkäse (1). Es wurde nichts berechnet.")
    assert "(not enough in stock)" in rendered.alternative_text
    assert "(keine rechtzeitige Rückmeldung der Läden)" in render(
        "order_rejected", "de", {**ORDER, "reason": "TIMEOUT"}).text


def test_a_rejection_for_lack_of_room_names_what_would_work_instead_in_each_language():
    params = {**ORDER, "reason": "NO_COMPARTMENT", "alternative": "Brakel Bahnhof am 13.05.2026",
              "alternative_en": "Brakel Bahnhof on 13 May 2026"}
    rendered = render("order_rejected", "de", params)
    assert "Möglich wäre stattdessen: Brakel Bahnhof am 13.05.2026; das übernehmen Sie mit einem Schritt" in rendered.text
    assert "Possible instead: Brakel Bahnhof on 13 May 2026; take it in one step" in rendered.alternative_text


def test_parcel_ready_carries_the_pin_and_accepts_the_hyphenated_name():
    rendered = render("parcel-ready", "de", {"pin": "482913", "pickup_point": "Brakel Markt",
                                             "collect_by": "16.05.2026 18:00"})
    assert rendered.template == "parcel_ready"
    assert rendered.text == "Ihre Bestellung liegt bereit in Brakel Markt. Abholcode: 482913. Abholbar bis 16.05.2026 18:00."
    with pytest.raises(MissingParameter, match="template parcel_ready needs the param.s. pin"):
        render("parcel_ready", "de", {"pickup_point": "Brakel Markt"})


def test_order_ready_and_expired_and_the_operator_alert():
    ready = render("order_ready", "de", {**ORDER, "compartments": "AM01", "collect_by": "16.05.2026 18:00"})
    assert "(Fach AM01)" in ready.text and "bis 16.05.2026 18:00" in ready.text
    assert "Abholcode erhalten Sie in einer eigenen Nachricht" in ready.text
    assert "gehen an die Läden zurück" in render("order_expired", "de", ORDER).text
    locked = render("pickup_code_locked", "en", {"order_id": "o-1", "failed_attempts": "5"})
    assert locked.text == ("The pick-up code of order o-1 was locked after 5 failed attempts. "
                           "Please help the customer.")


def test_unknown_template_and_missing_required_param():
    with pytest.raises(UnknownTemplate, match="there is no template 'welcome'"):
        render("welcome", "de", {})
    with pytest.raises(MissingParameter, match="order_ref"):
        render("order_confirmed", "de", {"delivery_day": "13.05.2026"})


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_has_both_languages_with_the_same_params(name):
    texts = TEMPLATES[name].texts
    assert set(texts) == {"de", "en"}
    import string
    fields = {lang: {f for part in (t.subject, t.body) for _, f, _, _ in string.Formatter().parse(
        part.replace("[[", "").replace("]]", "")) if f} for lang, t in texts.items()}
    assert fields["de"] == fields["en"]


def test_a_template_we_do_not_know_is_sent_with_the_text_the_requester_gave():
    rendered = render("pickup-code-reminder", "de", {"text_de": "Bitte {nicht} vergessen [[x]].",
                                                     "text_en": "Please do not forget.", "subject_en": "Reminder"})
    assert (rendered.template, rendered.subject, rendered.text) == (
        "pickup_code_reminder", "Reminder", "Bitte {nicht} vergessen [[x]].")
    assert rendered.alternative_text == "Please do not forget."
    only_english = render("x", "de", {"text_en": "Hello"})
    assert only_english.text == only_english.alternative_text == "Hello"


def test_the_pickup_services_notices_render():
    # As services/pickup sends them: hyphenated names, every value formatted, texts given too.
    ready = render("parcel-ready", "de", {"order_id": "o-1", "order_ref": "o-1", "pin": "482913",
                                          "pickup_point": "Brakel Markt", "compartments": "AM01",
                                          "collect_by": "Sa, 16.05.2026, 18:00 Uhr", "text_de": "...", "text_en": "..."})
    assert "Abholcode: 482913" in ready.text and "(Fach AM01)" in ready.text
    locked = render("pickup-code-locked", "de", {"order_id": "o-1", "pickup_point": "Brakel Markt",
                                                 "failed_attempts": "5"})
    assert locked.subject == "Abholcode gesperrt: o-1"
