"""Getis-Ord Gi* hotspots: a planted cluster is found (through PostGIS grids, Queen weights, 999
permutations, FDR); spatially random data gives nothing after FDR in most seeds; Mann-Kendall and the
emerging hot spot categories."""
import datetime as dt
import json
import uuid

import numpy as np
import pytest
from django.utils import timezone
from libpysal.weights import lat2W
from scipy.stats import kendalltau

from gridgov.accounts.models import Role
from gridgov.grids.actions import UnitInput, do_upsert_units
from gridgov.grids.models import GridUnit
from maps import hotspots
from maps.filters import parse_filters
from maps.trend import mann_kendall
from tests.factories import box, make_user

N = 10            # 10 × 10 lattice of grids
D = 0.01
X0, Y0 = 119.0, 33.0
CLUSTER = {(r, c) for r in (6, 7, 8) for c in (1, 2, 3)}


def build_lattice():
    county, town, comm = "320831", "320831101", "320831101001"
    units = [UnitInput(county, "格县", box(X0, Y0, X0 + N * D, Y0 + N * D)),
             UnitInput(town, "格镇", box(X0, Y0, X0 + N * D, Y0 + N * D)),
             UnitInput(comm, "格村", box(X0, Y0, X0 + N * D, Y0 + N * D))]
    for r in range(N):
        for c in range(N):
            units.append(UnitInput(f"{comm}{r * N + c + 1:03d}", f"格{r}-{c}",
                                   box(X0 + c * D, Y0 + r * D, X0 + (c + 1) * D, Y0 + (r + 1) * D)))
    do_upsert_units(units, source="tests")
    return {u.code: u for u in GridUnit.objects.filter(level=4)}


def add_cases(grids, counts, reporter, days_ago=lambda r, c, k: 1):
    """The counted cases, through the one bulk path (gridgov.cases.bulk), filed on their lattice cell."""
    from gridgov.cases.bulk import BulkCase, do_bulk_create_cases

    now = timezone.now()
    rows = []
    for (r, c), n in counts.items():
        g = grids[f"320831101001{r * N + c + 1:03d}"]
        for k in range(int(n)):
            lon, lat = X0 + (c + 0.5) * D, Y0 + (r + 0.5) * D
            when = now - dt.timedelta(days=days_ago(r, c, k), minutes=k)
            rows.append(BulkCase(client_uuid=uuid.uuid4(), lon=lon, lat=lat, grid_id=g.pk, reported_at=when,
                                 received_at=when))
    do_bulk_create_cases(reporter, rows)


@pytest.mark.django_db
def test_it_finds_a_planted_cluster_among_the_grids():
    grids = build_lattice()
    rng = np.random.default_rng(3)
    counts = {(r, c): rng.poisson(14 if (r, c) in CLUSTER else 2) for r in range(N) for c in range(N)}
    add_cases(grids, counts, make_user("w", Role.GRID_WORKER))
    _, body, _ = hotspots.grid_hotspots(parse_filters({"period": "7d"}), permutations=999, seed=1)
    fc = json.loads(body)
    by_rc = {}
    for f in fc["features"]:
        idx = int(f["properties"]["code"][-3:]) - 1
        by_rc[divmod(idx, N)] = f["properties"]["class"]
    assert len(by_rc) == N * N                       # every cell, zeros included
    assert by_rc[(7, 2)] >= 2                        # the cluster's centre: hot at 95 % or more after FDR
    hot = {rc for rc, k in by_rc.items() if k > 0}
    assert len(hot & CLUSTER) >= 5
    assert all(max(abs(r - 7), abs(c - 2)) <= 2 for r, c in hot)   # nothing hot far from the cluster
    p = fc["params"]
    assert p["permutations"] == 999 and p["seed"] == 1 and p["weights"] == "queen" and p["fdr"] is True
    assert p["n"] == 100 and p["zero_cells"] == sum(1 for v in counts.values() if v == 0)
    assert sum(fc["summary"].values()) == 100 and len(fc["legend"]) == 7


def test_it_finds_nothing_after_fdr_in_most_seeds_of_random_data():
    w = lat2W(N, N, rook=False)
    found_fdr, found_raw = 0, 0
    for seed in range(10):
        y = np.random.default_rng(100 + seed).poisson(5, N * N).astype(float)
        _, _, cls = hotspots.gistar(y, w, permutations=999, seed=seed, fdr=True)
        _, _, raw = hotspots.gistar(y, w, permutations=999, seed=seed, fdr=False)
        found_fdr += bool(np.any(cls != 0))
        found_raw += bool(np.any(raw != 0))
    assert found_fdr <= 2
    assert found_raw > found_fdr          # without the correction, 90 % confidence "finds" spots by chance


def test_it_is_reproducible_with_a_fixed_seed():
    w = lat2W(N, N, rook=False)
    y = np.random.default_rng(5).poisson(4, N * N).astype(float)
    a = hotspots.gistar(y, w, 999, seed=42)
    b = hotspots.gistar(y, w, 999, seed=42)
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


