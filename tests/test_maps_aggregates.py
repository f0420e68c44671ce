"""District aggregates match plain counts: the grid choropleth, hexagon bins, heat cells and the panels."""
import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.cases.models import Case
from gridgov.grids.models import GridUnit
from maps import aggregates, selectors
from maps.filters import parse_filters
from tests.factories import build_small_county, make_case, make_user, seed_test_categories

pytestmark = pytest.mark.django_db

POINTS = [  # (lon, lat, category, days ago, closed)
    (119.002, 33.012, "E0101", 0, False), (119.003, 33.013, "E0101", 1, True), (119.004, 33.018, "E0102", 3, False),
    (119.012, 33.012, "E0101", 5, False), (119.015, 33.015, "S0101", 10, True), (119.005, 33.005, "E0101", 40, True),
    (119.006, 33.004, "S0101", 2, False), (119.017, 33.003, "E0101", 0, False),
]


@pytest.fixture
def data(db):
    units = build_small_county()
    GridUnit.objects.filter(level=4).update(population=500)
    seed_test_categories()
    worker = make_user("worker1", Role.GRID_WORKER)
    now = timezone.now()
    for lon, lat, cat, ago, closed in POINTS:
        case = make_case(worker, lon=lon, lat=lat, category=cat)
        Case.objects.filter(pk=case.pk).update(received_at=now - dt.timedelta(days=ago, minutes=5),
                                               status="closed" if closed else "reported",
                                               closed_at=now if closed else None)
    return units


def sql_counts(where):
    with connection.cursor() as cur:
        cur.execute(f"SELECT grid_code, count(*) FROM cases_case c WHERE {where} GROUP BY 1")
        return dict(cur.fetchall())


def test_it_counts_open_and_period_cases_per_grid_like_sql(data):
    filters = parse_filters({"period": "30d"})
    _, body, _ = aggregates.grid_choropleth(filters)
    fc = json.loads(body)
    props = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert len(props) == 4 and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
    open_sql = sql_counts("status NOT IN ('closed', 'merged')")
    period_sql = sql_counts("received_at >= now() - interval '29 days 12 hours'")
    for code, p in props.items():
        assert p["open"] == open_sql.get(code, 0)
        assert p["total"] == period_sql.get(code, 0)
        assert p["per_1000"] == round(p["total"] * 1000 / 500, 2)
    assert sum(p["open"] for p in props.values()) == 5
    assert sum(p["total"] for p in props.values()) == 7


def test_it_filters_by_category_group_and_period(data):
    _, body, _ = aggregates.grid_choropleth(parse_filters({"period": "7d", "category": "E01"}))
    props = [f["properties"] for f in json.loads(body)["features"]]
    assert sum(p["total"] for p in props) == 5       # E01xx within 7 days (the 10- and 40-day ones are out)
    assert sum(p["open"] for p in props) == 4        # open E01xx whatever their age


def test_it_bins_every_case_in_exactly_one_hexagon(data):
    filters = parse_filters({"period": "365d"})
    _, body, _ = aggregates.hexbins(filters, size=300, what="period")
    fc = json.loads(body)
    assert sum(f["properties"]["n"] for f in fc["features"]) == len(POINTS)
    # each case lies inside the hexagon it was counted in
    with connection.cursor() as cur:
        for f in fc["features"]:
            cur.execute("SELECT count(*) FROM cases_case WHERE ST_Covers(ST_GeomFromGeoJSON(%s), point)",
                        [json.dumps(f["geometry"])])
            assert cur.fetchone()[0] == f["properties"]["n"]
    _, body0, _ = aggregates.hexbins(filters, size=300, what="period", zeros=True)
    assert len(json.loads(body0)["features"]) > len(fc["features"])


def test_it_sums_heat_cells_to_the_period_count(data):
    d = json.loads(aggregates.heat(parse_filters({"period": "7d"}), zoom=14)[1])
    assert sum(p[2] for p in d["points"]) == 6 and d["max"] >= 1


def test_it_fills_the_panels_from_the_same_counts(data):
    d = json.loads(selectors.dashboard()[1])
    assert d["kpi"]["open"] == 5
    assert d["kpi"]["today_intake"] == sum(1 for p in POINTS if p[3] == 0)
    assert sum(d["kpi"]["by_colour"].values()) == 5
    assert sum(r["intake"] for r in d["trend"]) == 7
    assert sum(r["n"] for r in d["categories"]) == 7
    assert [r["code"] for r in d["streets"]] == ["320831101"] and d["streets"][0]["total"] == 7
    assert len(d["ticker"]) == len(POINTS)
    flat = json.dumps(d, ensure_ascii=False)
    assert "worker1" not in flat and "contact" not in flat


def test_it_describes_a_grid_without_personal_data(data):
    g = selectors.grid_detail("320831101001001", parse_filters({"period": "30d"}))
    assert g["open"] == 2 and g["total"] == 3 and g["street"] == "测试镇" and g["community"] == "北村"
    assert set(g) & {"workers"} and not set(g) & {"contact_name", "contact_phone", "reporter"}


def test_it_answers_404_for_an_unknown_case_or_grid(data):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user("wall", Role.MONITOR))
    r = client.get("/api/v1/maps/cases/NOSUCHCASE/")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "number"
    r = client.get("/api/v1/maps/grids/320831999999999/")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "code"
    r = client.get("/api/v1/maps/grids/320831101001001/")
    assert r.status_code == 200 and r.json()["open"] == 2


def test_it_shows_the_evaluation_rankings_once_they_are_stored(data):
    from maps import cache, rankings

    d = json.loads(selectors.dashboard()[1])
    assert d["rankings"]["source"] == "maps"
    stored = rankings.refresh()
    assert stored["streets"][0]["name"] == "测试镇" and "satisfaction_rate" in stored["streets"][0]
    cache.clear()
    cache.store(rankings.KEY, cache.current_version(), 0, "application/json", json.dumps(stored).encode())
    d = json.loads(selectors.dashboard()[1])
    assert d["rankings"]["source"] == "evaluation"
    assert [s["code"] for s in d["streets"]] == ["320831101"]
