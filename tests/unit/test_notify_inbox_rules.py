"""The inbox's pure parts: which messages are kept, and what an entry holds."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from nahnetz.events import new_event
from nahnetz.records import Language, NotificationChannel, NotificationRequested, Role
from services.notify.domain import inbox
from services.notify.domain.contacts import Contact
from services.notify.handlers.inbox import inbox_entry

PARAMS = {"order_id": "o-1", "order_ref": "o-1", "pin": "483920", "qr_payload": "NZ1:o-1:483920:sig",
          "pickup_point": "Brakel Marktplatz", "compartments": "A3", "collect_by": "Fr, 11.12.2026, 18:00 Uhr",
          "collect_by_en": "Fri 11 Dec 2026, 18:00"}


def request(template: str = "parcel-ready", params: dict | None = None, **more) -> NotificationRequested:
    return new_event(NotificationRequested, producer="pickup-worker", notification_id="parcel-ready:o-1:d-1",
                     recipient_id="res-1", recipient_role=Role.RESIDENT, channel=NotificationChannel.SMS,
                     template=template, params=PARAMS if params is None else params, **more)


def test_a_sign_in_code_is_never_kept_whatever_its_spelling():
    assert not inbox.kept("sign_in_code") and not inbox.kept("Sign-In-Code ")
    assert inbox.kept("parcel-ready") and inbox.kept("pickup_code_reissued") and inbox.kept("freight_x")
    assert inbox_entry(request("sign-in-code", {"code": "123456", "minutes": "10"}), None) is None


def test_an_entry_holds_the_params_and_the_text_in_the_person_s_language():
    event = request()
    entry = inbox_entry(event, None)
    assert entry is not None
    assert entry["notification_id"] == "parcel-ready:o-1:d-1" and entry["template"] == "parcel_ready"
    assert entry["params"] == PARAMS and entry["reference"] == "o-1" and entry["channel"] == "SMS"
    assert entry["language"] == "de" and "483920" in entry["text"] and "Abholcode" in entry["text"]
    assert entry["created_at"].endswith("Z")
    assert datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00")) == event.meta.occurred_at
    assert inbox.decoded(inbox.encoded(entry)) == entry
    english = Contact(recipient_id="res-1", preferred_channel="EMAIL", language="en", phone=None,
                      email="erna@example.org", postal_address=None)
    in_english = inbox_entry(event, english)
    assert in_english["language"] == "en" and in_english["text"].startswith("Your order o-1 is ready")
    assert "Collect by Fri 11 Dec 2026" in in_english["text"]
    assert in_english["channel"] == "EMAIL"
    assert inbox_entry(request(language=Language.en), None)["language"] == "en"


def test_a_message_that_cannot_be_rendered_is_not_kept():
    assert inbox_entry(request("welcome", {"order_id": "o-1"}), None) is None
    assert inbox_entry(request("parcel_ready", {"order_ref": "o-1"}), None) is None  # no PIN


def test_decoding_is_forgiving_and_scores_are_milliseconds():
    assert inbox.decoded(None) is None and inbox.decoded("not json") is None and inbox.decoded("[1]") is None
    assert json.loads(inbox.encoded({"b": 1, "a": "ä"})) == {"a": "ä", "b": 1}
    assert inbox.score(datetime(2026, 1, 1, tzinfo=timezone.utc)) == 1767225600000
