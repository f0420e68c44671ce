"""Offline base map (issue 15 item 1): generated features, vector tiles, reverse lookup, navigation links."""
import math
from urllib.parse import parse_qs, urlparse

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString, Point

from gridgov.basemap.actions import do_build_basemap
from gridgov.basemap.models import BasemapFeature
from gridgov.basemap.navigation import navigation_links
from tests.factories import api_client, build_small_county, make_user

pytestmark = pytest.mark.django_db


def tile_of(lon, lat, z):
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_it_builds_roads_places_and_settlements_from_the_grid_units_idempotently():
    build_small_county()
    first = do_build_basemap("320831")
    assert first.counts["town"] >= 1 and first.counts["village"] >= 1 and first.counts.get("minor_road", 0) >= 1
    n = BasemapFeature.objects.count()
    do_build_basemap("320831")
    assert BasemapFeature.objects.count() == n
    assert not BasemapFeature.objects.exclude(source="demo:320831").exists()


def test_it_serves_a_tile_with_the_road_and_place_names():
    user = make_user("w1")
    BasemapFeature.objects.create(kind="minor_road", name="王庄路", source="test",
                                  geom=LineString((119.000, 33.000), (119.010, 33.000), srid=4326))
    BasemapFeature.objects.create(kind="village", name="王庄村", source="test", geom=Point(119.005, 33.001, srid=4326))
    z, x, y = tile_of(119.005, 33.0005, 14)
    resp = api_client(user).get(f"/api/v1/geo/tiles/{z}/{x}/{y}.pbf")
    assert resp.status_code == 200
    layers = mapbox_vector_tile.decode(resp.content)
    assert [f["properties"]["name"] for f in layers["roads"]["features"]] == ["王庄路"]
    assert [f["properties"]["name"] for f in layers["places"]["features"]] == ["王庄村"]


def test_it_finds_the_nearest_road_and_village_for_an_address():
    user = make_user("w1")
    BasemapFeature.objects.create(kind="minor_road", name="近路", source="test",
                                  geom=LineString((119.000, 33.0005), (119.010, 33.0005), srid=4326))
    BasemapFeature.objects.create(kind="minor_road", name="远路", source="test",
                                  geom=LineString((119.000, 33.010), (119.010, 33.010), srid=4326))
    BasemapFeature.objects.create(kind="village", name="近村", source="test", geom=Point(119.004, 33.001, srid=4326))
    BasemapFeature.objects.create(kind="village", name="远村", source="test", geom=Point(119.004, 33.02, srid=4326))
    body = api_client(user).get("/api/v1/geo/reverse/", {"lon": 119.005, "lat": 33.0}).json()
    assert body["road"]["name"] == "近路" and 50 < body["road"]["distance_m"] < 60
    assert body["place"]["name"] == "近村"
    assert body["address"].startswith("近村附近，近路旁约")


@pytest.mark.parametrize("query, field", [({"lat": 33.0}, "lon"), ({"lon": "abc", "lat": 33.0}, "lon"),
                                          ({"lon": 119.0, "lat": 95}, "lat"), ({"lon": 119, "lat": 33, "datum": "x"}, "datum")])
def test_it_refuses_bad_reverse_input_naming_the_field(query, field):
    resp = api_client(make_user("w1")).get("/api/v1/geo/reverse/", query)
    assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == field


def test_it_builds_amap_and_baidu_links_in_their_datums():
    links = navigation_links(116.397, 39.909, "天安门")
    amap = parse_qs(urlparse(links["amap"]["web"]).query)
    glon, glat = map(float, amap["to"][0].split(",")[:2])
    assert urlparse(links["amap"]["web"]).netloc == "uri.amap.com"
    assert abs(glat - 39.91040342) < 1e-6 and abs(glon - 116.40324361) < 1e-6
    app = parse_qs(urlparse(links["amap"]["app"]).query)
    assert links["amap"]["app"].startswith("amapuri://") and abs(float(app["dlat"][0]) - 39.91040342) < 1e-6
    baidu = parse_qs(urlparse(links["baidu"]["web"]).query)
    blat, blon = map(float, baidu["location"][0].split(","))
    assert urlparse(links["baidu"]["web"]).netloc == "api.map.baidu.com" and baidu["coord_type"] == ["bd09ll"]
    assert abs(blat - 39.91674425) < 1e-6 and abs(blon - 116.40961580) < 1e-6
    assert links["baidu"]["app"].startswith("baidumap://map/direction?destination=latlng:39.916744,116.409616")