def test_it_treats_constant_data_as_not_significant():
    z, p, cls = hotspots.gistar(np.zeros(N * N), lat2W(N, N, rook=False))
    assert not cls.any() and (p == 1).all()


def test_it_computes_mann_kendall_like_kendalls_tau():
    x = np.array([1.0, 2.5, 2.0, 3.7, 4.1, 3.9, 5.2, 6.0])
    mk = mann_kendall(x)
    tau, _ = kendalltau(np.arange(len(x)), x)
    assert mk["tau"] == pytest.approx(tau) and mk["trend"] == "up" and mk["p"] < 0.01
    assert mann_kendall(x[::-1])["trend"] == "down"
    assert mann_kendall([3, 3, 3, 3, 3])["trend"] == "none"


@pytest.mark.parametrize("hot,trend,expected", [
    ([0, 0, 0, 0, 0, 0, 0, 1], "none", "new"),
    ([0, 0, 0, 0, 0, 1, 1, 1], "none", "consecutive"),
    ([1, 1, 1, 1, 1, 1, 1, 1], "up", "intensifying"),
    ([1, 1, 1, 1, 1, 1, 1, 1], "none", "persistent"),
    ([1, 1, 1, 1, 1, 1, 1, 1], "down", "diminishing"),
    ([0, 1, 0, 1, 0, 0, 1, 1], "none", "sporadic"),
    ([1, 1, 1, 1, 1, 1, 1, 0], "none", "none"),
    ([0, 0, 0, 0, 0, 0, 0, 0], "none", "none"),
])
def test_it_names_emerging_hot_spot_categories(hot, trend, expected):
    hot = np.array(hot, dtype=bool)
    assert hotspots.emerging_category(hot, ~hot, trend) == expected


@pytest.mark.django_db
def test_it_sees_a_cluster_of_the_last_week_as_a_new_hotspot():
    grids = build_lattice()
    rng = np.random.default_rng(9)
    counts = {(r, c): rng.poisson(3) * 8 + (14 * 8 if (r, c) in CLUSTER else 0) for r in range(N) for c in range(N)}
    # background spread over 8 weeks; the cluster's extra cases all in the last few days
    def ago(r, c, k):
        if (r, c) in CLUSTER and k >= counts[(r, c)] - 14 * 8:
            return 1 + k % 5
        return 1 + (k * 7) % 56
    add_cases(grids, counts, make_user("w", Role.GRID_WORKER), ago)
    _, body, _ = hotspots.space_time(parse_filters({"period": "today"}), weeks=8, permutations=999)
    fc = json.loads(body)
    cats = {divmod(int(f["properties"]["code"][-3:]) - 1, N): f["properties"]["category"] for f in fc["features"]}
    assert cats[(7, 2)] in ("new", "consecutive")
    assert sum(1 for rc in CLUSTER if cats[rc] in ("new", "consecutive")) >= 5
    assert fc["params"]["weeks"] == 8 and "Mann-Kendall" in fc["params"]["trend"]


@pytest.mark.django_db
def test_it_finds_the_cluster_with_hexagons_too():
    grids = build_lattice()
    rng = np.random.default_rng(4)
    counts = {(r, c): rng.poisson(12 if (r, c) in CLUSTER else 1) for r in range(N) for c in range(N)}
    add_cases(grids, counts, make_user("w", Role.GRID_WORKER))
    _, body, _ = hotspots.hex_hotspots(parse_filters({"period": "7d"}), size=600, permutations=999, seed=2)
    fc = json.loads(body)
    assert fc["params"]["unit"] == "hex" and fc["params"]["zero_cells"] > 0
    assert sum(f["properties"]["value"] for f in fc["features"]) == sum(counts.values())
    hot = [f for f in fc["features"] if f["properties"]["class"] >= 2]
    assert hot
    # every hexagon hot at 95 % or more lies over the planted cluster (rows 6-8, columns 1-3, ± one cell)
    from shapely.geometry import shape

    for f in hot:
        c = shape(f["geometry"]).centroid
        col, row = (c.x - X0) / D, (c.y - Y0) / D
        assert 0 <= col <= 5 and 5 <= row <= 10


@pytest.mark.django_db
def test_it_names_the_bad_parameter_over_http():
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_user("wall", Role.MONITOR))
    r = client.get("/api/v1/maps/hotspots.geojson?permutations=7")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "permutations"
    r = client.get("/api/v1/maps/hotspots.geojson?unit=hex&metric=rate")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "rate_needs_population"
    r = client.get("/api/v1/maps/grids.geojson?period=2w")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "period"
    r = client.get("/api/v1/maps/grids.geojson?category=NOPE")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "unknown_category"


@pytest.mark.django_db
def test_it_refuses_an_analysis_without_enough_grids():
    from gridgov.core.errors import FieldError

    with pytest.raises(FieldError) as err:
        hotspots.grid_hotspots(parse_filters({}), use_cache=False)
    assert err.value.code == "too_few_cells"
