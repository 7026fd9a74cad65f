"""A ready order's pick-up code from the resident's messages: the newest code message of the order."""

from __future__ import annotations

from services.web.domain.pickup_code import code_for


def message(template: str, order_id: str, pin: str, qr: str = "NZ1:x") -> dict:
    return {"template": template, "params": {"order_id": order_id, "pin": pin, "qr_payload": qr}}


def test_the_newest_code_message_of_the_order_wins():
    newest_first = [message("order_confirmed", "o-1", "999999"), message("parcel_ready", "o-2", "222222"),
                    message("pickup_code_reissued", "o-1", "333333", "NZ1:new"),
                    message("parcel-ready", "o-1", "111111", "NZ1:old")]
    assert code_for(newest_first, "o-1") == {"pin": "333333", "qr_payload": "NZ1:new"}
    assert code_for(newest_first[3:], "o-1") == {"pin": "111111", "qr_payload": "NZ1:old"}
    assert code_for(newest_first, "o-2") == {"pin": "222222", "qr_payload": "NZ1:x"}


def test_no_code_without_a_message_of_the_order_with_a_pin():
    assert code_for([], "o-1") is None
    assert code_for([message("parcel_ready", "o-10", "111111")], "o-1") is None
    assert code_for([message("parcel_ready", "o-1", "")], "o-1") is None
    assert code_for([{"template": "parcel_ready"}, "junk", {"template": "parcel_ready", "params": []}], "o-1") is None
    assert code_for([message("parcel_ready", "o-1", "111111", qr="")], "o-1") == {"pin": "111111", "qr_payload": ""}
