"""HTTP routes of sign-in with a one-time code: residents sign in with their phone
number or e-mail address and a code sent there (`handlers/sign_in.py`).

Public, like a login form: the web front calls them server to server and passes
the browser's address in `X-Forwarded-For`, which names the caller the limits
bind when the direct peer is loopback or a NOTIFY_TRUSTED_PROXIES proxy (else
the peer itself is the caller). The answer to a code request is the same for a
known and an unknown address, so it tells nobody whether someone is a resident.
The session itself is the web front's: this API only says who the code proves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from nahnetz.kit.api import RedisDep, SettingsDep, from_state
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.publishing import ProducerDep

from .domain import sign_in as rules
from .handlers import sign_in
from .http_models import CodeAnswerIn, CodeRequestIn, CodeSentOut, SignedInOut
from .settings import NotifySettings

NotifySettingsDep = Annotated[NotifySettings, Depends(from_state("notify"))]
FORWARDED_FOR = Header(None, alias="X-Forwarded-For", description=(
    "The browser's address, set by the web front: believed only from loopback or NOTIFY_TRUSTED_PROXIES"))


def _client(request: Request, forwarded_for: str | None, notify: NotifySettings) -> str:
    peer = request.client.host if request.client else None
    return rules.client_address(peer, forwarded_for, rules.networks(notify.trusted_proxies))


def sign_in_router() -> APIRouter:
    router = APIRouter(prefix="/v1/sign-in", tags=["sign-in"])

    @router.post("/codes", status_code=202, response_model=CodeSentOut, responses={202: {
        "description": "The code is on its way (the notify worker sends it within seconds); the same answer "
                       "for an address nobody has given yet"}, **error_responses(
        (rules.InvalidAddress, "Neither a phone number nor an e-mail address (German and English message)"),
        (429, "Too many code requests from this caller (10 an hour), or to this address (5 an hour); "
              "wait Retry-After seconds"))})
    async def request_code(body: CodeRequestIn, request: Request, redis: RedisDep, producer: ProducerDep,
                           settings: SettingsDep, notify: NotifySettingsDep,
                           forwarded_for: str | None = FORWARDED_FOR) -> CodeSentOut:
        """Send a one-time sign-in code to a phone number (SMS) or e-mail address.

        The code is valid for 10 minutes and once; a new request replaces the previous
        code. At most 10 requests an hour per caller, and at most 5 codes an hour to one
        address (each SMS costs money, and nobody should be flooded with codes): 429 with
        Retry-After. An address nobody has given yet gets a code too: verifying it makes
        a new resident."""
        sent = await sign_in.request_code(body.address, body.language, _client(request, forwarded_for, notify),
                                          redis=redis, producer=producer, key=settings.jwt_secret.encode())
        return CodeSentOut(sent_to=sent.sent_to, expires_in_s=sent.expires_in_s)

    @router.post("/verify", response_model=SignedInOut, responses=error_responses(
        (rules.InvalidAddress, "Neither a phone number nor an e-mail address"),
        (rules.WrongCode, "The code is wrong or has expired (or was used, or is void after 5 wrong tries)"),
        (429, "Too many wrong codes from this caller (20 in 15 minutes); wait Retry-After seconds")))
    async def verify(body: CodeAnswerIn, request: Request, redis: RedisDep, producer: ProducerDep,
                     settings: SettingsDep, notify: NotifySettingsDep,
                     forwarded_for: str | None = FORWARDED_FOR) -> SignedInOut:
        """Check a code: the resident it signs in (`new` when the address made a new resident).

        A right code works once. After 5 wrong tries the code is void; a new one can be
        asked for at once (never a lasting lock)."""
        who = await sign_in.verify_code(body.address, body.code, _client(request, forwarded_for, notify),
                                        redis=redis, producer=producer, key=settings.jwt_secret.encode())
        return SignedInOut(resident_id=who.resident_id, name=who.name, new=who.new)

    return router
