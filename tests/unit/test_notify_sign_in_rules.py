"""Sign-in with a one-time code, its pure rules (`services/notify/domain/sign_in.py`):
addresses normalised and masked, codes made, hashed and compared, the caller a
limit binds, the windows, and the message that carries the code."""

from __future__ import annotations

import pytest

from nahnetz.kit.errors import Unprocessable
from services.notify.domain import sign_in as rules
from services.notify.domain.contacts import Contact
from services.notify.domain.templates import render

KEY = b"unit-test-secret"


@pytest.mark.parametrize("spelled", ["0171 1234567", "0171/1234567", "+49 171 1234567", "0049 171 1234567",
                                     "  0171  1234567 "])
def test_a_german_phone_number_in_any_spelling_is_one_address(spelled):
    assert rules.normalise_address(spelled) == rules.Address("phone", "+491711234567")
    assert rules.normalise_address(spelled).channel == "SMS"


def test_an_email_address_is_checked_and_lower_cased():
    address = rules.normalise_address(" Erna.Beispiel@Example.ORG ")
    assert address == rules.Address("email", "erna.beispiel@example.org") and address.channel == "EMAIL"


@pytest.mark.parametrize("text, says", [
    ("", "Bitte Telefonnummer oder E-Mail-Adresse angeben"),
    ("12", "neither a valid phone number nor an e-mail address"),
    ("0171 12", "weder eine gültige Telefonnummer"),
    ("hallo", "neither a valid phone number"),
    ("erna@", "not a valid e-mail address"),
    ("erna@@example.org", "keine gültige E-Mail-Adresse"),
])
def test_what_is_no_address_is_a_422_in_german_and_english(text, says):
    with pytest.raises(rules.InvalidAddress) as refused:
        rules.normalise_address(text)
    assert refused.value.status_code == 422 and says in refused.value.message
    assert isinstance(refused.value, Unprocessable)


def test_addresses_are_shown_masked():
    assert rules.normalise_address("0171 1234567").masked == "+49 171 •••• 67"
    assert rules.normalise_address("05271 9630").masked == "+49 52 •••• 30"
    assert rules.normalise_address("+43 664 1234567").masked == "+43 664 •••• 67"
    assert rules.normalise_address("anna@example.org").masked == "a•••@example.org"
    assert "1234567" not in rules.normalise_address("0171 1234567").masked


