"""The roles a person can have on the platform (the `role` claim of a token).

Kept free of web imports so the CLI and domain code can use it cheaply.
Events record roles in upper case (`nahnetz.common.Role`).
"""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    RESIDENT = "resident"
    SHOP = "shop"
    OPERATOR = "operator"
    DRIVER = "driver"
    MUNICIPALITY = "municipality"
    ADMIN = "admin"
    FREIGHT_PARTICIPANT = "freight_participant"

    @property
    def event_role(self) -> str:
        """The symbol of `nahnetz.common.Role` in event meta."""
        return self.name

    @classmethod
    def parse(cls, value: "str | Role") -> "Role":
        try:
            return cls(value.lower() if isinstance(value, str) else value)
        except ValueError:
            raise ValueError(f"unknown role {value!r}; known: {', '.join(r.value for r in cls)}") from None


# Staff may act for any shop or resident; the event records on whose behalf.
STAFF_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})
