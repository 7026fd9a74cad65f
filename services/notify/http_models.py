"""Request bodies of the notify API, checked at the edge: a phone number in any
German way of writing it becomes E.164 (`phonenumbers`), an e-mail address is
checked (`email-validator`, syntax only: no lookup leaves the machine), and the
chosen channel must have its address. Sign-in's bodies take the address as
text: `domain/sign_in.normalise_address` says what is wrong with it, in German and English."""

from __future__ import annotations

from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, Field, field_validator, model_validator

from nahnetz.kit.request_model import RequestModel

from .domain.contacts import missing_address

CONSENT_DE = ("Ich bin einverstanden, dass Nahnetz mir Nachrichten zu meinen Bestellungen auf diesem Weg schickt. "
              "Ich kann das jederzeit widerrufen.")


class ContactIn(RequestModel):
    preferred_channel: Literal["SMS", "EMAIL", "LETTER", "PHONE_CALL"] = Field(
        description="How messages reach the person; LETTER and PHONE_CALL go to the assistants' list.")
    language: Literal["de", "en"] = "de"
    phone: str | None = Field(None, min_length=3, max_length=30, description="Any German way of writing it, "
                              "or international with +; stored as E.164. Needed for SMS and PHONE_CALL.")
    email: str | None = Field(None, min_length=3, max_length=254, description="Needed for EMAIL.")
    postal_address: list[str] | None = Field(None, min_length=2, max_length=6, description=(
        "The envelope's lines (name, street, postcode and place); needed for LETTER."))
    consent: Literal[True] = Field(description="The person agrees (to the text in consent_text).")
    consent_text: str = Field(CONSENT_DE, min_length=10, max_length=500,
                              description="What the person agreed to, as shown or read out to them.")

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            number = phonenumbers.parse(value, "DE")
        except phonenumbers.NumberParseException:
            raise ValueError("not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError("not a valid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("postal_address")
    @classmethod
    def _lines(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        lines = [" ".join(line.split()) for line in value]
        if any(not line or len(line) > 80 for line in lines):
            raise ValueError("each line of the address has 1 to 80 characters")
        return lines

    @model_validator(mode="after")
    def _channel_has_its_address(self) -> "ContactIn":
        missing = missing_address(self.preferred_channel, phone=self.phone, email=self.email,
                                  postal_address=self.address_text)
        if missing:
            raise ValueError(f"{self.preferred_channel} needs {missing}")
        return self

    @property
    def address_text(self) -> str | None:
        return "\n".join(self.postal_address) if self.postal_address else None


# -- sign-in with a one-time code (sign_in_routes.py) --------------------------------------
class CodeRequestIn(RequestModel):
    address: str = Field(min_length=1, max_length=254, description=(
        "The resident's phone number (any German spelling, or international with +) or e-mail address."))
    language: Literal["de", "en"] = Field("de", description="The language of the message (for an address "
                                          "nobody has given yet; a known person gets their own choice)")


class CodeSentOut(BaseModel):
    sent_to: str = Field(description="The address, masked: `+49 171 •••• 67`, `a•••@example.org`")
    expires_in_s: int = Field(description="How long the code is valid, in seconds")


class CodeAnswerIn(RequestModel):
    address: str = Field(min_length=1, max_length=254, description="The address the code was sent to")
    code: str = Field(min_length=1, max_length=20, description="The 6 digits of the message (spaces allowed)")


class SignedInOut(BaseModel):
    resident_id: str = Field(description="The resident the code signs in (the token subject to issue)")
    name: str | None = Field(description="The name notify knows (first line of a postal address), if any")
    new: bool = Field(description="True when this sign-in made a new resident of an address nobody had given")
