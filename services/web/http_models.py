"""The forms the sign-in pages take (the role pages declare their own next to them)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PasswordSignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    next: str = "/"


class CodeRequest(BaseModel):
    address: str = Field(min_length=3, max_length=254, description="A phone number or an e-mail address")
    next: str = "/"


class CodeAnswer(BaseModel):
    address: str = Field(min_length=3, max_length=254)
    code: str = Field(min_length=4, max_length=12)
    next: str = "/"
