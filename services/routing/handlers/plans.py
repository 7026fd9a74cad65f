"""logistics.plans: plan requests claimed once, solved off the event loop,
answered once; their outcomes projected into the plans' read model.

A RoutePlanRequested first shows as PENDING in the read model (only if absent,
so a replay after a rebuild brings the view back and never sets an answered
plan back). It is then claimed in one MULTI/EXEC with its processed marker
(`routing.plan_requests:<plan_id>`): the request and a lease in
`routing:plans:solving`. Only the claim starts a solve, so a redelivered
request is never solved twice, and a request answered before (a replay after
the marker expired) is not claimed at all. The solve runs as a background task
whose CPU work happens in a process pool, so the agent moves on at once: the
worker keeps consuming (its own answers too) and keeps answering /readyz while
OR-Tools searches.

The outcome (RoutePlanned or RoutePlanFailed) is decided through the outbox
(`routing.plan_answers:<plan_id>`): "answered" (`routing:plan-outcome:<plan_id>`)
and the event are committed together, then the event is published
(acknowledged), and the lease is dropped after. The first decided outcome wins,
should a recovery have answered meanwhile. If the worker dies in between, the
leader's recovery finds the expired lease: the outbox publishes what it
remembers, or the plan is solved again when nothing was decided. Every request
gets an answer: anything unexpected becomes RoutePlanFailed INTERNAL_ERROR.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Callable, Sequence

from redis.asyncio import Redis

from nahnetz.events import Event, new_event
from nahnetz.messaging.idempotency import ProcessedMarkers, Transaction
from nahnetz.messaging.outbox import DecisionStep, Outbox, pack, unpack
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import RoutePlanFailed, RoutePlanned, RoutePlanRequested

from .. import keys
from ..domain.plan_events import empty_plan_fields, route_planned_fields
from ..domain.plan_views import Outcome
from ..domain.planning import PlanningError, PlanningRules, draft_problem, solve_in_rounds
from ..domain.shipments import ServiceTimes
from ..domain.solver import (
    DEFAULT_STRATEGY,
    PORTFOLIO,
    SearchStrategy,
    SolveStatus,
    check_solution,
    solve_in_pool,
)
from .plan_views import project_outcome, show_pending
from .shipments import shipments_for_day
from .tours import tours_of_plan
from .travel import TravelMatrixSource

log = logging.getLogger(__name__)

PRODUCER = "routing-worker"
PLAN_REQUESTS = "routing.plan_requests"  # the claim of a request
PLAN_ANSWERS = "routing.plan_answers"  # the outbox of its outcome
PUBLISH_RETRY_MAX_S = 5.0

PlanEvent = RoutePlanRequested | RoutePlanned | RoutePlanFailed


def stored(request: RoutePlanRequested) -> str:
    """The request as text for `routing:plan-request:<plan_id>` (Redis replies are str)."""
    return pack([request])


def restored(raw: str) -> RoutePlanRequested:
    [request] = unpack(raw)
    return request


async def on_plan_event(event: PlanEvent, planner: Planner, redis: Redis) -> None:
    if isinstance(event, RoutePlanRequested):
        await planner.on_request(event)
    else:
        await project_outcome(event, redis)


# -- solving -------------------------------------------------------------------------------------
def _now_ms() -> int:
    return int(time.time() * 1000)


class Planner:
    def __init__(self, redis: Redis, producer: EventProducer, matrix: TravelMatrixSource, *,
                 service_times: ServiceTimes = ServiceTimes(), rules: PlanningRules = PlanningRules(),
                 processes: int = 1, lease_margin_s: float = 60.0,
                 pool_factory: Callable[[int], Executor] | None = None):
        self.redis = redis
        self.claims = ProcessedMarkers(redis, PLAN_REQUESTS)
        self.answers = Outbox(redis, producer, PLAN_ANSWERS)
        self.matrix = matrix
        self.service_times = service_times
        self.rules = rules
        self.processes = processes
        self.lease_margin_s = lease_margin_s
        self.strategies: Sequence[SearchStrategy] = PORTFOLIO[:processes] if processes > 1 else (DEFAULT_STRATEGY,)
        self._pool_factory = pool_factory or _spawn_pool
        self._pool: Executor | None = None
        # One solve at a time fills the pool; more would only share its processes.
        self._solving = asyncio.Semaphore(1)
        self.active: dict[str, asyncio.Task] = {}

    # -- the pool ---------------------------------------------------------------------------
    @property
    def pool(self) -> Executor:
        if self._pool is None:
            self._pool = self._pool_factory(self.processes)
        return self._pool

    async def warm_up(self) -> None:
        """Start the pool's processes now (imports OR-Tools), not on the first plan."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self.pool, _ready) for _ in range(self.processes)))

    async def close(self) -> None:
        for task in list(self.active.values()):
            task.cancel()  # the lease expires and recovery finishes the plan
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        await self.matrix.close()

    # -- requests ----------------------------------------------------------------------------
    async def on_request(self, event: RoutePlanRequested) -> bool:
        """Show and claim the request; True when this call started its solve."""
        await show_pending(self.redis, event)
        plan_id = event.plan_id
        lease = _now_ms() + int((event.time_budget_s + self.lease_margin_s) * 1000)

        # A claim causes no event (the answer does, through the outbox): state and marker only.
        async def claim(tx: Transaction) -> str:
            if await tx.read.exists(keys.plan_outcome(plan_id)):
                return "answered"  # answered before (e.g. a replay after the marker expired)
            tx.write.set(keys.plan_request(plan_id), stored(event))
            tx.write.zadd(keys.SOLVING, {plan_id: lease})
            return "claimed"

        outcome = await self.claims.apply(plan_id, claim, watch=[keys.plan_outcome(plan_id)])
        claimed = outcome.applied and outcome.result == "claimed"
        if claimed:
            self.start(plan_id)
        return claimed

    def start(self, plan_id: str) -> None:
        if plan_id in self.active:
            return
        task = asyncio.create_task(self._answer(plan_id), name=f"plan-{plan_id}")
        self.active[plan_id] = task
        task.add_done_callback(lambda _: self.active.pop(plan_id, None))

    async def _answer(self, plan_id: str) -> None:
        try:
            await self._answer_now(plan_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis away for long: the lease runs out and recovery answers
            log.exception("answering the plan failed; recovery retries after its lease", extra={"plan_id": plan_id})

    async def _answer_now(self, plan_id: str) -> None:
        raw = await self.redis.get(keys.plan_request(plan_id))
        if raw is None:
            log.error("claimed plan has no stored request", extra={"plan_id": plan_id})
            await self.redis.zrem(keys.SOLVING, plan_id)
            return
        request = restored(raw)
        async with self._solving:
            try:
                answer = await self.plan(request)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every request gets an answer
                log.exception("planning failed", extra={"plan_id": plan_id})
                answer = failed(request, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")

        async def decide(tx: Transaction) -> list[Event]:
            if await tx.read.exists(keys.plan_outcome(plan_id)):
                return []  # a recovery (or another worker) answered meanwhile: the first answer wins
            tx.write.set(keys.plan_outcome(plan_id), answer.type)
            return [answer]

        await self.settle(plan_id, decide)

    async def plan(self, request: RoutePlanRequested) -> Outcome:
        """RoutePlanned or RoutePlanFailed for the request."""
        try:
            tours = await tours_of_plan(self.redis, request.replan_of) if request.replan_of else []
            on_tours = {leg.shipment_id for tour in tours for leg in tour.fixed_legs()}
            shipments = await shipments_for_day(self.redis, request.day, on_tours)
            draft = draft_problem(request, shipments, tours=tours, service=self.service_times, rules=self.rules)
            inp = draft.with_matrix(await self._matrix(draft.locations))
        except PlanningError as exc:
            return failed(request, exc.reason, exc.message)
        if not inp.problem.jobs:
            return new_event(RoutePlanned, producer=PRODUCER, caused_by=request,
                             **empty_plan_fields(request.plan_id, request.day, inp, matrix_source=self.matrix.source,
                                                 replan_of=request.replan_of))
        inp, solution = await solve_in_rounds(inp, lambda problem: solve_in_pool(self.pool, problem, self.strategies))
        if solution.status is not SolveStatus.SOLVED:
            reasons = "; ".join(sorted({d.detail for d in solution.dropped}))[:500]
            return failed(request, "NO_SOLUTION", f"no plan keeps the fixed stops and required jobs: {reasons}")
        violations = check_solution(inp.problem, solution)
        if violations:
            # Never hand drivers a plan that breaks a rule; the checker is independent of the solver.
            return failed(request, "INTERNAL_ERROR",
                          "the solver's plan failed the check: " + "; ".join(map(str, violations[:5])))
        log.info("planned", extra={"plan_id": request.plan_id, "tours": len(solution.tours),
                                   "dropped": len(solution.dropped) + len(inp.left_out),
                                   "km": round(solution.km, 1), "solve_s": round(solution.solve_seconds, 2)})
        return new_event(RoutePlanned, producer=PRODUCER, caused_by=request,
                         **route_planned_fields(request.plan_id, request.day, inp, solution,
                                                matrix_source=self.matrix.source, replan_of=request.replan_of))

    async def _matrix(self, locations):
        try:
            return await self.matrix.matrix(locations)
        except Exception as exc:
            raise PlanningError("MATRIX_UNAVAILABLE", f"travel times unavailable: {type(exc).__name__}: {exc}") from exc

    async def settle(self, plan_id: str, step: DecisionStep) -> None:
        """Decide the outcome through the outbox and publish it (until the broker
        takes it), then drop the lease. Deciding again is safe: a decided outcome
        is published again only if its publish did not finish."""
        delay = 0.2
        while True:
            try:
                await self.answers.decide(plan_id, step, watch=[keys.plan_outcome(plan_id)])
                break
            except Exception as exc:
                log.warning("publishing the plan failed, retrying: %s", exc, extra={"plan_id": plan_id})
                await asyncio.sleep(delay)
                delay = min(PUBLISH_RETRY_MAX_S, delay * 2)
        await self.redis.zrem(keys.SOLVING, plan_id)

    # -- recovery ------------------------------------------------------------------------------
    async def recover(self) -> list[str]:
        """Plans whose lease expired without a published outcome: publish or solve again."""
        now = _now_ms()
        resumed = []
        for plan_id in await self.redis.zrangebyscore(keys.SOLVING, 0, now):
            if plan_id in self.active:
                continue  # still solving here
            if await self.redis.exists(keys.plan_outcome(plan_id)):
                await self.settle(plan_id, _decided_before)  # publishes what the outbox remembers
            else:
                raw = await self.redis.get(keys.plan_request(plan_id))
                budget = restored(raw).time_budget_s if raw else 0
                await self.redis.zadd(keys.SOLVING, {plan_id: now + int((budget + self.lease_margin_s) * 1000)})
                self.start(plan_id)
            resumed.append(plan_id)
        return resumed


async def _decided_before(tx: Transaction) -> list[Event]:
    return []  # the outcome was decided (and remembered by the outbox) or consumed already


def failed(request: RoutePlanRequested, reason: str, message: str) -> RoutePlanFailed:
    # The operator asking sees it in the plan; the log tells whoever watches the worker.
    log.warning("plan failed: %s: %s", reason, message[:300], extra={"plan_id": request.plan_id, "day": str(request.day)})
    return new_event(RoutePlanFailed, producer=PRODUCER, caused_by=request, plan_id=request.plan_id,
                     reason=reason, message=message)


def _ready() -> bool:
    """Run in each pool process at start: loads OR-Tools before the first plan needs it."""
    import importlib

    importlib.import_module("services.routing.domain.solver.solve")
    return True


def _spawn_pool(processes: int) -> Executor:
    # spawn, not fork: the worker process runs an event loop and client threads.
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))
