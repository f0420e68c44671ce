"""Vector tiles of the map wall decode (mapbox-vector-tile) and hold the right features, and the cache
follows the data: a new case changes the data version and the tile."""
import math

import mapbox_vector_tile
import pytest
from django.db import connection
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from gridgov.cases.models import Case
from maps import cache, tiles
from maps.filters import parse_filters
from tests.factories import build_small_county, make_case, make_user, seed_test_categories

pytestmark = pytest.mark.django_db


def tile_of(lon, lat, z):
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@pytest.fixture
def data(db):
    build_small_county()
    seed_test_categories()
    worker = make_user("worker1", Role.GRID_WORKER)
    a = make_case(worker, lon=119.005, lat=33.015, category="E0101", contact_name="李四", contact_phone="13800000000")
    b = make_case(worker, lon=119.006, lat=33.016, category="E0101")
    closed = make_case(worker, lon=119.004, lat=33.014, category="E0101")
    Case.objects.filter(pk=closed.pk).update(status="closed")
    far = make_case(worker, lon=119.015, lat=33.005, category="E0101")
    return {"open": [a, b], "closed": closed, "far": far, "worker": worker}


def layer(body, name):
    return mapbox_vector_tile.decode(body).get(name, {"features": []})


def test_it_puts_the_open_cases_of_the_tile_in_the_cases_layer(data):
    z, x, y = tile_of(119.005, 33.015, 16)
    version, body, hit = tiles.case_tile(z, x, y, parse_filters({}))
    feats = layer(body, "cases")["features"]
    numbers = {f["properties"]["number"] for f in feats}
    assert numbers == {c.number for c in data["open"]}
    props = feats[0]["properties"]
    assert props["colour"] in {"blue", "yellow", "orange", "red", "overdue"}
    assert set(props) >= {"number", "category", "colour", "status", "urgency", "received"}
    assert not {"contact_name", "contact_phone", "reporter", "description", "address"} & set(props)
    assert all(f["geometry"]["type"] == "Point" for f in feats)


def test_it_places_the_point_where_the_case_is(data):
    z, x, y = tile_of(119.005, 33.015, 18)
    _, body, _ = tiles.case_tile(z, x, y, parse_filters({}))
    feat = [f for f in layer(body, "cases")["features"] if f["properties"]["number"] == data["open"][0].number][0]
    px, py = feat["geometry"]["coordinates"]
    n = 1 << z
    lon = (x + px / tiles.EXTENT) * 360 / n - 180
    # mapbox-vector-tile decodes with y pointing up (y_coord_down=False)
    ty = y + 1 - py / tiles.EXTENT
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))
    assert abs(lon - 119.005) < 1e-5 and abs(lat - 33.015) < 1e-5


def test_it_filters_the_case_tile_by_category(data):
    z, x, y = tile_of(119.005, 33.015, 16)
    _, body, _ = tiles.case_tile(z, x, y, parse_filters({"category": "S01"}))
    assert layer(body, "cases")["features"] == []


def test_it_gives_each_grid_its_counts_in_the_grid_tile(data):
    z, x, y = tile_of(119.005, 33.015, 14)
    _, body, _ = tiles.grid_tile(z, x, y, parse_filters({}))
    grids = {f["properties"]["code"]: f["properties"] for f in layer(body, "grids")["features"]}
    assert set(grids) == {"320831101001001", "320831101001002", "320831101002001", "320831101002002"}
    assert grids["320831101001001"]["open"] == 2
    assert grids["320831101001001"]["total"] == 3
    assert grids["320831101002002"]["open"] == 1
    assert grids["320831101001002"]["open"] == 0
    assert [f["properties"]["code"] for f in layer(body, "streets")["features"]] == ["320831101"]


def test_it_serves_the_cached_tile_until_a_case_changes(data):
    z, x, y = tile_of(119.005, 33.015, 16)
    f = parse_filters({})
    v1, body1, hit1 = tiles.case_tile(z, x, y, f)
    v2, body2, hit2 = tiles.case_tile(z, x, y, f)
    assert (hit1, hit2) == (False, True) and body1 == body2 and v1 == v2
    make_case(data["worker"], lon=119.0052, lat=33.0152, category="E0101")
    v3, body3, hit3 = tiles.case_tile(z, x, y, f)
    assert v3 > v2 and not hit3
    assert len(layer(body3, "cases")["features"]) == 3


def test_it_bumps_the_version_per_writing_statement_and_compaction_keeps_it(data):
    v0 = cache.current_version()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_case SET urgency = urgency")
        v1 = cache.current_version()
        cur.execute("UPDATE cases_case SET urgency = urgency WHERE false")
        v2 = cache.current_version()
        cur.execute("SELECT maps_compact_changes(0)")
    assert v0 < v1 < v2
    assert cache.current_version() == v2


def test_it_refuses_case_tiles_at_district_zoom_over_http(data):
    monitor = make_user("wall", Role.MONITOR)
    client = APIClient()
    client.force_authenticate(monitor)
    r = client.get("/api/v1/maps/tiles/cases/9/426/205.pbf")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "z"
    z, x, y = tile_of(119.005, 33.015, 16)
    r = client.get(f"/api/v1/maps/tiles/cases/{z}/{x}/{y}.pbf")
    assert r.status_code == 200 and r["Content-Type"] == tiles.CONTENT_TYPE
    assert len(layer(r.content, "cases")["features"]) == 2
    r2 = client.get(f"/api/v1/maps/tiles/cases/{z}/{x}/{y}.pbf", HTTP_IF_NONE_MATCH=r["ETag"])
    assert r2.status_code == 304


def test_it_keeps_grid_workers_off_the_wall(data):
    client = APIClient()
    client.force_authenticate(data["worker"])
    assert client.get("/api/v1/maps/dashboard/").status_code == 403
