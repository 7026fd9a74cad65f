"""The Kreis Höxter region pack is complete enough to run the demo on."""

from nahnetz.regions import load_region

import pytest


def test_hoexter_has_towns_villages_shops_and_pickup_points():
    region = load_region("kreis_hoexter")
    assert region.coordinates_approximate
    assert {t.name for t in region.towns} == {
        "Bad Driburg", "Beverungen", "Borgentreich", "Brakel", "Höxter",
        "Marienmünster", "Nieheim", "Steinheim", "Warburg", "Willebadessen",
    }
    assert len(region.villages) >= 40
    assert len(region.shops) >= 30
    assert len(region.pickup_points) >= 15
    assert {p.kind for p in region.pickup_points} == {"LOCKER", "COUNTER"}


def test_every_place_lies_inside_the_district():
    region = load_region("kreis_hoexter")
    for point in [*region.places, *region.shops, *region.pickup_points, region.hub]:
        assert 51.40 < point.lat < 51.95 and 8.90 < point.lon < 9.50, point


def test_shops_have_goods_of_every_temperature_class_and_hours():
    region = load_region("kreis_hoexter")
    temperatures = {p.temperature for s in region.shops for p in s.products}
    assert temperatures == {"AMBIENT", "CHILLED", "FROZEN"}
    for shop in region.shops:
        assert shop.products and shop.opening_hours
        assert all(p.price_cents > 0 and p.weight_g > 0 and p.volume_ml > 0 for p in shop.products)
    skus = [p.sku for s in region.shops for p in s.products]
    assert len(skus) == len(set(skus))


def test_counters_keep_their_shops_hours_and_lockers_are_always_open():
    region = load_region("kreis_hoexter")
    for point in region.pickup_points:
        if point.kind == "LOCKER":
            assert point.opening_hours == ()
        else:
            assert point.shop_id and point.opening_hours


def test_unknown_region_names_the_known_ones():
    with pytest.raises(KeyError, match="kreis_hoexter"):
        load_region("atlantis")


def test_the_hub_has_a_mixed_fleet_with_a_refrigerated_van():
    fleet = load_region("kreis_hoexter").fleet
    assert 3 <= len(fleet) <= 5
    assert any("FROZEN" in v.temperatures for v in fleet)
    assert all(v.shift_start < v.shift_end and v.max_kg > 0 and v.max_litres > 0 for v in fleet)


# -- Ilzer Land: the freight exchange's region ------------------------------------------------------
def test_ilzer_land_has_its_twelve_municipalities_and_works_as_a_region_of_its_own():
    region = load_region("ilzer-land")   # the id works as well as the file name
    assert region is load_region("ilzer_land")
    assert {t.name for t in region.towns} == {
        "Grafenau", "Schönberg", "Perlesreut", "Röhrnbach", "Hutthurm", "Fürsteneck", "Ringelai", "Saldenburg",
        "Thurmansbang", "Eppenschlag", "Innernzell", "Schöfweg"}
    assert region.coordinates_approximate and region.hub.municipality == "Perlesreut"
    for point in [*region.places, *region.shops, *region.pickup_points, region.hub]:
        assert 48.60 < point.lat < 48.95 and 13.15 < point.lon < 13.65, point
    assert {p.kind for p in region.pickup_points} == {"LOCKER", "COUNTER"}
    assert region.fleet and all(s.products and s.opening_hours for s in region.shops)
    assert all(s.phone.startswith("+49 8552 ") for s in region.shops)
    # Passau and Freyung are where trips go, not where residents live.
    assert {p.name for p in region.outside} == {"Passau", "Freyung"}
    assert not {p.name for p in region.outside} & {p.name for p in region.places}


def test_ilzer_land_has_regular_trips_and_a_freight_day_s_loads():
    region = load_region("ilzer-land")
    kinds = {t.kind for t in region.freight_trips}
    assert {"COMMUTER", "FARMER", "SHOP_RUN"} <= kinds
    destinations = {t.destination.name for t in region.freight_trips}
    assert {"Passau", "Freyung"} <= destinations
    assert any(t.by_phone for t in region.freight_trips) and any(load.by_phone for load in region.freight_loads)
    for trip in region.freight_trips:
        assert trip.weekdays and set(trip.weekdays) <= set(range(1, 8))
        assert trip.room_kg > 0 and trip.detour_km >= 0 and trip.price.rule in {"PER_KM", "FIXED", "FREE"}
    heaviest_room = max(t.room_kg for t in region.freight_trips)
    assert any(load.weight_kg > heaviest_room for load in region.freight_loads), \
        "one load no trip could ever carry, to show how it is reported"


def test_a_region_is_chosen_for_the_whole_stack():
    from nahnetz.stack.config import StackConfig, parse_region
    from nahnetz.stack.processes import StackError

    assert StackConfig.from_env({"NAHNETZ_REGION": "ilzer-land"}).region == "ilzer_land"
    assert StackConfig.from_env({}).region == "kreis_hoexter"
    with pytest.raises(StackError, match="ilzer-land, kreis-hoexter"):
        parse_region("atlantis")
