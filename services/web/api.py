"""The web front: server-rendered pages for every role (German, English on request).

Each page route says who may open it (`page_for(Role...)`) and reads and writes only
through the APIs, as the signed-in person; see `routes.py` and `<role>_routes.py`.
Assets: `/static/` (ours), `/assets/` (from services/web/node_modules: htmx, Leaflet).

    python -m services.web.api
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .handlers.accounts import AccountStore
from .handlers.backend import Backend
from .handlers.figures_cache import FiguresCache
from .handlers.pages import PageRefused, SignInRequired, render
from .handlers.security import SecurityHeaders
from .handlers.sessions import SessionMiddleware, SessionStore
from .routes import site_router
from .settings import WebSettings, load_web_settings

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
# Only these folders of the npm install are served.
ASSETS = {"htmx": NODE_MODULES / "htmx.org" / "dist", "leaflet": NODE_MODULES / "leaflet" / "dist"}


def role_routers() -> list[APIRouter]:
    """Every role's pages (one module each, `<role>_routes.py`)."""
    from . import (assistant_routes, driver_routes, freight_routes, municipality_routes, operator_routes,
                   resident_routes, shop_routes)
    return [module.router() for module in (resident_routes, assistant_routes, shop_routes, driver_routes,
                                           operator_routes, freight_routes, municipality_routes)]


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    web = web or load_web_settings(settings)

    @asynccontextmanager
    async def backend(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = SessionStore(app.state.redis, int(web.session_hours * 3600))
        app.state.accounts = AccountStore(app.state.redis)
        app.state.backend = Backend(settings, web)
        app.state.figures_cache = FiguresCache(web.figures_cache_s)
        try:
            yield
        finally:
            await app.state.backend.aclose()

    async def assets_installed(app: FastAPI) -> str | None:
        missing = [name for name, folder in ASSETS.items() if not folder.is_dir()]
        return f"npm assets missing ({', '.join(missing)}): run scripts/setup-web-assets" if missing else None

    app = create_api(settings, title="Nahnetz web", routers=[site_router(), *role_routers()],
                     lifespans=[backend], readiness_checks={"assets": assets_installed},
                     description="Die Seiten für Bewohner, Läden, Fahrer, Betrieb und Gemeinden / "
                                 "the pages for residents, shops, drivers, operators and municipalities.")
    app.state.web = web
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for name, folder in ASSETS.items():
        app.mount(f"/assets/{name}", StaticFiles(directory=folder, check_dir=False), name=f"assets-{name}")
    install_page_errors(app)
    app.add_middleware(SessionMiddleware, secure=web.secure_cookies(settings))
    app.add_middleware(SecurityHeaders, tile_origin=web.tile_origin, hsts=web.secure_cookies(settings))
    app.add_middleware(GZipMiddleware, minimum_size=800)
    return app


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or request.headers.get("hx-request") == "true"


def install_page_errors(app: FastAPI) -> None:
    """A person gets a page, not JSON: sign-in redirects, refusals, unknown pages."""
    json_http_handler = app.exception_handlers.get(HTTPException)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import quote
        return RedirectResponse(f"/anmelden?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(PageRefused)
    async def refused(request: Request, exc: PageRefused) -> Response:
        return render(request, "error.html", status=exc.status, german=exc.german, english=exc.english)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if wants_html(request) and exc.status_code in (404, 405):
            return render(request, "error.html", status=exc.status_code,
                          german="Diese Seite gibt es nicht.", english="There is no such page.")
        return await json_http_handler(request, exc)  # type: ignore[misc]


if __name__ == "__main__":
    serve(create_app)
