import threading
import uuid
from datetime import timedelta
from math import cos, radians

import pytest
from django.db import connections
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.grids.models import GridUnit
from tests.factories import build_small_county, make_case, make_user, seed_test_categories
from tests.factories import api_client as client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LON, LAT = 119.005, 33.015  # 北村一网格


def east(metres, lon=LON, lat=LAT):
    return lon + metres / (111_320 * cos(radians(lat))), lat




def candidates(api, lon, lat, category="E0101", **extra):
    r = api.get("/api/v1/cases/duplicates/", {"lon": lon, "lat": lat, "category": category, **extra})
    assert r.status_code == 200, r.content
    return r.json()


@pytest.fixture
def citizen_case(db, county, categories):
    dispatcher = make_user("disp", Role.DISPATCHER)
    return make_case(dispatcher, *east(40), category="E0101", contact_name="王五", contact_phone="13900001111",
                     channel="hotline_12345")


def test_an_open_case_nearby_of_the_same_category_is_offered(api, citizen_case):
    body = candidates(api, LON, LAT)
    assert body["radius_m"] == 100 and body["window_hours"] == 48
    (found,) = body["results"]
    assert found["number"] == citizen_case.number
    assert 38 < found["distance_m"] < 42
    assert found["category"]["code"] == "E0101"
    # a candidate carries no personal data, whoever asks
    assert "contact_phone" not in found and "contact_name" not in found


def test_cases_too_far_of_another_category_closed_or_old_are_not_offered(api, worker, county, categories):
    far = make_case(worker, *east(150))
    other = make_case(worker, *east(10), category="E0103")
    closed = make_case(worker, *east(10))
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    old = make_case(worker, *east(10))
    Case.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=49))
    assert candidates(api, LON, LAT)["results"] == []
    assert {c["number"] for c in candidates(api, LON, LAT, "E0103")["results"]} == {other.number}
    assert far.number in {c["number"] for c in candidates(api, *east(150))["results"]}


def test_the_radius_and_window_are_per_category(api, worker, county, categories):
    smoke = make_case(worker, *east(250), category="E0106")  # 焚烧: 300 m
    assert [c["number"] for c in candidates(api, LON, LAT, "E0106")["results"]] == [smoke.number]
    rubbish = make_case(worker, *east(250), category="E0101")  # 暴露垃圾: 100 m
    assert rubbish.number not in {c["number"] for c in candidates(api, LON, LAT, "E0101")["results"]}


def test_candidates_come_nearest_first(api, worker, county, categories):
    b = make_case(worker, *east(80))
    a = make_case(worker, *east(20))
    assert [c["number"] for c in candidates(api, LON, LAT)["results"]] == [a.number, b.number]


def test_a_case_in_the_neighbouring_grid_is_offered_to_a_worker_who_cannot_list_it(county, categories):
    mine = make_user("w_a", Role.GRID_WORKER)
    GridUnit.objects.get(code="320831101001001").workers.add(mine)
    neighbour = make_user("w_b", Role.GRID_WORKER)
    # just across the edge into 北村二网格 (x0 + 0.01)
    across = make_case(neighbour, 119.0101, LAT)
    api = client_for(mine)
    assert across.number not in {c["number"] for c in api.get("/api/v1/cases/").json()["results"]}
    assert [c["number"] for c in candidates(api, 119.0095, LAT)["results"]] == [across.number]


def test_a_gcj02_point_finds_the_same_candidates(api, citizen_case):
    from geodata.datums import from_wgs84

    glon, glat = from_wgs84(LON, LAT, "gcj02")
    assert [c["number"] for c in candidates(api, glon, glat, datum="gcj02")["results"]] == [citizen_case.number]


