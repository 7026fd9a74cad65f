"""The site's frame: start page, sign-in and sign-out, language and text size.

| method | path | who | what |
|---|---|---|---|
| GET | / | anyone | start page; a signed-in person goes on to their role's page |
| GET, POST | /anmelden | anyone | staff sign-in (account and password), limited per caller |
| GET, POST | /anmelden/code | anyone | residents: a one-time code to their phone or e-mail (sent by notify) |
| POST | /anmelden/code/pruefen | anyone | residents: the code; signs them in |
| POST | /abmelden | signed in | ends the session |
| GET | /sprache/{de or en} | anyone | the language cookie, then back |
| GET | /schrift/{normal or gross} | anyone | large text on or off, then back |

The role pages are in `<role>_routes.py`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from nahnetz.kit.roles import Role

from .handlers.backend import ApiError
from .handlers.limits import SignInLimiter
from .handlers.pages import (LANGUAGE_COOKIE, TEXT_SIZE_COOKIE, Page, PageRefused, any_page, csrf_checked,
                             safe_next, sessions_of)
from .handlers.sessions import SignedIn
from .http_models import CodeAnswer, CodeRequest, PasswordSignIn

# Where each role starts.
HOME_OF_ROLE = {
    Role.RESIDENT.value: "/einkaufen",
    Role.OPERATOR.value: "/betrieb",
    Role.ADMIN.value: "/betrieb",
    Role.SHOP.value: "/laden",
    Role.DRIVER.value: "/fahrer",
    Role.MUNICIPALITY.value: "/gemeinde",
    Role.FREIGHT_PARTICIPANT.value: "/fracht",
}
YEAR_S = 365 * 24 * 3600


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter_of(request: Request) -> SignInLimiter:
    web = request.app.state.web
    return SignInLimiter(request.app.state.redis, web.sign_in_attempts, web.sign_in_window_s)


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def too_many(page: Page, template: str, wait_s: int, **context) -> HTMLResponse:
    minutes = max(1, round(wait_s / 60))
    german, english = ("einer Minute", "a minute") if minutes == 1 else (f"{minutes} Minuten", f"{minutes} minutes")
    response = page.render(template, status=429, error=page.t(
        f"Zu viele Versuche. Bitte in {german} noch einmal.", f"Too many attempts. Please try again in {english}."),
        **context)
    response.headers["Retry-After"] = str(wait_s)
    return response


def site_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    async def start(page: Page = Depends(any_page)) -> Response:
        if page.session.user is not None:
            return page.redirect(HOME_OF_ROLE.get(page.session.user.role, "/"))
        return page.render("start.html")

    @router.get("/anmelden", response_class=HTMLResponse)
    async def sign_in_form(next: str = "/", page: Page = Depends(any_page)) -> Response:
        return page.render("sign_in.html", next=safe_next(next))

    @router.post("/anmelden", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def sign_in(request: Request, page: Page = Depends(any_page)) -> Response:
        try:
            form = PasswordSignIn.model_validate(await form_of(request))
        except ValidationError:
            return page.render("sign_in.html", status=422, next="/", error=page.t(
                "Bitte Benutzername und Passwort angeben.", "Please enter your username and password."))
        limiter, client = limiter_of(request), client_of(request)
        if wait := await limiter.retry_after("password", client, form.username):
            return too_many(page, "sign_in.html", wait, next=safe_next(form.next), username=form.username)
        account = await request.app.state.accounts.verify(form.username, form.password)
        if account is None:
            await limiter.failed("password", client, form.username)
            return page.render("sign_in.html", status=401, next=safe_next(form.next), username=form.username,
                               error=page.t("Benutzername oder Passwort stimmt nicht.",
                                            "Username or password is wrong."))
        await limiter.succeeded("password", client, form.username)
        user = SignedIn(sub=account.subject, role=account.role.value, name=account.name,
                        shop_id=account.shop_id, municipality=account.municipality)
        request.state.session = await sessions_of(request).sign_in(page.session, user)
        target = safe_next(form.next)
        return page.redirect(target if target != "/" else HOME_OF_ROLE[user.role])

    @router.get("/anmelden/code", response_class=HTMLResponse)
    async def code_form(next: str = "/", page: Page = Depends(any_page)) -> Response:
        return page.render("sign_in_code.html", next=safe_next(next))

    @router.post("/anmelden/code", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def send_code(request: Request, page: Page = Depends(any_page)) -> Response:
        try:
            form = CodeRequest.model_validate(await form_of(request))
        except ValidationError:
            return page.render("sign_in_code.html", status=422, next="/", error=page.t(
                "Bitte Telefonnummer oder E-Mail-Adresse angeben.", "Please enter a phone number or e-mail address."))
        limiter, client = limiter_of(request), client_of(request)
        if wait := await limiter.retry_after("code-request", client, form.address):
            return too_many(page, "sign_in_code.html", wait, next=safe_next(form.next), address=form.address)
        # Every request counts: each one sends a message to someone.
        await limiter.failed("code-request", client, form.address)
        try:
            sent = await page.backend.post("notify", "/v1/sign-in/codes",
                                           json={"address": form.address, "language": page.language},
                                           headers={"X-Forwarded-For": client})
        except ApiError as exc:
            return page.render("sign_in_code.html", status=exc.status if exc.status < 500 else 503,
                               next=safe_next(form.next), address=form.address, error=exc.message)
        return page.render("sign_in_code.html", next=safe_next(form.next), address=form.address, sent=sent)

    @router.post("/anmelden/code/pruefen", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def check_code(request: Request, page: Page = Depends(any_page)) -> Response:
        try:
            form = CodeAnswer.model_validate(await form_of(request))
        except ValidationError:
            return page.render("sign_in_code.html", status=422, next="/", sent={}, error=page.t(
                "Bitte den Code aus der Nachricht eingeben.", "Please enter the code from the message."))
        limiter, client = limiter_of(request), client_of(request)
        context = {"next": safe_next(form.next), "address": form.address, "sent": {}}
        if wait := await limiter.retry_after("code", client, form.address):
            return too_many(page, "sign_in_code.html", wait, **context)
        try:
            who = await page.backend.post("notify", "/v1/sign-in/verify",
                                          json={"address": form.address, "code": form.code.strip()},
                                          headers={"X-Forwarded-For": client})
        except ApiError as exc:
            if exc.status < 500:
                await limiter.failed("code", client, form.address)
            return page.render("sign_in_code.html", status=exc.status if exc.status < 500 else 503,
                               error=exc.message, **context)
        await limiter.succeeded("code", client, form.address)
        user = SignedIn(sub=who["resident_id"], role=Role.RESIDENT.value, name=who.get("name") or form.address)
        request.state.session = await sessions_of(request).sign_in(page.session, user)
        target = safe_next(form.next)
        return page.redirect(target if target != "/" else HOME_OF_ROLE[Role.RESIDENT.value])

    @router.post("/abmelden", dependencies=[Depends(csrf_checked)])
    async def sign_out(request: Request, page: Page = Depends(any_page)) -> Response:
        await sessions_of(request).end(page.session)
        request.state.session = None
        return page.redirect("/")

    @router.get("/sprache/{language}")
    async def language(language: str, next: str = "/") -> Response:
        if language not in ("de", "en"):
            raise PageRefused(404, "Diese Sprache gibt es hier nicht.", "That language is not offered here.")
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR_S, samesite="lax", httponly=True)
        return response

    @router.get("/schrift/{size}")
    async def text_size(size: str, next: str = "/") -> Response:
        if size not in ("normal", "gross"):
            raise PageRefused(404, "Diese Schriftgröße gibt es nicht.", "That text size is not offered.")
        response = RedirectResponse(safe_next(next), status_code=303)
        if size == "gross":
            response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=YEAR_S, samesite="lax", httponly=True)
        else:
            response.delete_cookie(TEXT_SIZE_COOKIE)
        return response

    return router
