"""The matrix providers: great circle with circuity and speeds, OSRM's table
answer parsed (through an httpx MockTransport), and the pair cache."""

from __future__ import annotations


import httpx
import pytest

from nahnetz.geo import (CachedMatrix, GeoPoint, GreatCircleMatrix, MatrixProvider, MatrixUnavailable,
                         OsrmMatrix, SpeedProfile, TravelTimes, haversine_m)

HOEXTER = GeoPoint(51.7739, 9.3816)
BRAKEL = GeoPoint(51.7166, 9.1828)
WARBURG = GeoPoint(51.4925, 9.1416)


def test_haversine_matches_a_known_distance():
    # One degree of latitude along a meridian is 111.2 km on the mean sphere.
    assert haversine_m(GeoPoint(51.0, 9.0), GeoPoint(52.0, 9.0)) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(HOEXTER, HOEXTER) == 0


async def test_great_circle_stretches_the_line_by_the_circuity():
    distances, durations = await GreatCircleMatrix(circuity=1.3).matrix([HOEXTER, BRAKEL])
    straight = haversine_m(HOEXTER, BRAKEL)
    assert distances[0][1] == round(straight * 1.3)
    assert distances[0][1] == distances[1][0]
    assert distances[0][0] == durations[1][1] == 0


async def test_constant_speed_gives_distance_over_speed():
    provider = GreatCircleMatrix(circuity=1.0, speeds=SpeedProfile.constant(50))
    distances, durations = await provider.matrix([HOEXTER, WARBURG])
    assert durations[0][1] == round(distances[0][1] / (50 / 3.6))


def test_speed_profile_short_trips_are_slower_per_km_and_time_grows_with_distance():
    speeds = SpeedProfile()
    per_km = [speeds.seconds(m) / (m / 1000) for m in (1_000, 10_000, 50_000)]
    assert per_km[0] > per_km[1] > per_km[2]
    times = [speeds.seconds(m) for m in range(0, 60_000, 500)]
    assert times == sorted(times)
    assert speeds.seconds(1_000) == pytest.approx(1_000 / (30 / 3.6))


def test_circuity_below_one_is_refused():
    with pytest.raises(ValueError):
        GreatCircleMatrix(circuity=0.9)


def _osrm_handler(requests: list[httpx.Request]):
    """A fake OSRM: distance = 1000 x |i - j| between the points' latitudes' ranks."""

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        coords = request.url.path.split("/table/v1/driving/")[1].split(";")
        lats = [float(c.split(",")[1]) for c in coords]
        sources = [int(k) for k in request.url.params.get("sources", "").split(";") if k] or list(range(len(lats)))
        dests = [int(k) for k in request.url.params.get("destinations", "").split(";") if k] or list(range(len(lats)))
        assert request.url.params["annotations"] == "distance,duration"
        body = {
            "code": "Ok",
            "distances": [[abs(lats[s] - lats[d]) * 1000.4 for d in dests] for s in sources],
            "durations": [[abs(lats[s] - lats[d]) * 60.2 for d in dests] for s in sources],
        }
        return httpx.Response(200, json=body)

    return handle


async def test_osrm_table_is_parsed_lon_lat_order_and_rounded():
    requests: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(_osrm_handler(requests))) as client:
        points = [GeoPoint(1.0, 9.5), GeoPoint(3.0, 9.6), GeoPoint(4.0, 9.7)]
        distances, durations = await OsrmMatrix("http://osrm:5000/", client).matrix(points)
    assert distances == [[0, 2001, 3001], [2001, 0, 1000], [3001, 1000, 0]]
    assert durations[0][2] == round(3 * 60.2)
    assert len(requests) == 1
    assert requests[0].url.path.startswith("/table/v1/driving/9.500000,1.000000;9.600000,3.000000")


async def test_osrm_large_requests_go_in_blocks_and_fill_the_whole_matrix():
    requests: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(_osrm_handler(requests))) as client:
        points = [GeoPoint(float(i), 9.0) for i in range(7)]
        distances, _ = await OsrmMatrix("http://osrm", client, max_points=4).matrix(points)
    assert distances == [[round(abs(i - j) * 1000.4) for j in range(7)] for i in range(7)]
    assert len(requests) == 16  # blocks of 2: 4 x 4
    assert all(len(r.url.path.split("/")[-1].split(";")) <= 4 for r in requests)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(400, json={"code": "InvalidQuery", "message": "Query string malformed"}),
        httpx.Response(200, json={"code": "Ok", "distances": [[0, None], [None, 0]], "durations": [[0, 1], [1, 0]]}),
        httpx.Response(502, text="bad gateway"),
    ],
)
async def test_osrm_errors_and_unroutable_points_raise_matrix_unavailable(response):
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: response)) as client:
        with pytest.raises(MatrixUnavailable):
            await OsrmMatrix("http://osrm", client).matrix([HOEXTER, BRAKEL])


class CountingMatrix(MatrixProvider):
    def __init__(self) -> None:
        self.calls = 0
        self.inner = GreatCircleMatrix()

    async def matrix(self, points):
        self.calls += 1
        return await self.inner.matrix(points)


async def test_cache_answers_known_pairs_without_asking_again():
    counting = CountingMatrix()
    cache = CachedMatrix(counting)
    first = await cache.matrix([HOEXTER, BRAKEL, WARBURG])
    # Same places in another order, coordinates off by a few centimetres: all known.
    again = await cache.matrix([GeoPoint(WARBURG.lat + 1e-7, WARBURG.lon), HOEXTER])
    assert counting.calls == 1
    assert again == TravelTimes([[0, first.distances_m[2][0]], [first.distances_m[0][2], 0]],
                                [[0, first.durations_s[2][0]], [first.durations_s[0][2], 0]])
    await cache.matrix([HOEXTER, GeoPoint(51.0, 9.0)])
    assert counting.calls == 2


async def test_cache_forgets_least_recently_used_pairs_beyond_its_size():
    counting = CountingMatrix()
    cache = CachedMatrix(counting, max_pairs=4)
    await cache.matrix([HOEXTER, BRAKEL])  # 4 pairs
    await cache.matrix([HOEXTER, WARBURG])  # 4 more: Brakel's pairs go
    await cache.matrix([HOEXTER, WARBURG])
    assert counting.calls == 2
    await cache.matrix([HOEXTER, BRAKEL])
    assert counting.calls == 3


def test_points_outside_wgs84_are_refused():
    with pytest.raises(ValueError):
        GeoPoint(91.0, 9.0)
