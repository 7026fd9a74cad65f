"""HTTP routes of notify: how a person wants to be told things. Each person sets
their own details (`/v1/me/contact`); an assistant or operator records them for
someone on the phone or at the counter (`/v1/contacts/{recipient_id}`, recorded as
on_behalf_of), and finds a caller by the phone number or e-mail address they give
(`/v1/contacts?address=`). Writes are events on notify.contacts (202); the worker projects
them, so a read right after a write may still show the earlier details.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nahnetz.events import Actor, new_event
from nahnetz.kit.api import RedisDep
from nahnetz.kit.auth import CurrentUser, Role, User, require_roles
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.lookup import found_or_404
from nahnetz.kit.publishing import ProducerDep, publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import ContactDetailsErased, ContactDetailsSet

from . import queries
from .domain.sign_in import InvalidAddress
from .http_models import ContactIn

API = "notify-api"
Staff = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]
NONE_YET = (404, "No contact details (yet: a write shows here once the worker has applied it)")


async def _set(recipient_id: str, body: ContactIn, actor: Actor, producer: EventProducer, path: str) -> dict:
    event = new_event(ContactDetailsSet, producer=API, actor=actor, recipient_id=recipient_id,
                      preferred_channel=body.preferred_channel, language=body.language, phone=body.phone,
                      email=body.email, postal_address=body.address_text, consent_text=body.consent_text)
    await publish(producer, event)
    return {"recipient_id": recipient_id, "status": "accepted", "event_id": event.event_id, "status_url": path}


async def _erase(recipient_id: str, actor: Actor, producer: EventProducer, path: str) -> dict:
    event = new_event(ContactDetailsErased, producer=API, actor=actor, recipient_id=recipient_id)
    await publish(producer, event)
    return {"recipient_id": recipient_id, "status": "accepted", "event_id": event.event_id, "status_url": path}


def contacts_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["contact details"])

    @router.get("/me/contact", responses=error_responses(NONE_YET))
    async def my_contact(user: CurrentUser, redis: RedisDep) -> dict:
        return found_or_404(await queries.contact_view(redis, user.sub), "no contact details given")

    @router.put("/me/contact", status_code=202)
    async def set_my_contact(body: ContactIn, user: CurrentUser, producer: ProducerDep) -> dict:
        """Give (or change) how messages reach you, with your consent."""
        return await _set(user.sub, body, user.actor(), producer, "/v1/me/contact")

    @router.delete("/me/contact", status_code=202)
    async def erase_my_contact(user: CurrentUser, producer: ProducerDep) -> dict:
        """Withdraw consent: your details are deleted; messages go nowhere personal any more."""
        return await _erase(user.sub, user.actor(), producer, "/v1/me/contact")

    @router.get("/contacts", responses=error_responses(
        (InvalidAddress, "Neither a phone number nor an e-mail address (German and English message)"),
        (404, "Nobody's contact details have this phone number or e-mail address")))
    async def find_contact(user: Staff, redis: RedisDep, address: Annotated[str, Query(
            max_length=200, description="A phone number (any German spelling, or international with +) "
                                        "or an e-mail address")]) -> dict:
        """Whose details have this phone number or e-mail address: an assistant finds the
        resident who calls or stands at the counter. Only details a resident gave, or an
        assistant recorded for them, are found (as for signing in)."""
        return found_or_404(await queries.contact_by_address(redis, address),
                            "Niemand hat diese Telefonnummer oder E-Mail-Adresse angegeben. "
                            "Nobody has given this phone number or e-mail address.")

    @router.get("/contacts/{recipient_id}", responses=error_responses(NONE_YET))
    async def get_contact(recipient_id: str, user: Staff, redis: RedisDep) -> dict:
        return found_or_404(await queries.contact_view(redis, recipient_id),
                            f"no contact details of {recipient_id}")

    @router.put("/contacts/{recipient_id}", status_code=202)
    async def set_contact(recipient_id: str, body: ContactIn, user: Staff, producer: ProducerDep) -> dict:
        """Record someone's details for them (on the phone, at the counter), with their consent."""
        return await _set(recipient_id, body, user.actor(on_behalf_of=recipient_id), producer,
                          f"/v1/contacts/{recipient_id}")

    @router.delete("/contacts/{recipient_id}", status_code=202)
    async def erase_contact(recipient_id: str, user: Staff, producer: ProducerDep) -> dict:
        return await _erase(recipient_id, user.actor(on_behalf_of=recipient_id), producer,
                            f"/v1/contacts/{recipient_id}")

    return router
