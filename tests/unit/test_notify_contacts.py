"""Contact details: what a person may give (checked at the edge) and how they
route each message (`services/notify/domain/contacts.py`)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notify.domain.contacts import Contact, Route, route
from services.notify.http_models import ContactIn


def contact_in(**fields) -> ContactIn:
    return ContactIn(**({"preferred_channel": "SMS", "phone": "0171 1234567", "consent": True} | fields))


def test_a_german_phone_number_in_any_spelling_becomes_e164():
    for spelled in ("0171 1234567", "0171/1234567", "+49 171 1234567", "0049 171 1234567"):
        assert contact_in(phone=spelled).phone == "+491711234567"
    assert contact_in(phone="05271 9630").phone == "+4952719630"


@pytest.mark.parametrize("fields, says", [
    ({"phone": "12"}, "phone"),
    ({"phone": "0171 12"}, "not a valid phone number"),
    ({"preferred_channel": "EMAIL", "phone": None, "email": "erna@"}, "email"),
    ({"preferred_channel": "EMAIL", "phone": None}, "EMAIL needs email"),
    ({"preferred_channel": "LETTER"}, "LETTER needs postal_address"),
    ({"preferred_channel": "LETTER", "postal_address": ["Erna", ""]}, "1 to 80 characters"),
    ({"consent": False}, "consent"),
    ({"preferred_channel": "PUSH"}, "preferred_channel"),
])
def test_what_cannot_reach_anyone_is_refused(fields, says):
    with pytest.raises(ValidationError, match=says):
        contact_in(**fields)


def test_an_address_for_letters_and_an_email_are_tidied():
    letter = contact_in(preferred_channel="LETTER", phone=None,
                        postal_address=["Erna  Beispiel", "Marktstr. 1", "37688 Beverungen"])
    assert letter.address_text == "Erna Beispiel\nMarktstr. 1\n37688 Beverungen"
    assert contact_in(preferred_channel="EMAIL", phone=None, email="Erna@Example.DE").email == "Erna@example.de"


def test_the_route_follows_the_person_s_choice():
    sms = Contact("r-1", "SMS", "en", phone="+491711234567")
    assert route("PUSH", None, "de", sms) == Route("SMS", "+491711234567", "en")
    # A requester's own address is used as given (in the person's language).
    assert route("EMAIL", "ops@example.de", "de", sms) == Route("EMAIL", "ops@example.de", "en")
    # Without details: as requested, but no letter or call nobody chose.
    assert route("PUSH", None, "de", None) == Route("PUSH", None, "de")
    assert route("LETTER", None, "de", None) == Route("OTHER", None, "de")
    assert route("PHONE_CALL", None, "en", None) == Route("OTHER", None, "en")


def test_contacts_round_trip_through_redis_records():
    contact = Contact("r-1", "LETTER", "de", postal_address="Erna\nMarktstr. 1")
    assert Contact.from_record(contact.as_record()) == contact
    assert "phone" not in contact.as_record()
