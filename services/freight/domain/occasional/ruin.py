"""Ruin and recreate for the hub's day: SISR (slack induction by string removals,
Christiaens and Vanden Berghe 2020), adapted to occasional drivers.

Each step takes a random customer and cuts strings (runs of consecutive customers)
out of the tours nearest to it, taking back the parcels of drivers among its
neighbours (which frees those drivers); now and then it removes a whole small tour
instead, which is how the number of tours comes down. The removed customers go
back one by one (in a random one of four orders) to the cheapest of: a place in a
tour with room, a tour of their own, or the cheapest free eligible driver; a few
places are skipped at random (SISR's blinks). The result replaces the current plan
by simulated annealing (temperature falling exponentially with the time used).
Every `improve_every` seconds the best plan's tours are untangled (2-opt) and the
caller's `improve` (the exact hand-over move, `reassign`) is applied to it.

Pure Python: a step takes a fraction of a millisecond for a hundred customers,
tens of thousands of steps in 10 s.
"""

from __future__ import annotations

import math
import random
import time
from typing import Callable

from .instance import HubInstance
from .plan import HubPlan


class _State:
    __slots__ = ("routes", "loads", "driver_of", "customer_of", "cost")

    def __init__(self, routes, loads, driver_of, customer_of, cost):
        self.routes = routes  # list of lists of nodes
        self.loads = loads
        self.driver_of = driver_of  # node -> driver position, for handed-over nodes
        self.customer_of = customer_of  # driver position -> node
        self.cost = cost

    def copy(self) -> "_State":
        return _State([r[:] for r in self.routes], self.loads[:], dict(self.driver_of), dict(self.customer_of), self.cost)