def test_codes_are_six_digits_and_vary():
    codes = {rules.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_only_a_keyed_hash_is_kept_and_it_is_bound_to_the_address():
    stored = rules.code_hash(KEY, "+491711234567", "123456")
    assert "123456" not in stored and len(stored) == 64
    assert rules.code_matches(KEY, "+491711234567", "123456", stored)
    assert not rules.code_matches(KEY, "+491711234567", "123457", stored)
    assert not rules.code_matches(KEY, "+491711234568", "123456", stored), "another address"
    assert not rules.code_matches(b"another-secret", "+491711234567", "123456", stored)


def test_a_typed_code_may_have_spaces_but_must_be_six_digits():
    assert rules.normalise_code(" 123 456 ") == "123456"
    assert rules.normalise_code("123-456") == "123456"
    for bad in ("12345", "1234567", "12a456", ""):
        with pytest.raises(Unprocessable, match="6 Ziffern"):
            rules.normalise_code(bad)


def test_new_residents_and_unknown_recipients_get_ids_that_show_no_address():
    assert rules.new_resident_id().startswith("res-") and rules.new_resident_id() != rules.new_resident_id()
    pseudonym = rules.pseudonym(KEY, "+491711234567")
    assert pseudonym == rules.pseudonym(KEY, "+491711234567") and "1711234567" not in pseudonym


def test_the_limits_bind_the_forwarded_caller_only_behind_a_trusted_proxy():
    assert rules.client_address("127.0.0.1", "203.0.113.5, 10.0.0.1") == "203.0.113.5"
    assert rules.client_address("::1", "2001:db8::1") == "2001:db8::1"
    assert rules.client_address("198.51.100.7", "203.0.113.5") == "198.51.100.7", "not believed from anyone"
    assert rules.client_address("127.0.0.1", None) == "127.0.0.1"
    assert rules.client_address("127.0.0.1", "testclient") == "testclient", "as the proxy names it"
    assert rules.client_address("127.0.0.1", " , 203.0.113.5") == "127.0.0.1", "an empty entry names nobody"
    assert rules.client_address("127.0.0.1", "2001:DB8:0::1") == "2001:db8::1", "one way of writing it"
    proxies = rules.networks("10.0.0.0/8, 192.168.1.5")
    assert rules.client_address("10.1.2.3", "203.0.113.5", proxies) == "203.0.113.5"
    assert rules.client_address("192.168.1.6", "203.0.113.5", proxies) == "192.168.1.6"


def test_a_limit_refuses_the_request_that_passes_it_with_retry_after():
    window = rules.window_of(3600 * 10 + 1000, rules.HOUR_S)
    assert window.retry_after == 2600
    rules.check_limit(10, 10, window, "Zu viele", "Too many")
    with pytest.raises(rules.TooManyRequests) as refused:
        rules.check_limit(11, 10, window, "Zu viele", "Too many")
    assert refused.value.status_code == 429 and refused.value.headers == {"Retry-After": "2600"}
    assert "Zu viele" in refused.value.message and "Too many" in refused.value.message
    assert rules.window_of(7199.5, 3600).retry_after == 1


def test_a_wrong_code_says_so_in_both_languages():
    assert rules.WrongCode(rules.WRONG_OR_EXPIRED).status_code == 422
    assert rules.WrongCode(rules.WRONG_OR_EXPIRED).code == "wrong_code"
    assert "stimmt nicht oder ist abgelaufen" in rules.WRONG_OR_EXPIRED
    assert "wrong or has expired" in rules.WRONG_OR_EXPIRED
    assert "neuen" in rules.VOID and "new one" in rules.VOID


def test_the_message_carries_the_code_in_both_languages():
    params = rules.message_params("042917")
    german = render(rules.TEMPLATE, "de", params)
    assert german.text.startswith("Ihr Nahnetz-Anmeldecode: 042917 (gültig 10 Minuten).")
    assert german.alternative_text.startswith("Your Nahnetz sign-in code: 042917 (valid for 10 minutes).")
    assert render(rules.TEMPLATE, "en", params).text.startswith("Your Nahnetz sign-in code: 042917")


def test_the_address_index_has_what_a_person_can_sign_in_with():
    contact = Contact("r-1", "SMS", phone="0171 1234567", email="Erna@Example.org")
    assert rules.addresses_of(contact) == {"+491711234567", "erna@example.org"}
    assert rules.addresses_of(Contact("r-2", "LETTER", postal_address="Erna\nMarktstr. 1")) == set()
    assert rules.addresses_of(Contact("r-3", "SMS", phone="12")) == set(), "what does not parse"
    assert rules.addresses_of(None) == set()


def test_details_staff_or_a_shop_gave_for_themself_sign_nobody_in_as_a_resident():
    assert rules.signs_in_as_resident("res-1", "res-1", "RESIDENT", None)
    assert rules.signs_in_as_resident("res-1", "op-1", "OPERATOR", "res-1"), "recorded for someone"
    assert rules.signs_in_as_resident("res-1", None, None, None), "published without an actor"
    assert not rules.signs_in_as_resident("op-1", "op-1", "OPERATOR", None)
    assert not rules.signs_in_as_resident("driver-1", "driver-1", "DRIVER", None)


def test_the_name_is_the_first_line_of_the_envelope():
    assert rules.name_of(Contact("r-1", "LETTER", postal_address="Erna Beispiel\nMarktstr. 1")) == "Erna Beispiel"
    assert rules.name_of(Contact("r-1", "SMS", phone="+491711234567")) is None
    assert rules.name_of(None) is None
