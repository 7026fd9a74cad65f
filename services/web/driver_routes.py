"""The driver's pages, made for a phone: the tour of the day (or the next day with
one) stop by stop, links to navigate there, and the reports at each stop. The
reports are plain forms (303 back to the tour); with script (static/driver.js) they
are sent with fetch, kept on the phone while there is no network and sent again
when it is back. Each report carries an Idempotency-Key, and a report dispatch
has already recorded (409 "... already") counts as done, so none is applied twice.

| method | path | who | what |
|---|---|---|---|
| GET | /fahrer | driver | the tour(s) of the next day with a tour (dispatch GET /v1/drivers/me/tours); `?day=` |
| POST | /fahrer/touren/{tour_id}/stopps/{seq}/{step} | driver | report a stop: arrived, collected, delivered or failed (with a reason); JSON for script calls |
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from nahnetz.kit.roles import Role

from .domain import navigation
from .handlers.backend import ApiError, error_of
from .handlers.pages import Page, csrf_checked, page_for
from .routes import form_of

DriverPage = Depends(page_for(Role.DRIVER))
NOTICES = {
    "gemeldet": ("Gemeldet.", "Reported."),
    "schon": ("War schon gemeldet.", "Had been reported already."),
}


def by_script(request: Request) -> bool:
    """A call from driver.js (fetch): it wants a small JSON answer, not a page."""
    return request.headers.get("hx-request") == "true" or "application/json" in request.headers.get("accept", "")


def stop_views(page: Page, tour: dict[str, Any]) -> list[dict[str, Any]]:
    """Each stop with what the page shows: kind and status in words, address, links, reports."""
    views = []
    for stop in tour.get("stops") or ():
        location = stop.get("location") or {}
        links = navigation.nav_links(location["lat"], location["lon"]) if "lat" in location else None
        views.append({
            **stop, "kind_name": page.t(*navigation.STOP_KINDS.get(stop.get("kind"), (stop.get("kind"),) * 2)),
            "status_name": page.t(*navigation.STOP_STATUS.get(stop.get("status"), (stop.get("status"),) * 2)),
            "address_line": navigation.address_line(stop.get("address")), "links": links,
            "actions": navigation.actions(stop), "parcels_in": navigation.parcels(stop.get("load") or ()),
            "parcels_out": navigation.parcels(stop.get("unload") or ()),
        })
    return views


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def tour_page(page: Page, day: str | None = None, *, status: int = 200, error: str | None = None,
                        notice: str | None = None) -> HTMLResponse:
        params = {"day": day} if day else None
        steps = {step: page.t(*names) for step, names in navigation.STEP_NAMES.items()}
        reasons = [(key, page.t(*names)) for key, names in navigation.FAILURE_REASONS.items()]
        try:
            found = await page.backend.get("dispatch", "/v1/drivers/me/tours", user=page.user, params=params)
        except ApiError as exc:
            return page.render("driver/tour.html", status=exc.status if exc.status < 500 else 503,
                               error=error or exc.message, tours=[], day=day, steps=steps, reasons=reasons)
        tours = [{**tour, "stop_views": stop_views(page, tour),
                  "current": navigation.current_stop(tour.get("stops") or ())} for tour in found.get("tours") or ()]
        return page.render("driver/tour.html", status=status, error=error, notice=notice, tours=tours,
                           day=found.get("day"), steps=steps, reasons=reasons, new_key=lambda: str(uuid.uuid4()))

    @router.get("/fahrer", response_class=HTMLResponse)
    async def tour(day: str | None = None, hinweis: str | None = None, page: Page = DriverPage) -> Response:
        found = NOTICES.get(hinweis or "")
        return await tour_page(page, day, notice=page.t(*found) if found else None)

    @router.post("/fahrer/touren/{tour_id}/stopps/{seq}/{step}", dependencies=[Depends(csrf_checked)])
    async def report(tour_id: str, seq: int, step: str, request: Request, page: Page = DriverPage) -> Response:
        form = await form_of(request)
        script = by_script(request)
        body = navigation.report_body(step, form)
        if body is None or not 0 <= seq <= 999:
            message = page.t("Bitte einen Grund wählen.", "Please choose a reason.") if step == "failed" else \
                page.t("Diese Meldung gibt es nicht.", "There is no such report.")
            if script:
                return JSONResponse({"outcome": "refused", "message": message}, status_code=422)
            return await tour_page(page, status=422, error=message)
        key = request.headers.get("idempotency-key") or form.get("key") or str(uuid.uuid4())
        try:
            answer = await page.backend.call("dispatch", "POST", f"/v1/tours/{tour_id}/stops/{seq}/{step}",
                                             user=page.user, json=body, headers={"Idempotency-Key": key[:200]})
        except ApiError as exc:  # dispatch cannot be reached: nothing was recorded
            if script:
                return JSONResponse({"outcome": "retry", "message": exc.message}, status_code=503)
            return await tour_page(page, status=503, error=exc.message)
        message = "" if answer.status_code < 400 else error_of(answer).message
        outcome = navigation.outcome(answer.status_code, message)
        if outcome == "done":
            result = answer.json() if answer.status_code < 300 else {}
            if script:
                return JSONResponse({"outcome": "done", "already": answer.status_code >= 300, "step": step,
                                     "seq": seq, "stop_status": result.get("stop_status"),
                                     "tour_status": result.get("tour_status")})
            return page.redirect("/fahrer?hinweis=" + ("gemeldet" if answer.status_code < 300 else "schon"))
        status = answer.status_code if answer.status_code < 500 else 503
        if script:
            return JSONResponse({"outcome": outcome, "message": message}, status_code=status)
        return await tour_page(page, status=status, error=message)

    return router
