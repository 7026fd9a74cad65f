"""The freight participant's pages: their trips, loads and proposals, offering a trip
and posting a load. The participant id is the signed-in person's subject; the
freight API decides what they may see and do (`/v1/freight/...`).

| method | path | who | what |
|---|---|---|---|
| GET | /fracht | freight participant | my trips, loads and proposals; the hand-over code of an agreed load |
| POST | /fracht/vorschlaege/{match_id}/annehmen | freight participant | accept a proposal (my side) |
| POST | /fracht/vorschlaege/{match_id}/ablehnen | freight participant | decline a proposal, with a reason |
| POST | /fracht/fahrten/{trip_id}/zurueckziehen | freight participant | withdraw a trip |
| POST | /fracht/ladungen/{load_id}/zurueckziehen | freight participant | withdraw a load |
| GET, POST | /fracht/fahrt | freight participant | offer a trip (once or weekly) |
| GET, POST | /fracht/ladung | freight participant | post a load |
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nahnetz.kit.roles import Role

from .domain import freight
from .handlers.backend import ApiError
from .handlers.pages import Page, csrf_checked, page_for
from .handlers.region import region_named

Participant = page_for(Role.FREIGHT_PARTICIPANT)


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def places(page: Page) -> list[dict]:
    """The region's towns and villages to choose from, by name."""
    region = region_named(page.web.region)
    found = sorted((*region.towns, *region.villages), key=lambda p: p.name)
    return [{"id": p.name, "label": f"{p.name} ({p.municipality})"} for p in found]


