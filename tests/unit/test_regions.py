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