class RuinRecreate:
    def __init__(self, instance: HubInstance, seed: int = 0, route_removal: float = 0.05) -> None:
        self.instance = instance
        self.route_removal = route_removal
        self.rng = random.Random(seed)
        customers = instance.customers
        self.n = n = len(customers)
        self.ids = [0] + [c.id for c in customers]
        node_of = self.node_of = {c.id: j for j, c in enumerate(customers, start=1)}
        self.D = [[instance.distance(a, b) for b in self.ids] for a in self.ids]
        self.demand = [0] + [c.demand for c in customers]
        self.Q = instance.capacity
        self.driver_ids = [d.id for d in instance.drivers]
        # per node: (price, driver position) cheapest first
        self.offers: list[list[tuple[float, int]]] = [[] for _ in range(n + 1)]
        for pos, d in enumerate(instance.drivers):
            for i, c in d.compensation.items():
                self.offers[node_of[i]].append((c, pos))
        # Cheapest first; at equal price the driver with fewer other customers first,
        # so that the flexible drivers stay free for the customers that need them.
        choices = [len(d.compensation) for d in instance.drivers]
        for o in self.offers:
            o.sort(key=lambda offer: (offer[0], choices[offer[1]]))
        self.near = [sorted(range(1, n + 1), key=lambda j, i=i: self.D[i][j]) for i in range(n + 1)]

    # --- plan conversion ---------------------------------------------------------------

    def state_of(self, plan: HubPlan) -> _State:
        routes = [[self.node_of[i] for i in r] for r in plan.routes if r]
        loads = [sum(self.demand[j] for j in r) for r in routes]
        position = {k: p for p, k in enumerate(self.driver_ids)}
        driver_of, customer_of = {}, {}
        for k, cs in plan.handovers.items():
            for i in cs:
                driver_of[self.node_of[i]] = position[k]
                customer_of[position[k]] = self.node_of[i]
        state = _State(routes, loads, driver_of, customer_of, 0.0)
        state.cost = self.cost(state)
        return state

    def plan_of(self, state: _State) -> HubPlan:
        routes = tuple(tuple(self.ids[j] for j in r) for r in state.routes if r)
        handovers = {self.driver_ids[p]: (self.ids[j],) for p, j in sorted(state.customer_of.items())}
        return HubPlan(routes=routes, handovers=dict(sorted(handovers.items())))

    def cost(self, state: _State) -> float:
        D = self.D
        total = 0.0
        for r in state.routes:
            if r:
                total += D[0][r[0]] + D[r[-1]][0] + sum(D[a][b] for a, b in zip(r, r[1:]))
        return total + sum(self._price(j, p) for j, p in state.driver_of.items())

    # --- the two halves of a step ----------------------------------------------------

    def ruin(self, state: _State, average: int) -> list[int]:
        """SISR's ruin: strings (runs of consecutive customers) cut out of the tours
        nearest to a random customer; customers of drivers among those neighbours
        are taken back too. Sometimes a whole small tour goes instead: recreating
        without it is how the number of tours comes down."""
        rng = self.rng
        routes = [r for r in state.routes if r]
        if routes and rng.random() < self.route_removal:
            smallest = sorted(range(len(routes)), key=lambda r: len(routes[r]))[: max(1, len(routes) // 3)]
            gone = set(routes[rng.choice(smallest)])
        else:
            gone = set()
            route_of = {j: r for r, route in enumerate(routes) for j in route}
            mean_length = sum(map(len, routes)) / len(routes) if routes else 1
            string_max = max(1.0, min(10.0, mean_length))
            strings_max = 4 * average / (1 + string_max) - 1
            strings = int(rng.uniform(1, strings_max + 1))
            seed = rng.randint(1, self.n)
            ruined: set[int] = set()
            for j in self.near[seed]:
                if len(ruined) >= strings and len(gone) >= 1:
                    break
                if j in gone:
                    continue
                if j in state.driver_of:
                    if len(gone) < 2 * average:
                        gone.add(j)
                    continue
                r = route_of.get(j)
                if r is None or r in ruined:
                    continue
                ruined.add(r)
                route = routes[r]
                length = int(rng.uniform(1, min(len(route), string_max) + 1))
                at = route.index(j)
                first = rng.randint(max(0, at - length + 1), min(at, len(route) - length))
                gone.update(route[first : first + length])
        delta = 0.0
        for j in gone:
            if j in state.driver_of:
                p = state.driver_of.pop(j)
                del state.customer_of[p]
                delta -= self._price(j, p)
        kept_routes = []
        for r in state.routes:
            if any(j in gone for j in r):
                kept = [j for j in r if j not in gone]
                delta += self._length(kept) - self._length(r)
                r = kept
            if r:
                kept_routes.append(r)
        state.routes = kept_routes
        state.loads = [sum(self.demand[j] for j in r) for r in kept_routes]
        state.cost += delta
        return list(gone)

    def recreate(self, state: _State, removed: list[int]) -> None:
        D, demand, Q = self.D, self.demand, self.Q
        order = self.rng.random()
        if order < 0.4:
            self.rng.shuffle(removed)
        elif order < 0.7:
            removed.sort(key=lambda j: -demand[j])
        elif order < 0.85:
            removed.sort(key=lambda j: -D[0][j])
        else:
            removed.sort(key=lambda j: D[0][j])
        for j in removed:
            best = 2 * D[0][j]
            where = None  # None: a tour of its own
            taken = state.customer_of
            for c, p in self.offers[j]:
                if p not in taken:
                    if c < best:
                        best, where = c, ("driver", p)
                    break  # offers are sorted: the first free one is the cheapest
            # Or take a driver from its customer, who moves to another free driver
            # (an augmenting path of length two: keeps the hand-overs a large matching).
            for c, p in self.offers[j]:
                if c >= best:
                    break
                other = taken.get(p)
                if other is None:
                    continue
                held = self._price(other, p)
                for c2, p2 in self.offers[other]:
                    if c + c2 - held >= best:
                        break
                    if p2 not in taken:
                        best, where = c + c2 - held, ("swap", p, other, p2)
                        break
            Dj = D[j]
            for r_index, r in enumerate(state.routes):
                if state.loads[r_index] + demand[j] > Q:
                    continue
                previous = 0
                for position, node in enumerate(r):
                    extra = Dj[previous] + Dj[node] - D[previous][node]
                    if extra < best and self.rng.random() > 0.01:  # blinks: SISR's randomisation
                        best, where = extra, ("route", r_index, position)
                    previous = node
                extra = Dj[previous] + Dj[0] - D[previous][0]
                if extra < best:
                    best, where = extra, ("route", r_index, len(r))
            if where is None:
                state.routes.append([j])
                state.loads.append(demand[j])
            elif where[0] == "driver":
                state.driver_of[j] = where[1]
                state.customer_of[where[1]] = j
            elif where[0] == "swap":
                _, p, other, p2 = where
                state.driver_of[other] = p2
                state.customer_of[p2] = other
                state.driver_of[j] = p
                state.customer_of[p] = j
            else:
                state.routes[where[1]].insert(where[2], j)
                state.loads[where[1]] += demand[j]
            state.cost += best

    def _price(self, j: int, p: int) -> float:
        for c, q in self.offers[j]:
            if q == p:
                return c
        raise KeyError((j, p))

    def _length(self, r: list[int]) -> float:
        if not r:
            return 0.0
        D = self.D
        return D[0][r[0]] + D[r[-1]][0] + sum(D[a][b] for a, b in zip(r, r[1:]))

    def two_opt(self, state: _State) -> None:
        """Untangles every tour (2-opt, first improvement): ruin and recreate alone
        is slow at straightening long tours."""
        D = self.D
        for r_index, r in enumerate(state.routes):
            tour = [0] + r + [0]
            improved = True
            while improved:
                improved = False
                for a in range(len(tour) - 3):
                    ta, tb = tour[a], tour[a + 1]
                    dab = D[ta][tb]
                    for c in range(a + 2, len(tour) - 1):
                        tc, td = tour[c], tour[c + 1]
                        change = D[ta][tc] + D[tb][td] - dab - D[tc][td]
                        if change < -1e-10:
                            tour[a + 1 : c + 1] = tour[a + 1 : c + 1][::-1]
                            state.cost += change
                            improved = True
                            ta, tb = tour[a], tour[a + 1]
                            dab = D[ta][tb]
            state.routes[r_index] = tour[1:-1]

    # --- the search --------------------------------------------------------------------

    def run(
        self,
        deadline: float,
        removed: int = 10,
        improve: Callable[[HubPlan], HubPlan | None] | None = None,
        improve_every: float = 1.0,
        start: HubPlan | None = None,
    ) -> HubPlan:
        """The best plan found by `deadline` (time.monotonic()). `improve` is
        applied to the best plan every `improve_every` seconds (after 2-opt)."""
        started = time.monotonic()
        if start is None:
            state = _State([], [], {}, {}, 0.0)
            self.recreate(state, list(range(1, self.n + 1)))
        else:
            state = self.state_of(start)
        state.cost = self.cost(state)
        best = state.copy()
        span = max(1e-3, deadline - started)
        t0, t1 = 0.005 * best.cost, 0.00005 * best.cost
        next_improve = started + improve_every
        steps = 0
        now = started
        while True:
            if steps % 16 == 0:  # the clock is read every few steps: a step is short
                now = time.monotonic()
            if now >= deadline:
                break
            steps += 1
            candidate = state.copy()
            self.recreate(candidate, self.ruin(candidate, removed))
            temperature = t0 * (t1 / t0) ** min(1.0, (now - started) / span)
            if candidate.cost < state.cost - temperature * math.log(self.rng.random() or 1e-12):
                state = candidate
                if state.cost < best.cost - 1e-9:
                    best = state.copy()
            if now >= next_improve:
                next_improve = now + improve_every
                polished = best.copy()
                self.two_opt(polished)
                if polished.cost < best.cost - 1e-9:
                    best, state = polished, polished.copy()
                better = improve(self.plan_of(best)) if improve is not None else None
                if better is not None:
                    moved = self.state_of(better)
                    if moved.cost < best.cost - 1e-9:
                        best, state = moved, moved.copy()
        self.steps = steps
        self.two_opt(best)
        return self.plan_of(best)