def status_code_of(exc: ApiError) -> int:
    return exc.status if 400 <= exc.status < 500 else 503


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def overview(page: Page, status: int = 200, error: str | None = None) -> Response:
        me = page.user.sub
        try:
            mine = await page.backend.get("freight", "/v1/freight/mine", user=page.user)
        except ApiError as exc:
            return page.render("freight/home.html", status=status_code_of(exc), error=exc.message, trips=[],
                               loads=[], matches=[], freight=freight, notice=None)
        matches = []
        for entry in freight.proposals(mine):
            detail = entry
            if "trip" in entry and entry.get("status") in ("PROPOSED", "AGREED", "PICKED_UP"):
                try:
                    detail = {**await page.backend.get("freight", f"/v1/freight/matches/{entry['match_id']}",
                                                       user=page.user), "trip": entry["trip"]}
                except ApiError:
                    detail = entry
            side = freight.my_side(detail, me)
            code = None
            if side == "LOAD_PROVIDER" and detail.get("status") in ("AGREED", "PICKED_UP"):
                try:
                    slip = await page.backend.call("freight", "GET", f"/v1/freight/loads/{detail['load_id']}/slip",
                                                   user=page.user)
                    code = freight.code_on_slip(slip.text) if slip.status_code == 200 else None
                except ApiError:
                    code = None
            matches.append({**detail, "side": side, "answered": freight.answered(detail, side), "code": code})
        notice = page.session.data.pop("freight_notice", None)
        if notice is not None:
            await page.save()
        return page.render("freight/home.html", status=status, error=error, trips=mine.get("trips", []),
                           loads=mine.get("loads", []), matches=matches, freight=freight,
                           reasons=freight.DECLINE_REASONS, notice=notice)

    async def tell(page: Page, german: str, english: str) -> Response:
        page.session.data["freight_notice"] = page.t(german, english)
        await page.save()
        return page.redirect("/fracht")

    @router.get("/fracht", response_class=HTMLResponse)
    async def home(page: Page = Depends(Participant)) -> Response:
        return await overview(page)

    @router.post("/fracht/vorschlaege/{match_id}/{answer}", response_class=HTMLResponse,
                 dependencies=[Depends(csrf_checked)])
    async def answer_match(match_id: str, answer: str, request: Request,
                           page: Page = Depends(Participant)) -> Response:
        if answer not in ("annehmen", "ablehnen"):
            return await overview(page, 404, page.t("Diese Antwort gibt es nicht.", "No such answer."))
        form = await form_of(request)
        body: dict = {"channel": "WEB"}
        if answer == "ablehnen":
            body["reason"] = freight.choice(form.get("reason"), freight.DECLINE_REASONS, "OTHER")
        action = "accept" if answer == "annehmen" else "decline"
        try:
            await page.backend.post("freight", f"/v1/freight/matches/{match_id}/{action}", json=body, user=page.user)
        except ApiError as exc:
            return await overview(page, status_code_of(exc), exc.message)
        if answer == "annehmen":
            return await tell(page, "Sie haben zugestimmt. Sobald auch die andere Seite zustimmt, ist die Fahrt "
                                    "vereinbart.", "You accepted. Once the other side accepts too, the ride is agreed.")
        return await tell(page, "Sie haben den Vorschlag abgelehnt.", "You declined the proposal.")

    @router.post("/fracht/{kind}/{item_id}/zurueckziehen", response_class=HTMLResponse,
                 dependencies=[Depends(csrf_checked)])
    async def withdraw(kind: str, item_id: str, page: Page = Depends(Participant)) -> Response:
        paths = {"fahrten": "trips", "ladungen": "loads"}
        if kind not in paths:
            return await overview(page, 404, page.t("Das gibt es nicht.", "There is no such thing."))
        try:
            await page.backend.post("freight", f"/v1/freight/{paths[kind]}/{item_id}/withdraw",
                                    json={"reason": "PLANS_CHANGED"}, user=page.user)
        except ApiError as exc:
            return await overview(page, status_code_of(exc), exc.message)
        return await tell(page, "Zurückgezogen.", "Withdrawn.")

    @router.get("/fracht/fahrt", response_class=HTMLResponse)
    async def trip_form(page: Page = Depends(Participant)) -> Response:
        return page.render("freight/trip.html", places=places(page), form={}, problems=freight.Problems(),
                           freight=freight, once=str(uuid.uuid4()))

    @router.post("/fracht/fahrt", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def offer_trip(request: Request, page: Page = Depends(Participant)) -> Response:
        form = await form_of(request)
        known = places(page)
        body, problems = freight.trip_body(form, (p["id"] for p in known))
        if body is None:
            return page.render("freight/trip.html", status=422, places=known, form=form, problems=problems,
                               freight=freight, once=str(uuid.uuid4()))
        try:
            await page.backend.post("freight", "/v1/freight/trips", json=body, user=page.user,
                                    headers={"Idempotency-Key": form.get("once") or str(uuid.uuid4())})
        except ApiError as exc:
            return page.render("freight/trip.html", status=status_code_of(exc), places=known, form=form,
                               problems=problems, error=exc.message, freight=freight, once=str(uuid.uuid4()))
        return await tell(page, "Ihre Fahrt ist angeboten. Passende Ladungen erscheinen hier als Vorschlag.",
                          "Your trip is on offer. Loads that fit appear here as proposals.")

    @router.get("/fracht/ladung", response_class=HTMLResponse)
    async def load_form(page: Page = Depends(Participant)) -> Response:
        return page.render("freight/load.html", places=places(page), form={}, problems=freight.Problems(),
                           freight=freight, once=str(uuid.uuid4()))

    @router.post("/fracht/ladung", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def post_load(request: Request, page: Page = Depends(Participant)) -> Response:
        form = await form_of(request)
        known = places(page)
        body, problems = freight.load_body(form, (p["id"] for p in known))
        if body is None:
            return page.render("freight/load.html", status=422, places=known, form=form, problems=problems,
                               freight=freight, once=str(uuid.uuid4()))
        try:
            answer = await page.backend.post("freight", "/v1/freight/loads", json=body, user=page.user,
                                             headers={"Idempotency-Key": form.get("once") or str(uuid.uuid4())})
        except ApiError as exc:
            return page.render("freight/load.html", status=status_code_of(exc), places=known, form=form,
                               problems=problems, error=exc.message, freight=freight, once=str(uuid.uuid4()))
        if answer and answer.get("matchable") is False:
            return await tell(page, f"Ihre Ladung ist aufgegeben, passt aber in keine Fahrt: "
                                    f"{answer.get('unmatchable_reason')}",
                              f"Your load is posted but fits no trip: {answer.get('unmatchable_reason')}")
        return await tell(page, "Ihre Ladung ist aufgegeben. Passende Fahrten erscheinen hier als Vorschlag.",
                          "Your load is posted. Trips that fit appear here as proposals.")

    return router
