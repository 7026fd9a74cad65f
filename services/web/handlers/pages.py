"""Rendering a page, and the guards every page route uses.

    @router.get("/laden")
    async def shop_home(page: Page = Depends(page_for(Role.SHOP))):
        goods = await page.backend.get("catalog", f"/v1/shops/{page.user.shop_id}", user=page.user)
        return page.render("shop/home.html", goods=goods)

    @router.post("/laden/waren", dependencies=[Depends(csrf_checked)])

`page_for(...)` sends a visitor who is not signed in to the sign-in page (and back
afterwards) and answers 403 to a signed-in person of another role. Every POST form
carries the session's CSRF token (`{{ csrf_field() }}`), htmx sends it as a header.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from nahnetz.kit.roles import Role

from ..domain.language import Language, chosen, pick
from .backend import Backend
from .sessions import Session, SessionStore, SignedIn

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGE_COOKIE = "nn_lang"
TEXT_SIZE_COOKIE = "nn_text"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"

environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml", "svg"]),
                          trim_blocks=True, lstrip_blocks=True)


class SignInRequired(Exception):
    """Not signed in: the page sends them to the sign-in form, then back to `next`."""

    def __init__(self, next_path: str):
        self.next_path = next_path


class PageRefused(Exception):
    """A page this person may not see or a form that failed its check."""

    def __init__(self, status: int, german: str, english: str):
        self.status, self.german, self.english = status, german, english


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@dataclass
class Page:
    request: Request
    session: Session
    language: Language

    @property
    def user(self) -> SignedIn:
        assert self.session.user is not None
        return self.session.user

    @property
    def backend(self) -> Backend:
        return self.request.app.state.backend

    @property
    def web(self):
        return self.request.app.state.web

    def t(self, german: str, english: str) -> str:
        return pick(self.language, german, english)

    async def save(self) -> None:
        await sessions_of(self.request).save(self.session)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status=status, **context)

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(path, status_code=303)


def sessions_of(request: Request) -> SessionStore:
    return request.app.state.sessions


async def session_of(request: Request) -> Session:
    """The visitor's session, made now if they have none (a form needs its CSRF token)."""
    session: Session | None = request.state.session
    if session is None:
        session = sessions_of(request).new()
        await sessions_of(request).save(session)
        request.state.session = session
    return session


def language_of(request: Request) -> Language:
    return chosen(request.cookies.get(LANGUAGE_COOKIE))


def page_for(*roles: Role) -> Callable[[Request], Any]:
    """A dependency giving the Page of a signed-in person whose role is one of `roles`."""
    allowed = {r.value for r in roles}

    async def dependency(request: Request) -> Page:
        session: Session | None = request.state.session
        if session is None or session.user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        if session.user.role not in allowed:
            raise PageRefused(403, "Diese Seite ist für eine andere Rolle.", "This page is for another role.")
        return Page(request, session, language_of(request))

    return dependency


async def any_page(request: Request) -> Page:
    """The Page of anyone, signed in or not."""
    return Page(request, await session_of(request), language_of(request))


async def csrf_checked(request: Request) -> None:
    """Every state-changing request: same origin, and the session's CSRF token."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PageRefused(403, "Anfrage von einer fremden Seite abgelehnt.", "Request from another site refused.")
    session: Session | None = request.state.session
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if session is None or not sent or not hmac.compare_digest(sent, session.csrf):
        raise PageRefused(403, "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.",
                          "The form has expired. Please reload the page.")


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    session: Session | None = request.state.session
    language = language_of(request)

    def t(german: str, english: str) -> str:
        return pick(language, german, english)

    def csrf_field() -> Markup:
        token = session.csrf if session else ""
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">')

    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = environment.get_template(template).render(
        request=request, t=t, lang=language, user=session.user if session else None,
        csrf_token=session.csrf if session else "", csrf_field=csrf_field,
        large_text=request.cookies.get(TEXT_SIZE_COOKIE) == "large", here=here, quote=quote,
        **context)
    return HTMLResponse(html, status_code=status)
