"""The freight's pages (being written)."""

from __future__ import annotations

from fastapi import APIRouter


def router() -> APIRouter:
    return APIRouter(include_in_schema=False)
