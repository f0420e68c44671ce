import threading
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from PIL import Image

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CaseEvent, CasePhoto, Status
from gridgov.grids.actions import UnitInput, do_upsert_units
from tests.factories import box, build_small_county, make_case, make_photo, make_user, seed_test_categories
from tests.factories import api_client as client_for

X0, Y0, D = 119.0, 33.0, 0.01
IN_A1 = (X0 + 0.005, Y0 + 0.015)  # 北村一网格 320831101001001
IN_B2 = (X0 + 0.015, Y0 + 0.005)  # 南村二网格 320831101002002


def report(**over):
    data = {"client_uuid": str(uuid.uuid4()), "lon": IN_A1[0], "lat": IN_A1[1], "category": "E0101",
            "description": "路边垃圾堆放", "gps_accuracy_m": 8}
    data.update(over)
    return data




@pytest.fixture
def dispatcher(db):
    return make_user("disp1", Role.DISPATCHER, display_name="指挥中心")


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_creates_a_case_with_photos_from_multipart(api, county, categories, media):
    data = report(photos=[make_photo(), make_photo(fmt="PNG")])
    r = api.post("/api/v1/cases/", data, format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["grid_code"] == "320831101001001"
    assert body["grid_name"] == "北村一网格"
    assert [a["code"] for a in body["ancestors"]] == ["320831", "320831101", "320831101001"]
    assert body["category"] == {"code": "E0101", "name": "暴露垃圾", "group": {"code": "E01", "name": "市容环境"}}
    assert body["status"] == "reported" and body["urgency"] == "normal" and body["channel"] == "grid_patrol"
    assert body["reporter"]["username"] == "worker1"
    assert len(body["number"]) == 13 and r["Location"] == f"/api/v1/cases/{body['number']}/"
    assert len(body["photos"]) == 2 and all(p["url"].startswith("/media/cases/") for p in body["photos"])
    assert body["photos"][0]["original_url"] is None  # a worker does not get the EXIF original
    photo = CasePhoto.objects.get(pk=body["photos"][0]["id"])
    assert (media / "private").as_posix() in photo.original.path  # original outside MEDIA_ROOT
    assert not photo.original.path.startswith(str(media / "media"))
    assert Image.open(photo.image.path).getexif() == {}
    assert [e.kind for e in CaseEvent.objects.filter(case_id=photo.case_id)] == ["created", "photo_added",
                                                                                  "photo_added"]


def test_a_hotline_case_can_be_json_without_photos_and_keeps_the_contact(dispatcher, county, categories):
    r = client_for(dispatcher).post("/api/v1/cases/", report(channel="hotline_12345", contact_name="李大爷",
                                                             contact_phone="13812345678"), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["contact_phone"] == "13812345678"
    assert r.json()["personal_data_masked"] is False


def test_a_grid_patrol_report_needs_a_photo(api, county, categories):
    r = api.post("/api/v1/cases/", report(), format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "photos"
    assert r.json()["errors"][0]["code"] == "required"
    assert Case.objects.count() == 0


@pytest.mark.parametrize("over,field,code", [
    ({"client_uuid": ""}, "client_uuid", "required"),
    ({"client_uuid": "not-a-uuid"}, "client_uuid", "invalid_uuid"),
    ({"category": "Z9999"}, "category", "unknown_category"),
    ({"category": "E01"}, "category", "not_a_subcategory"),
    ({"category": ""}, "category", "required"),
    ({"lon": "abc"}, "lon", "not_a_number"),
    ({"lon": IN_A1[1], "lat": IN_A1[0]}, "lat", "swapped"),
    ({"datum": "mars"}, "datum", "unknown_datum"),
    ({"urgency": "whenever"}, "urgency", "invalid_choice"),
    ({"channel": "pigeon"}, "channel", "invalid_choice"),
    ({"gps_accuracy_m": -3}, "gps_accuracy_m", "out_of_range"),
    ({"occurred_at": "yesterday"}, "occurred_at", "invalid_datetime"),
    ({"reported_at": "2999-01-01T00:00:00+08:00"}, "reported_at", "in_future"),
    ({"contact_phone": "call me"}, "contact_phone", "invalid_phone"),
    ({"description": "很" * 2001}, "description", "too_long"),
    ({"follow_up_of": "NOSUCHCASE"}, "follow_up_of", "not_found"),
    ({"resolved_on_spot": "maybe"}, "resolved_on_spot", "not_boolean"),
])
def test_it_refuses_bad_input_naming_the_field_in_chinese_and_english(dispatcher, county, categories, over,
                                                                         field, code):
    r = client_for(dispatcher).post("/api/v1/cases/", report(**{"channel": "other", **over}), format="json")
    assert r.status_code == 400, r.content
    err = r.json()["errors"][0]
    assert (err["field"], err["code"]) == (field, code)
    assert err["message"] and err["message_en"] and err["message"] != err["message_en"]
    assert Case.objects.count() == 0


def test_a_point_outside_every_grid_is_refused_naming_the_nearest_grid(api, county, categories, media):
    r = api.post("/api/v1/cases/", report(lon=X0 + 0.03, photos=[make_photo()]), format="multipart")
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["code"] == "outside_grids" and err["nearest"]["code"] == "320831101001002"


def test_a_gcj02_point_is_stored_in_wgs84_with_the_input_kept(dispatcher, county, categories):
    from geodata.datums import from_wgs84

    glon, glat = from_wgs84(*IN_A1, "gcj02")
    r = client_for(dispatcher).post("/api/v1/cases/", report(lon=glon, lat=glat, datum="gcj02", channel="other"),
                                    format="json")
    body = r.json()
    assert r.status_code == 201 and body["input_datum"] == "gcj02" and body["input_lon"] == glon
    assert abs(body["lon"] - IN_A1[0]) < 1e-5 and abs(body["lat"] - IN_A1[1]) < 1e-5
    assert body["grid_code"] == "320831101001001"


def test_a_retry_with_the_same_uuid_returns_the_first_case_with_200(api, county, categories, media):
    data = report()
    first = api.post("/api/v1/cases/", {**data, "photos": [make_photo()]}, format="multipart")
    again = api.post("/api/v1/cases/", {**data, "description": "改了", "photos": [make_photo()]}, format="multipart")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["description"] == "路边垃圾堆放"
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1
    assert len(list((media / "private").rglob("*.jpg"))) == 1  # the retry wrote no file


def test_someone_elses_uuid_is_a_conflict_not_their_case(api, dispatcher, county, categories):
    data = report(channel="other")
    assert client_for(dispatcher).post("/api/v1/cases/", data, format="json").status_code == 201
    r = api.post("/api/v1/cases/", {**data, "channel": "other"}, format="json")
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "client_uuid"
    assert "number" not in r.json()


def test_handled_on_the_spot_closes_the_case_at_once(api, county, categories, media):
    r = api.post("/api/v1/cases/", report(resolved_on_spot="true", resolution_note="已清理",
                                          photos=[make_photo()], after_photos=[make_photo()]), format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "closed" and body["resolved_on_spot"] is True and body["closed_at"]
    assert sorted(p["kind"] for p in body["photos"]) == ["after", "report"]


@pytest.mark.parametrize("over,field", [
    ({"resolution_note": "", "after_photos": True}, "resolution_note"),
    ({"resolution_note": "已清理", "after_photos": False}, "after_photos"),
])
def test_handled_on_the_spot_needs_a_note_and_an_after_photo(api, county, categories, media, over, field):
    data = report(resolved_on_spot="true", resolution_note=over["resolution_note"], photos=[make_photo()])
    if over["after_photos"]:
        data["after_photos"] = [make_photo()]
    r = api.post("/api/v1/cases/", data, format="multipart")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == field
    assert Case.objects.count() == 0


def test_the_stored_grid_is_not_recomputed_when_boundaries_change(worker, county, categories):
    case = make_case(worker, lon=X0 + 0.012, lat=Y0 + 0.015)
    assert case.grid_code == "320831101001002"
    c1 = "320831101001"
    do_upsert_units([UnitInput(c1 + "001", "北村一网格", box(X0, Y0 + D, X0 + 1.5 * D, Y0 + 2 * D)),
                     UnitInput(c1 + "002", "北村二网格（新）", box(X0 + 1.5 * D, Y0 + D, X0 + 2 * D, Y0 + 2 * D))])
    case.refresh_from_db()
    assert (case.grid_code, case.grid_name) == ("320831101001002", "北村二网格")


def test_list_filters_by_grid_category_status_period_and_bbox(dispatcher, county, categories):
    a = make_case(dispatcher, *IN_A1, category="E0101")
    b = make_case(dispatcher, *IN_B2, category="C0101")
    c = make_case(dispatcher, *IN_B2, category="E0103")
    Case.objects.filter(pk=c.pk).update(received_at=timezone.now() - timedelta(days=10), status=Status.CLOSED)
    api = client_for(dispatcher)

    def numbers(**params):
        r = api.get("/api/v1/cases/", params)
        assert r.status_code == 200, r.content
        return {row["number"] for row in r.json()["results"]}

    assert numbers() == {a.number, b.number, c.number}
    assert numbers(grid="320831101002") == {b.number, c.number}
    assert numbers(grid="320831101001001") == {a.number}
    assert numbers(category="E01") == {a.number, c.number}
    assert numbers(category="C0101") == {b.number}
    assert numbers(status="closed") == {c.number}
    assert numbers(status="reported,whistled") == {a.number, b.number}
    assert numbers(since=(timezone.now() - timedelta(days=1)).isoformat()) == {a.number, b.number}
    assert numbers(until=(timezone.now() - timedelta(days=1)).isoformat()) == {c.number}
    assert numbers(bbox=f"{X0},{Y0 + D},{X0 + 2 * D},{Y0 + 2 * D}") == {a.number}
    for params, field in [({"bbox": "1,2,3"}, "bbox"), ({"grid": "32x"}, "grid"), ({"status": "lost"}, "status"),
                          ({"since": "soon"}, "since")]:
        r = api.get("/api/v1/cases/", params)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field


def test_my_cases_lists_only_mine(api, worker, dispatcher, county, categories):
    mine = make_case(worker, *IN_B2)
    make_case(dispatcher, *IN_B2)
    r = api.get("/api/v1/cases/mine/")
    assert [row["number"] for row in r.json()["results"]] == [mine.number]


def test_a_case_shows_its_history_with_who_when_before_and_after(dispatcher, county, categories):
    case = make_case(dispatcher, *IN_A1, category="E0101")
    api = client_for(dispatcher)
    r = api.patch(f"/api/v1/cases/{case.number}/", {"category": "E0103", "urgency": "urgent", "note": "分类有误"},
                  format="json")
    assert r.status_code == 200, r.content
    r = api.patch(f"/api/v1/cases/{case.number}/", {"lon": IN_B2[0], "lat": IN_B2[1]}, format="json")
    assert r.json()["grid_code"] == "320831101002002"
    history = api.get(f"/api/v1/cases/{case.number}/").json()["history"]
    assert [h["kind"] for h in history] == ["created", "updated", "updated"]
    edit = history[1]
    assert edit["actor"] == "disp1" and edit["action"] == "do_update_case: 分类有误"
    assert edit["before"]["urgency"] == "normal" and edit["after"]["urgency"] == "urgent"
    assert edit["before"]["priority"] == 1 and edit["after"]["priority"] == 2
    assert set(edit["after"]) == {"category_id", "urgency", "priority"}
    move = history[2]
    assert move["before"]["grid_code"] == "320831101001001" and move["after"]["grid_code"] == "320831101002002"
    assert move["after"]["point"] == [pytest.approx(IN_B2[0]), pytest.approx(IN_B2[1])]


def test_the_audit_trail_cannot_be_changed_or_deleted(dispatcher, county, categories):
    case = make_case(dispatcher, *IN_A1)
    event = CaseEvent.objects.get(case_id=case.pk)
    for attempt in (lambda: CaseEvent.objects.filter(pk=event.pk).update(actor_label="someone else"),
                    lambda: CaseEvent.objects.filter(pk=event.pk).delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    with connection.cursor() as cur:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cur.execute("DELETE FROM cases_caseevent")
    assert CaseEvent.objects.get(pk=event.pk).actor_label == "disp1"


def test_a_change_made_outside_the_actions_is_still_recorded(dispatcher, county, categories):
    case = make_case(dispatcher, *IN_A1)
    Case.objects.filter(pk=case.pk).update(description="直接改数据库")
    last = CaseEvent.objects.filter(case_id=case.pk).order_by("id").last()
    assert last.kind == "updated" and last.after == {"description": "直接改数据库"} and last.actor_id is None
    assert last.db_user  # the database user is always known


def test_one_bad_photo_stores_nothing(api, county, categories, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("notes.jpg", b"this is not a picture", content_type="image/jpeg")
    r = api.post("/api/v1/cases/", report(photos=[make_photo(), bad]), format="multipart")
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert (err["field"], err["code"], err["index"]) == ("photos", "not_an_image", 1)
    assert "第 2 张照片" in err["message"]
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0
    assert not list(media.rglob("*.jpg"))


def test_a_storage_failure_midway_leaves_no_case_and_no_files(api, county, categories, media, monkeypatch):
    from gridgov.cases import actions

    calls = {"n": 0}
    real = actions.save_case_photo

    def failing(case, kind, processed, written):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(case, kind, processed, written)

    monkeypatch.setattr(actions, "save_case_photo", failing)
    with pytest.raises(OSError):
        api.post("/api/v1/cases/", report(photos=[make_photo(), make_photo()]), format="multipart")
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_categories_can_be_searched(api, categories):
    r = api.get("/api/v1/categories/", {"q": "井盖", "leaves": "1"})
    assert r.status_code == 200
    codes = [c["code"] for c in r.json()]
    assert codes == ["C0101", "C0102"]
    missing = next(c for c in r.json() if c["code"] == "C0101")
    assert (missing["response_limit"], missing["response_limit_unit"]) == (60, "minutes")
    assert (missing["handling_limit"], missing["handling_limit_unit"]) == (6, "hours")
    assert {c["code"] for c in api.get("/api/v1/categories/", {"q": "欠薪"}).json()} == {"S0103"}


def test_the_openapi_schema_generates_and_lists_the_case_endpoints(api):
    r = api.get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in ["/api/v1/cases/", "/api/v1/cases/mine/", "/api/v1/cases/duplicates/", "/api/v1/cases/{number}/",
              "/api/v1/categories/"]:
        assert p in paths
    assert "multipart/form-data" in paths["/api/v1/cases/"]["post"]["requestBody"]["content"]


def test_english_is_available_for_field_errors(api, county, categories):
    r = api.post("/api/v1/cases/?lang=en", report(category="Z1"), format="json")
    err = r.json()["errors"][0]
    assert "does not exist" in err["message_en"] and "不存在" in err["message"]


# --- committed before the response; idempotent under concurrent retries -----------------------------

@pytest.fixture
def live_setup(transactional_db):
    build_small_county()
    seed_test_categories()
    return make_user("worker9", Role.GRID_WORKER)


def _other_connection_count(number):
    s = connection.settings_dict
    with psycopg.connect(dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"]) as other:
        return other.execute("SELECT count(*) FROM cases_case WHERE number = %s", [number]).fetchone()[0]


def test_a_201_is_committed_before_the_response(live_setup, media):
    r = client_for(live_setup).post("/api/v1/cases/", report(photos=[make_photo()]), format="multipart")
    assert r.status_code == 201
    assert _other_connection_count(r.json()["number"]) == 1


def test_concurrent_retries_with_one_uuid_make_exactly_one_case(live_setup, media):
    data = report()
    n = 8
    barrier = threading.Barrier(n)
    results = []

    def send():
        try:
            c = client_for(live_setup)
            upload = make_photo(size=(800, 600))
            barrier.wait()
            r = c.post("/api/v1/cases/", {**data, "photos": [upload]}, format="multipart")
            results.append((r.status_code, r.json().get("number")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in results)
    assert codes == [200] * (n - 1) + [201]
    assert len({number for _, number in results}) == 1
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1
    assert CaseEvent.objects.filter(kind="created").count() == 1
    # the requests that lost the race removed the files they had written
    assert len([p for p in (media / "private").rglob("*") if p.is_file()]) == 1
    assert len([p for p in (media / "media").rglob("*") if p.is_file()]) == 2  # display + thumbnail


def test_the_fast_output_has_exactly_the_documented_fields(dispatcher, county, categories, media):
    from gridgov.cases.serializers import CaseDetailSerializer, CaseSerializer, PhotoSerializer

    api = client_for(dispatcher)
    number = api.post("/api/v1/cases/", report(channel="other", photos=[make_photo()]), format="multipart").json()
    number = number["number"]
    listed = api.get("/api/v1/cases/").json()["results"][0]
    detail = api.get(f"/api/v1/cases/{number}/").json()
    assert list(listed) == list(CaseSerializer().fields)
    assert list(detail) == list(CaseDetailSerializer().fields)
    assert list(detail["photos"][0]) == list(PhotoSerializer().fields)
    assert detail["received_at"].endswith("+08:00")  # shown in Asia/Shanghai


def test_labels_are_chinese_by_default_and_english_on_request(dispatcher, county, categories):
    case = make_case(dispatcher, *IN_A1)
    api = client_for(dispatcher)
    zh = api.get(f"/api/v1/cases/{case.number}/").json()
    en = api.get(f"/api/v1/cases/{case.number}/", {"lang": "en"}).json()  # the project's switch (cookie/?lang=)
    assert (zh["status_label"], zh["urgency_label"], zh["channel_label"]) == ("已上报", "一般", "其他")
    assert (en["status_label"], en["urgency_label"], en["channel_label"]) == ("Reported", "Normal", "Other")


def test_the_case_endpoints_add_no_schema_warning_or_error(db):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    messages = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    assert [m for m in messages if "gridgov/cases" in m or "Case" in m or "categor" in m.lower()] == []


def test_status_is_not_editable_outside_the_lifecycle(dispatcher, county, categories):
    case = make_case(dispatcher, *IN_A1)
    r = client_for(dispatcher).patch(f"/api/v1/cases/{case.number}/", {"status": "closed"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "status"
    case.refresh_from_db()
    assert case.status == "reported"