def test_confirming_makes_a_follow_up_and_raises_the_first_reports_priority(dispatcher_api, citizen_case):
    api = dispatcher_api
    r = api.post("/api/v1/cases/", {"client_uuid": str(uuid.uuid4()), "lon": LON, "lat": LAT, "category": "E0101",
                                    "channel": "other", "follow_up_of": citizen_case.number.lower()}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["follow_up_of"] == citizen_case.number and r.json()["status"] == "merged"
    citizen_case.refresh_from_db()
    assert (citizen_case.repeat_count, citizen_case.priority) == (1, 2)
    # the repeat itself is not offered again: only the first report is
    assert [c["number"] for c in candidates(api, LON, LAT)["results"]] == [citizen_case.number]
    # a follow-up of the follow-up counts on the first report
    r2 = api.post("/api/v1/cases/", {"client_uuid": str(uuid.uuid4()), "lon": LON, "lat": LAT, "category": "E0101",
                                     "channel": "other", "follow_up_of": r.json()["number"]}, format="json")
    assert r2.json()["follow_up_of"] == citizen_case.number
    detail = api.get(f"/api/v1/cases/{citizen_case.number}/").json()
    assert detail["repeat_count"] == 2 and detail["priority"] == 3
    assert [f["number"] for f in detail["follow_ups"]] == [r.json()["number"], r2.json()["number"]]
    raised = [h for h in detail["history"] if h["kind"] == "updated"]
    assert raised[-1]["after"] == {"repeat_count": 2, "priority": 3}


@pytest.fixture
def dispatcher_api(db):
    return client_for(make_user("disp2", Role.DISPATCHER))


def test_a_closed_case_cannot_be_followed_up(dispatcher_api, citizen_case):
    Case.objects.filter(pk=citizen_case.pk).update(status=Status.CLOSED)
    r = dispatcher_api.post("/api/v1/cases/", {"client_uuid": str(uuid.uuid4()), "lon": LON, "lat": LAT,
                                               "category": "E0101", "channel": "other",
                                               "follow_up_of": citizen_case.number}, format="json")
    assert r.status_code == 400
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == ("follow_up_of", "case_closed")


def test_a_follow_up_cannot_also_close_the_case_on_the_spot(dispatcher_api, citizen_case):
    before = Case.objects.count()
    r = dispatcher_api.post("/api/v1/cases/", {"client_uuid": str(uuid.uuid4()), "lon": LON, "lat": LAT,
                                               "category": "E0101", "channel": "other",
                                               "follow_up_of": citizen_case.number, "resolved_on_spot": True,
                                               "resolution_note": "已清理"}, format="json")
    assert r.status_code == 400, r.content
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == ("resolved_on_spot",
                                                                               "follow_up_cannot_close")
    assert Case.objects.count() == before


@pytest.mark.parametrize("params,field", [
    ({"lon": LON, "lat": LAT}, "category"),
    ({"lon": LON, "lat": LAT, "category": "E01"}, "category"),
    ({"lat": LAT, "category": "E0101"}, "lon"),
    ({"lon": LON, "lat": 95, "category": "E0101"}, "lat"),
])
def test_bad_questions_are_answered_with_the_field(api, county, categories, params, field):
    r = api.get("/api/v1/cases/duplicates/", params)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == field


def test_a_monitor_cannot_ask_for_candidates(county, categories):
    r = client_for(make_user("mon", Role.MONITOR)).get("/api/v1/cases/duplicates/",
                                                        {"lon": LON, "lat": LAT, "category": "E0101"})
    assert r.status_code == 403


def test_concurrent_follow_ups_are_all_counted(transactional_db, media):
    build_small_county()
    seed_test_categories()
    users = [make_user(f"w{i}", Role.GRID_WORKER) for i in range(6)]
    root = make_case(users[0], *east(10))
    barrier = threading.Barrier(len(users))
    codes = []

    def follow(user):
        try:
            barrier.wait()
            r = client_for(user).post("/api/v1/cases/", {
                "client_uuid": str(uuid.uuid4()), "lon": LON, "lat": LAT, "category": "E0101", "channel": "other",
                "follow_up_of": root.number}, format="json")
            codes.append(r.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=follow, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [201] * len(users)
    root.refresh_from_db()
    assert (root.repeat_count, root.priority) == (6, 7)
    assert CaseEvent.objects.filter(case_id=root.pk, kind="updated").count() == 6
