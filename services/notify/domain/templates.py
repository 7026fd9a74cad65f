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
| order_rejected | resident | order_ref [reason] [lines] |
| order_ready | resident | order_ref [pickup_point] [compartments] [collect_by] |
| order_expired | resident | order_ref [pickup_point] |
| parcel_ready | resident (sent by pickup, with the PIN) | pin [order_ref] [pickup_point] [compartments] [collect_by] |
| pickup_code_locked | operator | order_id [pickup_point] [failed_attempts] [locked_until] |
| pickup_code_reissued | resident (sent by pickup, with the new PIN) | pin order_ref [pickup_point] [collect_by] |
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
           "INVALID_ORDER": "die Bestellung ist unvollständig", "OTHER": "ein anderer Grund"},
    "en": {"OUT_OF_STOCK": "not enough in stock", "NO_COMPARTMENT": "no free compartment at the pick-up point",
           "TIMEOUT": "the shops did not answer in time", "UNKNOWN_PRODUCT": "an item is no longer offered",
           "UNKNOWN_PICKUP_POINT": "the pick-up point is unknown",
           "DELIVERY_DAY_UNAVAILABLE": "the delivery day is not available", "PAYMENT_FAILED": "the payment failed",
           "INVALID_ORDER": "the order is incomplete", "OTHER": "another reason"},
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
                   "[[ Betroffen: {lines}.]] Es wurde nichts berechnet."),
        "en": Text("Order {order_ref} not possible",
                   "Sorry, your order {order_ref} could not be accepted[[ ({reason_text})]]."
                   "[[ Affected: {lines}.]] You have not been charged."),
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
