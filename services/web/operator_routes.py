"""The operator's pages (roles operator and admin): the day's tours on a map and in a
table, planning them (routing), handing them to drivers (dispatch), re-planning a
tour, the printable tour sheet, the hub's shipments and the freight board.

Tours come to be as the demo makes them (`nahnetz.demo.logistics`): the routing
service plans a day (`POST /v1/plans`, answered PENDING, then PLANNED or FAILED),
dispatch hands each planned tour to a driver (`POST /v1/tours`, 409 "try again"
until it has heard of the plan), and a dispatched tour may be re-planned
(`POST /v1/tours/{id}/replan`, a new plan of the same day).

| method | path | who | what |
|---|---|---|---|
| GET | /betrieb | operator, admin | the day's tours (`?tag=`): map, table, the day's plans with their tours to dispatch |
| GET | /betrieb/plaene/{plan_id} | operator, admin | one plan as a fragment (htmx polls it while it is computed); otherwise the day's page with it |
| POST | /betrieb/planen | operator, admin | "Touren planen": a plan for the day (routing) |
| POST | /betrieb/freigeben | operator, admin | "Tour freigeben": a planned tour to a driver (dispatch) |
| POST | /betrieb/touren/{tour_id}/neu-planen | operator, admin | "Neu planen": re-plan a dispatched tour |
| GET | /betrieb/touren/{tour_id}/blatt | operator, admin | the printable tour sheet |
| GET | /betrieb/sendungen | operator, admin | the hub's shipments of a day by destination, and its stock |
| GET | /betrieb/fracht | operator, admin | freight board: the week's open trips and loads; a participant's trips, loads and matches; hub-mode advice for a plan |
| POST | /betrieb/fracht/vorschlaege/{match_id}/{answer} | operator, admin | accept (annehmen) or decline (ablehnen) a proposal for the participant's side, who answered by phone, at the counter or on paper |
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nahnetz.clock import today_in_berlin
from nahnetz.kit.roles import Role

from .domain import tours as tours_domain
from .domain.freight import (DECLINE_REASONS, SIDES, answered, choice, kilograms, local_time, money, my_side, span,
                             status_label)
from .handlers.backend import ApiError, error_of
from .handlers.pages import Page, csrf_checked, page_for
from .handlers.region import region_named

Staff = page_for(Role.OPERATOR, Role.ADMIN)
# How a participant who is not online gave their answer (the freight API's channel).
ANSWER_CHANNELS = {"PHONE": ("am Telefon", "on the phone"), "COUNTER": ("an der Theke", "at the counter"),
                   "PAPER": ("auf Papier", "on paper")}
# Dispatch hears of a plan from the routing service's event; until then it says "try again".
DISPATCH_PATIENCE_S = 15.0
FRAGMENT_HEADERS = {"Cache-Control": "no-store"}


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def failed(exc: ApiError) -> int:
    return exc.status if 400 <= exc.status < 500 else 503


def helpers() -> dict:
    return {"tours": tours_domain, "local_time": local_time, "money": money, "kilograms": kilograms,
            "span": span, "status_label": status_label, "my_side": my_side, "answered": answered}


async def plans_of(page: Page, day: date) -> list[dict]:
    answer = await page.backend.get("routing", "/v1/plans", params={"day": day.isoformat()}, user=page.user)
    return list(reversed(answer.get("plans") or []))  # newest first


async def plan_of(page: Page, plan_id: str) -> dict:
    return await page.backend.get("routing", f"/v1/plans/{plan_id}", user=page.user)


def dispatched_pairs(tours: list[dict]) -> set[tuple[str, str]]:
    return {(t.get("plan_id"), t.get("vehicle_id")) for t in tours}


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def day_page(page: Page, day: date, *, status: int = 200, error: str | None = None,
                       notice: str | None = None, shown_plan: str | None = None) -> Response:
        region = region_named(page.web.region)
        problems: list[str] = [error] if error else []
        summaries, views, plans, plan = [], {}, [], None
        try:
            summaries = (await page.backend.get("dispatch", "/v1/tours", params={"day": day.isoformat()},
                                                user=page.user)).get("tours") or []
            found = await asyncio.gather(*(page.backend.get("dispatch", f"/v1/tours/{t['tour_id']}", user=page.user)
                                           for t in summaries), return_exceptions=True)
            views = {t["tour_id"]: v for t, v in zip(summaries, found) if isinstance(v, dict)}
        except ApiError as exc:
            problems.append(exc.message)
            status = status if status != 200 else failed(exc)
        try:
            plans = await plans_of(page, day)
            chosen = shown_plan or next((p["plan_id"] for p in plans), None)
            if chosen:
                plan = await plan_of(page, chosen)
        except ApiError as exc:
            problems.append(exc.message)
            status = status if status != 200 else failed(exc)
        live = [s for s in summaries if s.get("status") != "REPLACED"]
        rows = [tours_domain.tour_row(s, views.get(s["tour_id"])) for s in summaries]
        features = tours_domain.tour_features([views[s["tour_id"]] for s in live if s["tour_id"] in views],
                                              (region.hub.lat, region.hub.lon, region.hub.name))
        return page.render("operator/tours.html", status=status, day=day, today=today_in_berlin(),
                           days=tours_domain.next_days(day), rows=rows, features=features, plans=plans, plan=plan,
                           dispatched=dispatched_pairs(summaries), errors=list(dict.fromkeys(problems)), notice=notice, once=str(uuid.uuid4()),
                           tile_url=page.web.tile_url, tile_attribution=page.web.tile_attribution, **helpers())

    @router.get("/betrieb", response_class=HTMLResponse)
    async def tours_of_day(tag: str | None = None, plan: str | None = None, page: Page = Depends(Staff)) -> Response:
        notice = page.session.data.pop("operator_notice", None)
        if notice is not None:
            await page.save()
        return await day_page(page, tours_domain.day_asked(tag, today_in_berlin()), notice=notice, shown_plan=plan)

    @router.get("/betrieb/plaene/{plan_id}", response_class=HTMLResponse)
    async def plan_fragment(plan_id: str, request: Request, page: Page = Depends(Staff)) -> Response:
        try:
            plan = await plan_of(page, plan_id)
            if request.headers.get("hx-request") != "true":
                # Opened directly, not by htmx: the whole page with this plan.
                return page.redirect(f"/betrieb?tag={plan['day']}&plan={plan_id}")
            tours = (await page.backend.get("dispatch", "/v1/tours", params={"day": plan["day"]},
                                            user=page.user)).get("tours") or []
        except ApiError as exc:
            return page.render("operator/_plan.html", status=failed(exc), plan=None, error=exc.message,
                               dispatched=set(), **helpers())
        response = page.render("operator/_plan.html", plan=plan, dispatched=dispatched_pairs(tours), error=None,
                               **helpers())
        response.headers.update(FRAGMENT_HEADERS)
        return response

    async def tell(page: Page, day: str, german: str, english: str, plan: str | None = None) -> Response:
        page.session.data["operator_notice"] = page.t(german, english)
        await page.save()
        return page.redirect(f"/betrieb?tag={day}" + (f"&plan={plan}" if plan else ""))

    @router.post("/betrieb/planen", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def plan_day(request: Request, page: Page = Depends(Staff)) -> Response:
        form = await form_of(request)
        day = tours_domain.day_asked(form.get("day"), today_in_berlin())
        body: dict = {"day": day.isoformat()}
        budget = (form.get("time_budget_s") or "").strip()
        if budget.isdigit() and 1 <= int(budget) <= 60:
            body["time_budget_s"] = int(budget)
        try:
            requested = await page.backend.post("routing", "/v1/plans", json=body, user=page.user,
                                                headers={"Idempotency-Key": form.get("once") or str(uuid.uuid4())})
        except ApiError as exc:
            return await day_page(page, day, status=failed(exc), error=exc.message)
        return await tell(page, day.isoformat(), "Die Touren werden geplant.", "The tours are being planned.",
                          plan=requested.get("plan_id"))

    @router.post("/betrieb/freigeben", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
    async def dispatch_tour(request: Request, page: Page = Depends(Staff)) -> Response:
        form = await form_of(request)
        day = tours_domain.day_asked(form.get("day"), today_in_berlin())
        plan_id, vehicle_id = (form.get("plan_id") or "").strip(), (form.get("vehicle_id") or "").strip()
        driver_id = (form.get("driver_id") or "").strip() or tours_domain.driver_for(vehicle_id, None)
        if not plan_id or not vehicle_id:
            return await day_page(page, day, status=422, error=page.t("Plan und Fahrzeug fehlen.",
                                                                      "Plan and vehicle are missing."))
        body = {"plan_id": plan_id, "vehicle_id": vehicle_id, "driver_id": driver_id}
        deadline = time.monotonic() + DISPATCH_PATIENCE_S
        while True:
            answer = await page.backend.call("dispatch", "POST", "/v1/tours", json=body, user=page.user,
                                             headers={"Idempotency-Key": f"web-{plan_id}-{vehicle_id}"})
            if answer.status_code != 409 or "try again" not in answer.text or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        if answer.status_code >= 400:
            exc = error_of(answer)
            return await day_page(page, day, status=failed(exc), error=exc.message, shown_plan=plan_id)
        return await tell(page, day.isoformat(), f"Tour {vehicle_id} ist an {driver_id} freigegeben.",
                          f"Tour {vehicle_id} is dispatched to {driver_id}.", plan=plan_id)

    @router.post("/betrieb/touren/{tour_id}/neu-planen", response_class=HTMLResponse,
                 dependencies=[Depends(csrf_checked)])
    async def replan(tour_id: str, request: Request, page: Page = Depends(Staff)) -> Response:
        form = await form_of(request)
        day = tours_domain.day_asked(form.get("day"), today_in_berlin())
        body: dict = {}
        if reason := (form.get("reason") or "").strip():
            body["reason"] = reason[:300]
        try:
            answer = await page.backend.post("dispatch", f"/v1/tours/{tour_id}/replan", json=body, user=page.user,
                                             headers={"Idempotency-Key": form.get("once") or str(uuid.uuid4())})
        except ApiError as exc:
            return await day_page(page, day, status=failed(exc), error=exc.message)
        return await tell(page, day.isoformat(), "Die Tour wird neu geplant; geben Sie danach die neue Tour frei.",
                          "The tour is being re-planned; then dispatch the new tour.",
                          plan=(answer or {}).get("plan_id"))

    @router.get("/betrieb/touren/{tour_id}/blatt", response_class=HTMLResponse)
    async def tour_sheet(tour_id: str, page: Page = Depends(Staff)) -> Response:
        try:
            tour = await page.backend.get("dispatch", f"/v1/tours/{tour_id}", user=page.user)
        except ApiError as exc:
            return page.render("error.html", status=failed(exc), german=exc.message, english=exc.message)
        return page.render("operator/sheet.html", tour=tour, rows=tours_domain.sheet_rows(tour), **helpers())

    @router.get("/betrieb/sendungen", response_class=HTMLResponse)
    async def shipments(tag: str | None = None, page: Page = Depends(Staff)) -> Response:
        day = tours_domain.day_asked(tag, today_in_berlin())
        try:
            found, stock = await asyncio.gather(
                page.backend.get("hub", "/v1/shipments", params={"day": day.isoformat()}, user=page.user),
                page.backend.get("hub", "/v1/hub/stock", params={"day": day.isoformat()}, user=page.user))
        except ApiError as exc:
            return page.render("operator/shipments.html", status=failed(exc), day=day, error=exc.message,
                               groups=[], stock=None, count=0, days=tours_domain.next_days(day), **helpers())
        return page.render("operator/shipments.html", day=day, error=None, count=found.get("count", 0),
                           groups=tours_domain.shipments_by_destination(found.get("shipments") or []),
                           stock=stock, days=tours_domain.next_days(day), **helpers())

    async def board(page: Page, teilnehmer: str | None, tag: str | None, plan: str | None = None, *,
                    status: int = 200, error: str | None = None) -> Response:
        day = tours_domain.day_asked(tag, today_in_berlin())
        errors: list[str] = [error] if error else []
        mine = advice = None
        matches: list[dict] = []
        plans: list[dict] = []
        participant = (teilnehmer or "").strip()
        listings = None
        try:
            listings = await page.backend.get("freight", "/v1/freight/open", params={"day": day.isoformat()},
                                              user=page.user)
        except ApiError as exc:
            errors.append(exc.message)
        if participant:
            try:
                mine = await page.backend.get("freight", "/v1/freight/mine", params={"participant_id": participant},
                                              user=page.user)
                ids = sorted({m["match_id"] for t in mine.get("trips", []) for m in t.get("matches") or []}
                             | {l["match_id"] for l in mine.get("loads", []) if l.get("match_id")})
                found = await asyncio.gather(*(page.backend.get("freight", f"/v1/freight/matches/{i}", user=page.user)
                                               for i in ids), return_exceptions=True)
                matches = [m for m in found if isinstance(m, dict)]
            except ApiError as exc:
                errors.append(exc.message)
                status = status if status != 200 else failed(exc)
        try:
            plans = [p for p in await plans_of(page, day) if p.get("status") == "PLANNED"]
        except ApiError as exc:
            errors.append(exc.message)
        if plan:
            try:
                advice = await page.backend.get("freight", f"/v1/freight/hub-plans/{plan}", user=page.user)
            except ApiError as exc:
                errors.append(exc.message)
                status = status if status != 200 else failed(exc)
        notice = page.session.data.pop("operator_freight_notice", None)
        if notice is not None:
            await page.save()
        return page.render("operator/freight.html", status=status, participant=participant, mine=mine,
                           listings=listings, matches=matches, plans=plans, plan_id=plan, advice=advice, day=day,
                           errors=errors, notice=notice, reasons=DECLINE_REASONS, answer_channels=ANSWER_CHANNELS,
                           **helpers())

    @router.get("/betrieb/fracht", response_class=HTMLResponse)
    async def freight_board(teilnehmer: str | None = None, tag: str | None = None, plan: str | None = None,
                            page: Page = Depends(Staff)) -> Response:
        return await board(page, teilnehmer, tag, plan)

    @router.post("/betrieb/fracht/vorschlaege/{match_id}/{answer}", response_class=HTMLResponse,
                 dependencies=[Depends(csrf_checked)])
    async def answer_for(match_id: str, answer: str, request: Request, page: Page = Depends(Staff)) -> Response:
        """A participant who is not online answers a proposal by phone or at the counter;
        the desk answers for their side (the freight API records the staff member)."""
        form = await form_of(request)
        participant, tag = (form.get("teilnehmer") or "").strip(), form.get("tag")
        side = form.get("side")
        if answer not in ("annehmen", "ablehnen") or side not in SIDES:
            return await board(page, participant, tag, status=404 if side in SIDES else 422, error=page.t(
                "Diese Antwort gibt es nicht: annehmen oder ablehnen, für die Fahrt oder die Ladung.",
                "No such answer: accept or decline, for the trip or the load."))
        body: dict = {"side": side, "channel": choice(form.get("channel"), tuple(ANSWER_CHANNELS), "PHONE")}
        if answer == "ablehnen":
            body["reason"] = choice(form.get("reason"), DECLINE_REASONS, "OTHER")
        action = "accept" if answer == "annehmen" else "decline"
        try:
            await page.backend.post("freight", f"/v1/freight/matches/{match_id}/{action}", json=body, user=page.user)
        except ApiError as exc:
            return await board(page, participant, tag, status=failed(exc), error=exc.message)
        who = participant or page.t("die Seite", "the side")
        if answer == "annehmen":
            notice = page.t(f"Zusage für {who} ist eingetragen. Sobald auch die andere Seite zustimmt, ist die "
                            "Fahrt vereinbart.",
                            f"{who}'s acceptance is recorded. Once the other side accepts too, the ride is agreed.")
        else:
            notice = page.t(f"Absage für {who} ist eingetragen.", f"{who}'s refusal is recorded.")
        page.session.data["operator_freight_notice"] = notice
        await page.save()
        return page.redirect("/betrieb/fracht?" + urlencode({"teilnehmer": participant, "tag": tag or ""}))

    return router
