import math

import pytest
from django.utils import timezone

from geodata.datums import from_wgs84, to_wgs84
from gridgov.core.errors import FieldError
from gridgov.grids.actions import UnitInput, do_upsert_units
from gridgov.grids.locate import PointOutsideGrids, locate, locate_many
from gridgov.grids.models import GridBoundary, GridUnit
from tests.factories import box

pytestmark = pytest.mark.django_db

X0, Y0, D = 119.0, 33.0, 0.01


def metres(lon1, lat1, lon2, lat2):
    dx = (lon1 - lon2) * 111_320 * math.cos(math.radians(lat1))
    dy = (lat1 - lat2) * 110_574
    return math.hypot(dx, dy)


def test_it_finds_the_finest_grid_and_its_ancestors(county):
    found = locate(X0 + 0.005, Y0 + 0.015)
    assert found.unit.code == "320831101001001"
    assert [a.code for a in found.ancestors] == ["320831", "320831101", "320831101001"]
    assert [a.level for a in found.ancestors] == [1, 2, 3]
    assert found.as_dict()["ancestors"][2]["name"] == "北村"


def test_it_finds_each_grid_of_the_block(county):
    assert locate(X0 + 0.015, Y0 + 0.015).unit.code == "320831101001002"
    assert locate(X0 + 0.005, Y0 + 0.005).unit.code == "320831101002001"
    assert locate(X0 + 0.015, Y0 + 0.005).unit.code == "320831101002002"


def test_a_point_on_a_shared_edge_always_gets_the_same_single_grid(county):
    # the vertical edge between 北村一 and 北村二
    codes = {locate(X0 + D, Y0 + 0.015).unit.code for _ in range(5)}
    assert codes == {"320831101001001"}
    # the horizontal edge between the two communities
    assert locate(X0 + 0.005, Y0 + D).unit.code == "320831101001001"


def test_a_point_on_a_vertex_shared_by_four_grids_gets_one_grid(county):
    assert locate(X0 + D, Y0 + D).unit.code == "320831101001001"


def test_bulk_and_single_agree_on_edges_and_vertices(county):
    pts = [(X0 + D, Y0 + 0.015), (X0 + D, Y0 + D), (X0 + 0.015, Y0 + 0.005), (X0 + 0.5, Y0 + 0.5)]
    ids = locate_many([p[0] for p in pts], [p[1] for p in pts])
    singles = [GridUnit.objects.get(code=locate(*p).unit.code).id for p in pts[:3]]
    assert ids[:3] == singles
    assert ids[3] is None


def test_outside_every_grid_names_the_nearest_and_the_distance(county):
    with pytest.raises(PointOutsideGrids) as err:
        locate(X0 + 0.03, Y0 + 0.015)  # 0.01° east of the block
    nearest = err.value.extra["nearest"]
    assert nearest["code"] == "320831101001002"
    assert 900 < nearest["distance_m"] < 1000  # 0.01° of longitude at 33°N ≈ 934 m
    assert "最近的网格" in err.value.message_zh


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_each_datum_lands_in_the_same_grid(county, datum):
    lon, lat = X0 + 0.005, Y0 + 0.015
    vlon, vlat = from_wgs84(lon, lat, datum)
    assert metres(lon, lat, vlon, vlat) > 100  # the vendor offset is real
    assert locate(vlon, vlat, datum).unit.code == "320831101001001"
    assert locate(lon, lat, "cgcs2000").unit.code == "320831101001001"


def test_conversion_matches_the_reference_point_to_a_metre():
    lon, lat = to_wgs84(116.40324361, 39.91040342, "gcj02")
    assert metres(lon, lat, 116.397, 39.909) < 1
    lon, lat = to_wgs84(116.40961580, 39.91674425, "bd09")
    assert metres(lon, lat, 116.397, 39.909) < 1


