"""Hub mode on a real day: deliveries weighed between the hub's vans and trips that
pass the hub anyway (services/freight/domain/hub_mode.py)."""

from __future__ import annotations

import math

from services.freight.domain.hub_mode import Delivery, PassingTrip, decide

HUB = (48.778, 13.430)           # Perlesreut
NORTH = Delivery("pp-grafenau", "Grafenau", 48.857, 13.397, 20_000)
SOUTH = Delivery("pp-hutthurm", "Hutthurm", 48.672, 13.472, 5_000)
NEAR = Delivery("pp-perlesreut", "Perlesreut", 48.781, 13.437, 3_000)
COMMUTER = PassingTrip("t-passau", "p-pendlerin", (48.812, 13.437), (48.574, 13.461), 60_000, 8_000, "AMBIENT",
                       "PER_KM", price_per_km_cents=30)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km, written apart from the code under test."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def test_a_delivery_on_a_commuter_s_way_goes_with_them_and_the_rest_on_the_van():
    decision = decide(HUB, [NORTH, SOUTH, NEAR], 800_000, 32, [COMMUTER], seconds=1)
    [handover] = decision.handovers
    assert (handover.place_id, handover.trip_id) == ("pp-hutthurm", "t-passau")
    assert sorted(p for tour in decision.tours for p in tour) == ["pp-grafenau", "pp-perlesreut"]
    # The detour, checked independently: via the hub and the drop, against the direct way (x 1.3).
    via = km(COMMUTER.origin, HUB) + km(HUB, (SOUTH.lat, SOUTH.lon)) + km((SOUTH.lat, SOUTH.lon), COMMUTER.destination)
    extra = (via - km(COMMUTER.origin, COMMUTER.destination)) * 1.3
    assert extra <= 8.0 and abs(handover.detour_km - extra) < 0.2
    assert abs(handover.compensation_cents - 30 * extra) <= 1
    assert decision.cost_cents < decision.vans_only_cents


def test_no_trip_takes_what_breaks_its_limits():
    tight = PassingTrip("t-tight", "p", COMMUTER.origin, COMMUTER.destination, 60_000, 100, "AMBIENT", "FREE")
    small = PassingTrip("t-small", "p", COMMUTER.origin, COMMUTER.destination, 1_000, 8_000, "AMBIENT", "FREE")
    chilled = Delivery("pp-hutthurm", "Hutthurm", 48.672, 13.472, 5_000, temperature="CHILLED")
    for deliveries, trip in (([SOUTH], tight), ([SOUTH], small), ([chilled], COMMUTER)):
        decision = decide(HUB, deliveries, 800_000, 32, [trip], seconds=0.5)
        assert decision.handovers == () and decision.eligible_pairs == 0
        assert decision.tours == (("pp-hutthurm",),)


def test_every_delivery_is_served_once_and_a_van_never_carries_more_than_it_can():
    deliveries = [Delivery(f"pp-{i}", f"P{i}", 48.70 + i * 0.02, 13.35 + (i % 3) * 0.05, 300_000) for i in range(6)]
    decision = decide(HUB, deliveries, 800_000, 32, [COMMUTER], seconds=1)
    served = [p for tour in decision.tours for p in tour] + [h.place_id for h in decision.handovers]
    assert sorted(served) == sorted(d.place_id for d in deliveries)
    weight = {d.place_id: d.weight_g for d in deliveries}
    assert all(sum(weight[p] for p in tour) <= 800_000 for tour in decision.tours)
