"""Message templates, each in German (the default) and English.

A template's text names its params in braces, `{order_ref}`; a part in double
brackets, `[[ in {pickup_point}]]`, appears only when every param inside it is
given, so a requester may leave optional details out. A param outside brackets
is required: without it the message is not sent (a half-filled message about
someone's order is worse than a failure an operator sees).

Template names use underscores; `parcel-ready` and `parcel_ready` are the same.
A requester may also send the finished text itself, as params `text_de` and
`text_en` (and `subject_de`, `subject_en`): a template we do not know is then
sent with that text instead of failing. A param formatted for one language may
come once more for the other with its suffix (`collect_by` and `collect_by_en`):
each message is then wholly in its language.

| template | for | params (required / [optional]) |
|---|---|---|
| order_confirmed | resident | order_ref, delivery_day [pickup_point] [total] |
| order_rejected | resident | order_ref [reason] [lines] [alternative] |
| order_moved | resident | order_ref shop from_day to_day delivery_day [reason] [pickup_point] |
| order_ready | resident | order_ref [pickup_point] [compartments] [collect_by] |
| order_expired | resident | order_ref [pickup_point] |
| parcel_ready | resident (sent by pickup, with the PIN) | pin [order_ref] [pickup_point] [compartments] [collect_by] |
| pickup_code_locked | operator | order_id [pickup_point] [failed_attempts] [locked_until] |
| pickup_code_reissued | resident (sent by pickup, with the new PIN) | pin order_ref [pickup_point] [collect_by] |
| freight_match_proposed_sender | freight participant (a load's sender) | match_id pickup_place drop_place [load] [trip_from] [trip_to] [pickup_at] [price] [respond_by] |
| freight_match_proposed_driver | freight participant (a trip's driver) | match_id pickup_place drop_place [load] [weight_kg] [pickup_at] [price] [respond_by] |
| freight_match_agreed_sender | sender, with the hand-over code | match_id code pickup_place [load] [driver] [pickup_at] [price] |
| freight_match_agreed_driver | driver | match_id pickup_place drop_place [load] [pickup_at] [price] |
| freight_match_declined | the other side of a declined proposal | match_id [load] [pickup_place] [drop_place] |
| freight_match_lapsed | both sides of a proposal nobody answered in time | match_id [load] [pickup_place] [drop_place] |
| freight_match_overtaken | both sides: the trip had no room left when both accepted | match_id [load] |
| freight_trip_cancelled | sender whose trip was withdrawn (the load is matched again) | match_id [load] [trip_from] [trip_to] [departure] |
| freight_load_withdrawn | driver whose agreed or proposed load was withdrawn | match_id [load] [pickup_place] |
| sign_in_code | resident signing in (sent by notify's own API, to the address given) | code minutes |
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Mapping

LANGUAGES = ("de", "en")
_SECTION = re.compile(r"\[\[(.*?)\]\]", re.S)


class UnknownTemplate(LookupError):
    pass


class MissingParameter(ValueError):
    pass


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


@dataclass(frozen=True)
class Template:
    name: str
    texts: Mapping[str, Text]
    literal: bool = False  # the requester's own text: no params to fill


@dataclass(frozen=True)
class Rendered:
    template: str
    language: str
    subject: str
    text: str
    alternative_language: str
    alternative_subject: str
    alternative_text: str


# Why an order was rejected (nahnetz.orders.OrderRejectionReason), for people.
REASONS = {
    "de": {"OUT_OF_STOCK": "nicht genug vorrätig", "NO_COMPARTMENT": "kein freies Fach am Abholort",
           "TIMEOUT": "keine rechtzeitige Rückmeldung der Läden", "UNKNOWN_PRODUCT": "ein Artikel wird nicht mehr angeboten",
           "UNKNOWN_PICKUP_POINT": "der Abholort ist unbekannt",
           "DELIVERY_DAY_UNAVAILABLE": "der Liefertag ist nicht möglich", "PAYMENT_FAILED": "die Zahlung ist fehlgeschlagen",
           "INVALID_ORDER": "die Bestellung ist unvollständig", "OTHER": "ein anderer Grund",
           # why a part of an order moved to another day (nahnetz.logistics.DeliveryMoveReason)
           "SHOP_CLOSED": "der Laden hat an dem Tag geschlossen",
           "PICKUP_POINT_CLOSED": "die Abholstelle hat an dem Tag geschlossen",
           "MISSED_COLLECTION": "die Ware konnte beim Laden nicht abgeholt werden",
           "REPLANNED": "die Tour wurde umgeplant"},
    "en": {"OUT_OF_STOCK": "not enough in stock", "NO_COMPARTMENT": "no free compartment at the pick-up point",
           "TIMEOUT": "the shops did not answer in time", "UNKNOWN_PRODUCT": "an item is no longer offered",
           "UNKNOWN_PICKUP_POINT": "the pick-up point is unknown",
           "DELIVERY_DAY_UNAVAILABLE": "the delivery day is not available", "PAYMENT_FAILED": "the payment failed",
           "INVALID_ORDER": "the order is incomplete", "OTHER": "another reason",
           "SHOP_CLOSED": "the shop is closed that day", "PICKUP_POINT_CLOSED": "the pick-up point is closed that day",
           "MISSED_COLLECTION": "the goods could not be collected at the shop", "REPLANNED": "the tour was re-planned"},
}

TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("order_confirmed", {
        "de": Text("Bestellung {order_ref} bestätigt",
                   "Ihre Bestellung {order_ref} ist bestätigt. Lieferung am {delivery_day}"
                   "[[ an {pickup_point}]].[[ Gesamtbetrag: {total}.]]"),
        "en": Text("Order {order_ref} confirmed",
                   "Your order {order_ref} is confirmed. Delivery on {delivery_day}"
                   "[[ to {pickup_point}]].[[ Total: {total}.]]"),
    }),
    Template("order_rejected", {
        "de": Text("Bestellung {order_ref} nicht möglich",
                   "Ihre Bestellung {order_ref} konnte leider nicht angenommen werden[[ ({reason_text})]]."
                   "[[ Betroffen: {lines}.]][[ Möglich wäre stattdessen: {alternative}; das übernehmen Sie mit "
                   "einem Schritt in der App oder am Telefon.]] Es wurde nichts berechnet."),
        "en": Text("Order {order_ref} not possible",
                   "Sorry, your order {order_ref} could not be accepted[[ ({reason_text})]]."
                   "[[ Affected: {lines}.]][[ Possible instead: {alternative}; take it in one step in the app "
                   "or by phone.]] You have not been charged."),
    }),
    Template("order_moved", {
        "de": Text("Bestellung {order_ref}: neuer Liefertag {delivery_day}",
                   "Ihre Bestellung {order_ref}: Die Ware von {shop} kommt erst am {to_day} statt am {from_day}"
                   "[[ ({reason_text})]]. Ihre Bestellung liegt damit ab {delivery_day}[[ in {pickup_point}]] bereit; "
                   "den Abholcode erhalten Sie, sobald alles da ist."),
        "en": Text("Order {order_ref}: new delivery day {delivery_day}",
                   "Your order {order_ref}: the goods from {shop} arrive on {to_day} instead of {from_day}"
                   "[[ ({reason_text})]]. Your order will be ready[[ at {pickup_point}]] from {delivery_day}; "
                   "you get the pick-up code once everything is there."),
    }),
    Template("order_ready", {
        "de": Text("Bestellung {order_ref} liegt bereit",
                   "Ihre Bestellung {order_ref} liegt bereit[[ in {pickup_point}]][[ (Fach {compartments})]]."
                   "[[ Bitte holen Sie sie bis {collect_by} ab.]] Den Abholcode erhalten Sie in einer eigenen Nachricht."),
        "en": Text("Order {order_ref} is ready",
                   "Your order {order_ref} is ready[[ at {pickup_point}]][[ (compartment {compartments})]]."
                   "[[ Please collect it by {collect_by}.]] You get the pick-up code in a separate message."),
    }),
    Template("order_expired", {
        "de": Text("Bestellung {order_ref} nicht abgeholt",
                   "Ihre Bestellung {order_ref} wurde nicht rechtzeitig[[ in {pickup_point}]] abgeholt. "
                   "Die Waren gehen an die Läden zurück."),
        "en": Text("Order {order_ref} not collected",
                   "Your order {order_ref} was not collected in time[[ at {pickup_point}]]. "
                   "The goods go back to the shops."),
    }),
    Template("parcel_ready", {
        "de": Text("Ihr Abholcode[[ für {order_ref}]]",
                   "Ihre Bestellung[[ {order_ref}]] liegt bereit[[ in {pickup_point}]][[ (Fach {compartments})]]. "
                   "Abholcode: {pin}.[[ Abholbar bis {collect_by}.]]"),
        "en": Text("Your pick-up code[[ for {order_ref}]]",
                   "Your order[[ {order_ref}]] is ready[[ at {pickup_point}]][[ (compartment {compartments})]]. "
                   "Pick-up code: {pin}.[[ Collect by {collect_by}.]]"),
    }),
    Template("pickup_code_locked", {
        "de": Text("Abholcode gesperrt: {order_id}",
                   "Für die Bestellung {order_id}[[ in {pickup_point}]] wurde der Abholcode"
                   "[[ nach {failed_attempts} Fehlversuchen]] gesperrt[[ bis {locked_until}]]. "
                   "Bitte helfen Sie der Kundin oder dem Kunden."),
        "en": Text("Pick-up code locked: {order_id}",
                   "The pick-up code of order {order_id}[[ at {pickup_point}]] was locked"
                   "[[ after {failed_attempts} failed attempts]][[ until {locked_until}]]. "
                   "Please help the customer."),
    }),
    Template("freight_match_proposed_sender", {
        "de": Text("Mitfahrgelegenheit für Ihre Ladung[[ {load}]]",
                   "Für Ihre Ladung[[ {load}]] von {pickup_place} nach {drop_place} gibt es eine Fahrt"
                   "[[ ({trip_from} – {trip_to})]][[, Abholung gegen {pickup_at}]][[, Preis {price}]]. "
                   "Bitte sagen Sie zu oder ab[[ bis {respond_by}]] (Vorschlag {match_id})."),
        "en": Text("A ride for your load[[ {load}]]",
                   "There is a trip[[ ({trip_from} – {trip_to})]] for your load[[ {load}]] from {pickup_place} "
                   "to {drop_place}[[, pick-up around {pickup_at}]][[, price {price}]]. "
                   "Please accept or decline[[ by {respond_by}]] (proposal {match_id})."),
    }),
    Template("freight_match_proposed_driver", {
        "de": Text("Ladung für Ihre Fahrt: {pickup_place} – {drop_place}",
                   "Auf Ihrer Fahrt könnten Sie eine Ladung[[ ({load}]][[, {weight_kg} kg)]] von {pickup_place} "
                   "nach {drop_place} mitnehmen[[, Abholung gegen {pickup_at}]][[, Preis {price}]]. "
                   "Bitte sagen Sie zu oder ab[[ bis {respond_by}]] (Vorschlag {match_id})."),
        "en": Text("A load for your trip: {pickup_place} – {drop_place}",
                   "On your trip you could take a load[[ ({load}]][[, {weight_kg} kg)]] from {pickup_place} "
                   "to {drop_place}[[, pick-up around {pickup_at}]][[, price {price}]]. "
                   "Please accept or decline[[ by {respond_by}]] (proposal {match_id})."),
    }),
    Template("freight_match_agreed_sender", {
        "de": Text("Fahrt vereinbart – Übergabe-Code {code}",
                   "Ihre Ladung[[ {load}]] fährt mit[[ {driver}]][[, Abholung in {pickup_place}]][[ gegen {pickup_at}]]"
                   "[[, Preis {price}]]. Übergabe-Code: {code}. Geben Sie ihn bei der Abholung weiter "
                   "(Vermittlung {match_id})."),
        "en": Text("Trip agreed – hand-over code {code}",
                   "Your load[[ {load}]] rides with[[ {driver}]][[, pick-up at {pickup_place}]][[ around {pickup_at}]]"
                   "[[, price {price}]]. Hand-over code: {code}. Give it to the driver at the pick-up "
                   "(match {match_id})."),
    }),
    Template("freight_match_agreed_driver", {
        "de": Text("Ladung vereinbart: {pickup_place} – {drop_place}",
                   "Sie nehmen die Ladung[[ {load}]] von {pickup_place} nach {drop_place} mit[[, Abholung gegen "
                   "{pickup_at}]][[, Preis {price}]]. Den Übergabe-Code erhalten Sie bei der Abholung "
                   "(Vermittlung {match_id})."),
        "en": Text("Load agreed: {pickup_place} – {drop_place}",
                   "You take the load[[ {load}]] from {pickup_place} to {drop_place}[[, pick-up around "
                   "{pickup_at}]][[, price {price}]]. You get the hand-over code at the pick-up (match {match_id})."),
    }),
    Template("freight_match_declined", {
        "de": Text("Vorschlag {match_id} abgelehnt",
                   "Der Vorschlag {match_id}[[ für {load}]][[ ({pickup_place} – {drop_place})]] wurde von der "
                   "anderen Seite abgelehnt. Wir suchen weiter."),
        "en": Text("Proposal {match_id} declined",
                   "The other side declined proposal {match_id}[[ for {load}]][[ ({pickup_place} – {drop_place})]]. "
                   "We keep looking."),
    }),
    Template("freight_match_lapsed", {
        "de": Text("Vorschlag {match_id} verfallen",
                   "Auf den Vorschlag {match_id}[[ für {load}]][[ ({pickup_place} – {drop_place})]] kam nicht "
                   "rechtzeitig von beiden Seiten eine Antwort; er gilt nicht mehr. Für die Ladung suchen wir weiter."),
        "en": Text("Proposal {match_id} lapsed",
                   "Proposal {match_id}[[ for {load}]][[ ({pickup_place} – {drop_place})]] was not answered by both "
                   "sides in time and no longer stands. We keep looking for a ride for the load."),
    }),
    Template("freight_match_overtaken", {
        "de": Text("Vorschlag {match_id} nicht mehr möglich",
                   "Für den Vorschlag {match_id}[[ ({load})]] ist auf der Fahrt kein Platz mehr frei. "
                   "Wir suchen eine andere Lösung."),
        "en": Text("Proposal {match_id} no longer possible",
                   "The trip has no room left for proposal {match_id}[[ ({load})]]. We look for another way."),
    }),
    Template("freight_trip_cancelled", {
        "de": Text("Fahrt fällt aus[[: {trip_from} – {trip_to}]]",
                   "Die Fahrt[[ {trip_from} – {trip_to}]][[ am {departure}]] für Ihre Ladung[[ {load}]] fällt aus "
                   "(Vermittlung {match_id}). Wir suchen sofort eine neue Mitfahrgelegenheit."),
        "en": Text("Trip cancelled[[: {trip_from} – {trip_to}]]",
                   "The trip[[ {trip_from} – {trip_to}]][[ on {departure}]] for your load[[ {load}]] is cancelled "
                   "(match {match_id}). We are looking for a new ride right away."),
    }),
    Template("freight_load_withdrawn", {
        "de": Text("Ladung zurückgezogen",
                   "Die Ladung[[ {load}]][[ ab {pickup_place}]] wurde zurückgezogen; Sie müssen sie nicht "
                   "mitnehmen (Vermittlung {match_id})."),
        "en": Text("Load withdrawn",
                   "The load[[ {load}]][[ from {pickup_place}]] was withdrawn; you need not take it "
                   "(match {match_id})."),
    }),
    Template("sign_in_code", {
        "de": Text("Ihr Nahnetz-Anmeldecode: {code}",
                   "Ihr Nahnetz-Anmeldecode: {code} (gültig {minutes} Minuten). Geben Sie ihn nicht weiter. "
                   "Haben Sie keinen Code angefordert, können Sie diese Nachricht ignorieren."),
        "en": Text("Your Nahnetz sign-in code: {code}",
                   "Your Nahnetz sign-in code: {code} (valid for {minutes} minutes). Do not share it. "
                   "If you did not ask for a code, you can ignore this message."),
    }),
    Template("pickup_code_reissued", {
        "de": Text("Neuer Abholcode für {order_ref}",
                   "Neuer Abholcode für Ihre Bestellung {order_ref}[[ ({pickup_point})]]: {pin}. "
                   "Der alte Code gilt nicht mehr.[[ Abholbar bis {collect_by}.]] Haben Sie keinen neuen Code "
                   "angefordert, melden Sie sich bitte beim Service-Team."),
        "en": Text("New pick-up code for {order_ref}",
                   "New pick-up code for your order {order_ref}[[ ({pickup_point})]]: {pin}. "
                   "The old code no longer works.[[ Collect by {collect_by}.]] If you did not ask for a new "
                   "code, please tell the operator."),
    }),
)}


def template_name(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def render(name: str, language: str, params: Mapping[str, str]) -> Rendered:
    """The message in `language` (German when unknown), with the other language as
    the alternative. Raises UnknownTemplate or MissingParameter."""
    template = TEMPLATES.get(template_name(name))
    if template is None and any(params.get(f"text_{lang}") for lang in LANGUAGES):
        template = _given_text(template_name(name), params)
    if template is None:
        raise UnknownTemplate(f"there is no template {name!r}; known: {', '.join(sorted(TEMPLATES))}")
    language = language if language in LANGUAGES else "de"
    other = "en" if language == "de" else "de"
    first, second = _fill(template, language, params), _fill(template, other, params)
    return Rendered(template.name, language, first.subject, first.body, other, second.subject, second.body)


def _given_text(name: str, params: Mapping[str, str]) -> Template:
    """A one-off template of the text the requester sent."""
    texts = {}
    for lang in LANGUAGES:
        other = "en" if lang == "de" else "de"
        body = params.get(f"text_{lang}") or params.get(f"text_{other}") or ""
        subject = params.get(f"subject_{lang}") or params.get(f"subject_{other}") or "Nahnetz"
        texts[lang] = Text(subject, body)
    return Template(name, texts, literal=True)


def _fill(template: Template, language: str, params: Mapping[str, str]) -> Text:
    if template.literal:
        return template.texts[language]
    values = {k: str(v) for k, v in params.items() if v is not None and str(v) != ""}
    # A param may come in each language (`collect_by`, `collect_by_en`): the message is wholly in one.
    suffix = f"_{language}"
    values |= {k[:-len(suffix)]: v for k, v in values.items() if k.endswith(suffix) and k != f"text{suffix}"}
    if "reason" in values:
        values["reason_text"] = REASONS[language].get(values["reason"], values["reason"])
    return Text(_format(template.name, template.texts[language].subject, values),
                _format(template.name, template.texts[language].body, values))


def _format(name: str, text: str, values: Mapping[str, str]) -> str:
    def section(match: re.Match) -> str:
        inner = match.group(1)
        return inner.format_map(values) if all(p in values for p in _params(inner)) else ""

    text = _SECTION.sub(section, text)
    missing = [p for p in _params(text) if p not in values]
    if missing:
        raise MissingParameter(f"template {name} needs the param(s) {', '.join(missing)}")
    return text.format_map(values)


def _params(text: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(text) if field]