@pytest.mark.parametrize("lon,lat,datum,field,code", [
    (None, 33.0, "wgs84", "lon", "required"),
    ("abc", 33.0, "wgs84", "lon", "not_a_number"),
    ("nan", 33.0, "wgs84", "lon", "not_finite"),
    (119.0, "inf", "wgs84", "lat", "not_finite"),
    (0, 0, "wgs84", "lon", "gps_failure"),
    (33.0, 119.0, "wgs84", "lat", "swapped"),
    (119.0, 95.0, "wgs84", "lat", "out_of_range"),
    (190.0, 33.0, "wgs84", "lon", "out_of_range"),
    (119.0, 33.0, "mars", "datum", "unknown_datum"),
])
def test_it_refuses_bad_input_saying_which(county, lon, lat, datum, field, code):
    with pytest.raises(FieldError) as err:
        locate(lon, lat, datum)
    assert err.value.field == field
    assert err.value.code == code


def test_locate_at_an_earlier_time_uses_the_boundary_valid_then(county):
    before = timezone.now()
    # move the boundary between 北村一 and 北村二 east by half a cell
    c1 = "320831101001"
    do_upsert_units([
        UnitInput(c1 + "001", "北村一网格", box(X0, Y0 + D, X0 + 1.5 * D, Y0 + 2 * D)),
        UnitInput(c1 + "002", "北村二网格", box(X0 + 1.5 * D, Y0 + D, X0 + 2 * D, Y0 + 2 * D)),
    ], source="v2")
    p = (X0 + 0.012, Y0 + 0.015)
    assert locate(*p).unit.code == c1 + "001"
    assert locate(*p, at=before).unit.code == c1 + "002"
    assert GridBoundary.objects.filter(unit__code=c1 + "001").count() == 2


def test_api_locate_returns_json_and_json_errors(api, county):
    ok = api.get("/api/v1/grids/locate/", {"lon": X0 + 0.005, "lat": Y0 + 0.015})
    assert ok.status_code == 200
    assert ok.json()["code"] == "320831101001001"
    assert [a["code"] for a in ok.json()["ancestors"]] == ["320831", "320831101", "320831101001"]
    bad = api.get("/api/v1/grids/locate/", {"lon": "x", "lat": Y0})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "lon"
    assert bad.json()["errors"][0]["message_en"]
    far = api.get("/api/v1/grids/locate/", {"lon": X0 + 0.5, "lat": Y0})
    assert far.status_code == 404
    assert far.json()["errors"][0]["nearest"]["code"].startswith("320831101")


def test_api_requires_login(county):
    from rest_framework.test import APIClient
    assert APIClient().get("/api/v1/grids/locate/", {"lon": X0, "lat": Y0}).status_code in (401, 403)


def test_areas_are_square_metres_not_degrees(county):
    grid = GridUnit.objects.get(code="320831101001001")
    # 0.01° × 0.01° at 33°N ≈ 934 m × 1109 m
    assert 1.0e6 < grid.area_m2 < 1.1e6


def test_the_database_refuses_an_invalid_geometry(county):
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import IntegrityError, transaction
    bowtie = MultiPolygon(Polygon(((0, 0), (1, 1), (1, 0), (0, 1), (0, 0))), srid=4326)
    with pytest.raises(IntegrityError), transaction.atomic():
        GridUnit.objects.create(code="320831102", name="x", level=2,
                                parent=GridUnit.objects.get(code="320831"), geom=bowtie)


def test_the_database_refuses_a_code_of_the_wrong_length(county):
    from django.db import IntegrityError, transaction
    with pytest.raises(IntegrityError), transaction.atomic():
        GridUnit.objects.create(code="3208311", name="x", level=2,
                                parent=GridUnit.objects.get(code="320831"), geom=box(0, 0, 1, 1))


def test_reimporting_the_same_units_changes_nothing(county):
    before = GridBoundary.objects.count()
    result = do_upsert_units(county, source="again")
    assert result.summary() == {"created": 0, "changed": 0, "unchanged": 8, "retired": 0}
    assert GridBoundary.objects.count() == before
