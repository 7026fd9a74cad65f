"""Sign-in with a one-time code: what the API's two routes do with Redis and the broker.

    sent = await request_code(address, "de", client, redis=..., producer=..., key=...)
    who = await verify_code(address, "123456", client, redis=..., producer=..., key=...)

A code request counts against the caller and the target address (fixed windows,
`domain/sign_in.py`), replaces the address's pending code with a new one (only
its HMAC is kept, for CODE_TTL_S), and publishes a NotificationRequested
(template `sign_in_code`) on notify.requests: the notify worker sends it like
every other message (file sink, console, SMS gateway, mail server).

A verification takes one try off the code atomically (a Lua script), so parallel
guesses cannot pass the limit of wrong tries, and a right code is deleted: it
works once. The person is whoever's contact details have the address (the
reverse index of `handlers/contacts.py`); an address nobody has given becomes a
new resident, whose ContactDetailsSet is published as PUT /v1/me/contact would.
Until the worker has projected it, `notify:sign-in:new:<address>` remembers the
new id, so a second sign-in in that moment finds the same resident.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from redis.asyncio import Redis

from nahnetz.events import Actor, new_event
from nahnetz.kit.publishing import publish
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import ContactDetailsSet, NotificationRequested, Role

from .. import keys
from ..domain import sign_in as rules
from ..domain.sign_in import Address
from .contacts import load_contact, recipient_of

log = logging.getLogger(__name__)
PRODUCER = "notify-api"
NEW_RESIDENT_REMEMBERED_S = 86400

# Take one try off the pending code; nothing when there is none. Returns [hash, tries, language].
_TRY = """
local stored = redis.call('HGET', KEYS[1], 'hash')
if not stored then return false end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
return {stored, tries, redis.call('HGET', KEYS[1], 'language') or 'de'}
"""

# scopes of the counters
CALLER_REQUESTS = "caller-requests"
ADDRESS_SENDS = "address-sends"
CALLER_WRONG = "caller-wrong"


@dataclass(frozen=True)
class CodeSent:
    sent_to: str
    expires_in_s: int
    notification_id: str


@dataclass(frozen=True)
class SignedIn:
    resident_id: str
    name: str | None
    new: bool


def _now() -> float:
    return datetime.now(timezone.utc).timestamp()


async def _count(redis: Redis, scope: str, who: str, window_s: int, limit: int, de: str, en: str,
                 now_s: float) -> None:
    window = rules.window_of(now_s, window_s)
    key = keys.sign_in_limit(scope, who, window.index)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        count, _ = await pipe.execute()
    rules.check_limit(int(count), limit, window, de, en)


async def request_code(text: str, language: str, client: str, *, redis: Redis, producer: EventProducer,
                       key: bytes, now_s: float | None = None) -> CodeSent:
    """Send a new code to the address; 422 for no address, 429 over a limit, 503 broker away."""
    now_s = _now() if now_s is None else now_s
    # Every request counts for its caller, a bad address too: each may send a message.
    await _count(redis, CALLER_REQUESTS, client, rules.HOUR_S, rules.CALLER_REQUESTS_PER_HOUR,
                 "Zu viele Code-Anforderungen von hier", "Too many code requests from here", now_s)
    address = rules.normalise_address(text)
    # SMS cost and the addressee's peace: at most a few codes an hour to one address.
    await _count(redis, ADDRESS_SENDS, address.value, rules.HOUR_S, rules.ADDRESS_SENDS_PER_HOUR,
                 "Zu viele Codes an diese Adresse", "Too many codes to this address", now_s)
    recipient = await recipient_of(redis, address.value) or rules.pseudonym(key, address.value)
    code = rules.new_code()
    notification_id = f"sign-in:{uuid.uuid4()}"
    pending = keys.sign_in_code(address.value)
    async with redis.pipeline(transaction=True) as pipe:  # replaces the previous code
        pipe.delete(pending)
        pipe.hset(pending, mapping={"hash": rules.code_hash(key, address.value, code), "tries": 0,
                                    "language": language, "notification_id": notification_id})
        pipe.expire(pending, rules.CODE_TTL_S)
        await pipe.execute()
    await publish(producer, new_event(
        NotificationRequested, producer=PRODUCER, notification_id=notification_id, recipient_id=recipient,
        recipient_role=Role.RESIDENT, channel=address.channel, address=address.value, template=rules.TEMPLATE,
        language=language, params=rules.message_params(code)))
    log.info("sign-in code sent", extra={"notification_id": notification_id, "channel": address.channel})
    return CodeSent(address.masked, rules.CODE_TTL_S, notification_id)


async def verify_code(text: str, code_text: str, client: str, *, redis: Redis, producer: EventProducer,
                      key: bytes, now_s: float | None = None) -> SignedIn:
    """The resident the code signs in; 422 wrong code or address, 429 too many wrong codes."""
    now_s = _now() if now_s is None else now_s
    window = rules.window_of(now_s, rules.WRONG_CODE_WINDOW_S)
    wrong_key = keys.sign_in_limit(CALLER_WRONG, client, window.index)
    wrong_so_far = int(await redis.get(wrong_key) or 0)
    rules.check_limit(wrong_so_far + 1, rules.CALLER_WRONG_CODES, window,
                      "Zu viele falsche Codes von hier", "Too many wrong codes from here")
    address = rules.normalise_address(text)
    code = rules.normalise_code(code_text)
    pending = keys.sign_in_code(address.value)
    tried = await redis.eval(_TRY, 1, pending)
    language = "de"
    if tried:
        stored, tries, language = tried[0], int(tried[1]), tried[2]
        if tries <= rules.MAX_WRONG_TRIES and rules.code_matches(key, address.value, code, stored):
            if await redis.delete(pending):  # works once, even for two requests at the same moment
                return await _signed_in(address, language, redis=redis, producer=producer)
        elif tries >= rules.MAX_WRONG_TRIES:
            await redis.delete(pending)
            await _count_wrong(redis, wrong_key)
            raise rules.WrongCode(rules.VOID)
    await _count_wrong(redis, wrong_key)
    raise rules.WrongCode(rules.WRONG_OR_EXPIRED)


async def _count_wrong(redis: Redis, wrong_key: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(wrong_key)
        pipe.expire(wrong_key, rules.WRONG_CODE_WINDOW_S + 1)
        await pipe.execute()


async def _signed_in(address: Address, language: str, *, redis: Redis, producer: EventProducer) -> SignedIn:
    known = await recipient_of(redis, address.value)
    if known is not None:
        return SignedIn(known, rules.name_of(await load_contact(redis, known)), new=False)
    remembered = keys.sign_in_new(address.value)
    resident_id = rules.new_resident_id()
    created = bool(await redis.set(remembered, resident_id, nx=True, ex=NEW_RESIDENT_REMEMBERED_S))
    if not created:
        resident_id = await redis.get(remembered) or resident_id
    # Published again while not projected yet (e.g. the broker was away the first time): the same details.
    await publish(producer, new_event(
        ContactDetailsSet, producer=PRODUCER, actor=Actor(resident_id, "RESIDENT"), recipient_id=resident_id,
        preferred_channel=address.channel, language=language if language in ("de", "en") else "de",
        phone=address.value if address.kind == "phone" else None,
        email=address.value if address.kind == "email" else None, consent_text=rules.consent_text(address)))
    log.info("a new resident signed in", extra={"resident_id": resident_id})
    return SignedIn(resident_id, None, new=created)
