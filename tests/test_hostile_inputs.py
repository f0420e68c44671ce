"""Hostile files and strings (issue 7.3): markup and SQL-like text in every text field, rendered by the
console, field, map-wall, citizen and admin pages; formula injection in every spreadsheet export;
disguised images; archives that climb out, link out or blow up; coordinates that are not numbers or
not in the county. Each refusal names the field and writes nothing.

What other test files already prove is listed in docs/reliability/hostile.md and not repeated here.
"""
import csv
import io
import json
import stat
import uuid
import zipfile

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook
from PIL import Image

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CasePhoto, Category
from gridgov.departments.models import Department
from gridgov.dispatch.actions import do_whistle
from gridgov.grids.models import GridUnit
from gridgov.hotline.actions import do_import_hotline
from gridgov.hotline.models import HotlineTicket
from tests.dispatch_helpers import N1, N1_POINT, build_world, make_user, photo
from tests.factories import make_photo
from tests.factories import page_client as client_for, api_client as api_for

pytestmark = pytest.mark.django_db

XSS = '"><img src=x onerror=window.__xss=1><script>window.__xss=2</script>'
SQL = "'; DROP TABLE cases_case; -- \" OR 1=1"
HOSTILE = XSS + " " + SQL
RAW_MARKERS = ("<img src=x onerror", "<script>window.__xss")
ESCAPED = "&lt;img src=x onerror"
FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]


@pytest.fixture
def world(county, categories, media):
    return build_world()






def assert_escaped(response, where):
    assert response.status_code < 500, (where, response.status_code)
    body = response.content.decode("utf-8", errors="replace")
    for marker in RAW_MARKERS:
        assert marker not in body, f"{where}: the raw tag {marker!r} reached the page unescaped"
    return body


def import_without_classifier(actor, name, data):
    """A hotline import without loading the category classifier (not what these tests are about)."""
    from gridgov.hotline.actions import do_create_batch, do_run_batch

    return do_run_batch(actor, do_create_batch(actor, name, data), data, classify=False)


def counts():
    return (Case.objects.count(), CasePhoto.objects.count(), HotlineTicket.objects.count())


# --- 1. the cases API: since/until with offsets PostgreSQL cannot store (found by schemathesis) --------

@pytest.mark.parametrize("value", ["1476-03-23T12:13:40.91-22:45", "2026-01-01T00:00:00+23:59", "0001-01-01T00:00:00"])
def test_it_refuses_a_time_filter_postgresql_cannot_store_naming_the_field(world, value):
    r = api_for(world.users["dispatcher"]).get("/api/v1/cases/", {"since": value})
    assert r.status_code in (200, 400), r.content  # 200: a representable instant, 400: a clear refusal
    if r.status_code == 400:
        err = r.json()["errors"][0]
        assert err["field"] == "since" and err["message"] and err["message_en"]


def test_it_reads_an_extreme_but_valid_offset_as_the_same_instant(world):
    world.case()
    r = api_for(world.users["dispatcher"]).get("/api/v1/cases/", {"since": "2000-01-01T00:00:00-22:45"})
    assert r.status_code == 200 and r.json()["count"] == 1


# --- 2. script and SQL-like text in every text field, escaped in every page --------------------------

@pytest.fixture
def hostile_world(world):
    """Every text a user or an import can set carries the payload: case, category, department, grid,
    dispatch notes, hotline ticket; then the case is whistled so it shows in every queue."""
    Category.objects.filter(code__in=["E0101", "E01"]).update(name=XSS)
    Department.objects.update(name=XSS)
    GridUnit.objects.filter(code__in=[N1, N1[:12], N1[:9]]).update(name=XSS)
    case = world.case(description=HOSTILE, address=HOSTILE, contact_name=XSS[:50], contact_phone="13800001111",
                      photos=[photo()])
    Case.objects.filter(pk=case.pk).update(grid_name=XSS)
    dispatches = do_whistle(case, world.users["worker"]).dispatches
    csv_file = ("工单号,来电时间,诉求内容,经度,纬度\n"
                f"H1,2026-11-20 08:30,\"{XSS.replace(chr(34), chr(34) * 2)}\",{N1_POINT[0]},{N1_POINT[1]}\n").encode()
    import_without_classifier(world.users["dispatcher"], "hostile.csv", csv_file)
    return case, dispatches


def test_it_escapes_hostile_text_in_console_pages(world, hostile_world):
    case, dispatches = hostile_world
    lead = next(d for d in dispatches if d.department.code == "cg")
    responder, dispatcher = client_for(world.users["cg"]), client_for(world.users["dispatcher"])
    pages = [(responder, "/console/"), (responder, f"/console/dispatch/{lead.pk}/"),
             (dispatcher, "/console/command/"), (dispatcher, f"/console/command/case/{case.number}/"),
             (dispatcher, "/console/rankings/"), (dispatcher, "/console/notifications/"),
             (responder, "/console/notifications/"), (client_for(world.users["worker"]), "/console/verify/")]
    rendered = []
    for c, url in pages:
        body = assert_escaped(c.get(url), url)
        rendered.append(ESCAPED in body)
    assert rendered[1] and rendered[3], "the case's text must be on its pages, escaped"


def test_it_escapes_hostile_text_in_field_map_wall_and_citizen_pages(world, hostile_world):
    case, _ = hostile_world
    worker = client_for(world.users["worker"])
    for url in ("/field/", "/field/mine/"):
        assert_escaped(worker.get(url), url)
    monitor = client_for(world.users["monitor"])
    assert_escaped(monitor.get("/mapwall/"), "/mapwall/")
    for url in (f"/api/v1/maps/cases/{case.number}/", f"/api/v1/maps/grids/{N1}/", "/api/v1/maps/dashboard/"):
        r = monitor.get(url)
        assert r.status_code == 200 and r["Content-Type"].startswith("application/json"), url
    body = assert_escaped(Client().get(f"/citizen/status/{case.number}/"), "citizen status")
    assert ESCAPED in body  # the category name


def test_it_escapes_hostile_text_in_every_admin_list_and_change_page(world, hostile_world):
    root = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    c = client_for(root)
    seen = 0
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        body = assert_escaped(c.get(url), url)
        seen += ESCAPED in body
        obj = model._default_manager.order_by("-pk").first()
        if obj is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            body = assert_escaped(c.get(change), change)
            seen += ESCAPED in body
    assert seen >= 4  # cases, categories, departments, grids show the payload (escaped)


def test_it_keeps_hostile_text_inert_in_gis_exports(world, hostile_world):
    c = api_for(world.users["dispatcher"])
    r = c.get("/api/v1/export/cases.geojson")
    doc = json.loads(b"".join(r.streaming_content) if r.streaming else r.content)
    assert any(f["properties"].get("descr") == HOSTILE for f in doc["features"])  # stored and sent as text
    assert r["Content-Type"].startswith(("application/geo+json", "application/json"))


# --- 3. formula injection: every spreadsheet export -----------------------------------------------------

def test_it_neutralises_formulas_in_evaluation_rankings_csv_and_xlsx(world):
    for i, (dept, formula) in enumerate(zip(Department.objects.order_by("pk"), FORMULAS)):
        Department.objects.filter(pk=dept.pk).update(name=formula)
    c = api_for(world.users["dispatcher"])
    r = c.get("/api/v1/evaluation/", {"format": "csv", "period_start": "2026-01-01", "period_end": "2026-01-31"})
    assert r.status_code == 200
    names = [row["名称"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))]
    assert names and all(not n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names), names
    assert "'=HYPERLINK(\"http://x\")" in names
    r = c.get("/api/v1/evaluation/", {"format": "xlsx", "period_start": "2026-01-01", "period_end": "2026-01-31"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    header = [cell.value for cell in sheet[1]]
    col = header.index("名称")
    cells = [row[col] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type != "f" for cell in cells), "a department name became a formula"
    assert "'=HYPERLINK(\"http://x\")" in [cell.value for cell in cells]


def test_it_neutralises_formulas_in_gis_exports_for_every_formula_start(world):
    for formula in FORMULAS:
        world.case(description=formula, address=formula)
    r = api_for(world.users["dispatcher"]).get("/api/v1/export/cases.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert sorted(row["descr"] for row in rows) == sorted("'" + f for f in FORMULAS)


def test_it_neutralises_formulas_in_the_hotline_error_report(world):
    rows = [f"F{i},2026-11-20 08:30,\"{f.replace(chr(34), chr(34) * 2)}\",abc,33.0" for i, f in enumerate(FORMULAS)]
    data = ("工单号,来电时间,诉求内容,经度,纬度\n" + "\n".join(rows) + "\n").encode()
    batch = import_without_classifier(world.users["dispatcher"], "formulas.csv", data)
    assert HotlineTicket.objects.count() == 0
    with batch.error_report.open("rb") as f:
        report = list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))
    texts = [row[report[0].index("诉求内容")] for row in report[1:]]
    assert sorted(texts) == sorted("'" + f for f in FORMULAS)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in report for cell in row)


# --- 4. archives and spreadsheets that are not what they say ------------------------------------------

def xlsx_bomb(megabytes):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as out:
            for _ in range(megabytes):
                out.write(b" " * 1024 * 1024)
    return buf.getvalue()


def test_it_refuses_an_xlsx_zip_bomb_before_reading_it(world, settings):
    from gridgov.core.errors import FieldError

    settings.GRIDGOV_HOTLINE_MAX_UNZIPPED_BYTES = 8 * 1024 ** 2
    data = xlsx_bomb(16)
    assert len(data) < 100_000
    with pytest.raises(FieldError) as err:
        do_import_hotline(world.users["dispatcher"], "bomb.xlsx", data)
    assert (err.value.field, err.value.code) == ("file", "too_large_unzipped")
    assert "压缩炸弹" in err.value.message_zh and "zip bomb" in err.value.message_en
    assert HotlineTicket.objects.count() == 0


def test_it_refuses_a_file_disguised_as_xlsx(world):
    from gridgov.core.errors import FieldError

    with pytest.raises(FieldError) as err:
        do_import_hotline(world.users["dispatcher"], "tickets.xlsx", b"<html><script>alert(1)</script></html>")
    assert (err.value.field, err.value.code) == ("file", "bad_xlsx")


def zip_with(tmp_path, name, entry, mode=None, content=b"{}"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo(entry)
        if mode is not None:
            info.external_attr = mode << 16
        zf.writestr(info, content)
        zf.writestr("grids.geojson", json.dumps({"type": "FeatureCollection", "features": []}))
    return path


@pytest.mark.parametrize("entry,mode,needle", [
    ("/etc/evil.geojson", None, "path traversal"),
    ("C:/evil.geojson", None, "path traversal"),
    ("..\\..\\evil.geojson", None, "path traversal"),
    ("link.geojson", stat.S_IFLNK | 0o777, "symbolic link"),
])
def test_it_refuses_grid_archives_with_absolute_paths_and_links(tmp_path, entry, mode, needle):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = zip_with(tmp_path, "hostile.zip", entry, mode, content=b"/etc/passwd" if mode else b"{}")
    before = GridUnit.objects.count()
    with pytest.raises((CommandError, SystemExit, Exception)) as err:
        call_command("import_grids", str(path))
    assert needle in str(err.value) or needle in repr(err.value.__dict__)
    assert GridUnit.objects.count() == before
    assert not (tmp_path.parent / "evil.geojson").exists()


# --- 5. photos that are not photos ----------------------------------------------------------------------

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1">'
       b"<script>window.__xss=1</script></svg>")
HTML = b"<!DOCTYPE html><html><body><script>window.__xss=1</script></body></html>"


def polyglot_jpeg():
    """A real JPEG with HTML appended after the end-of-image marker (readable as both)."""
    return make_photo().read() + b"<html><script>window.__xss=1</script></html>"


def report(**over):
    data = {"client_uuid": str(uuid.uuid4()), "lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101",
            "description": "路边垃圾堆放"}
    data.update(over)
    return data


@pytest.mark.parametrize("name,content,ctype", [
    ("photo.jpg", SVG, "image/jpeg"), ("photo.png", HTML, "image/png"), ("photo.svg", SVG, "image/svg+xml"),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + HTML, "image/jpeg"),
])
def test_it_refuses_svg_and_html_disguised_as_photos_writing_nothing(world, name, content, ctype):
    before = counts()
    r = api_for(world.users["worker"]).post("/api/v1/cases/", report(photos=[
        SimpleUploadedFile(name, content, content_type=ctype)]), format="multipart")
    assert r.status_code == 400, r.content
    err = r.json()["errors"][0]
    assert err["field"] == "photos" and err["message"] and err["message_en"]
    assert counts() == before


def test_it_re_encodes_a_polyglot_jpeg_so_the_markup_is_not_served(world):
    r = api_for(world.users["worker"]).post("/api/v1/cases/", report(photos=[
        SimpleUploadedFile("p.jpg", polyglot_jpeg(), content_type="image/jpeg")]), format="multipart")
    assert r.status_code == 201, r.content
    stored = CasePhoto.objects.get()
    for f in (stored.image, stored.thumbnail):
        with f.open("rb") as fh:
            data = fh.read()
        assert b"<script" not in data and Image.open(io.BytesIO(data)).format == "JPEG"
    original = client_for(world.users["dispatcher"]).get(
        f"/api/v1/cases/{r.json()['number']}/photos/{stored.pk}/original/")
    assert original.status_code == 200
    assert original["X-Content-Type-Options"] == "nosniff"
    assert not original["Content-Type"].startswith(("text/html", "image/svg"))


def test_the_citizen_form_refuses_svg_disguised_as_a_photo(world, settings):
    import time

    from gridgov.citizen.tokens import grid_token, new_stamp

    settings.GRIDGOV_CITIZEN_MIN_FILL_SECONDS = 0
    before = counts()
    url = reverse("citizen:report", kwargs={"grid_token": grid_token(N1)})
    resp = Client().post(url, {"stamp": new_stamp(N1, now=time.time() - 10), "category": "E0101",
                               "description": "村口垃圾", "website": "",
                               "photo": SimpleUploadedFile("p.jpg", SVG, content_type="image/jpeg")})
    assert resp.status_code == 400
    assert counts() == before


# --- 6. coordinates that are not numbers, not on Earth or not in the county ----------------------------

@pytest.mark.parametrize("lon,lat,field", [
    ("nan", "33.015", "lon"), ("119.005", "nan", "lat"), ("inf", "33.015", "lon"), ("119.005", "-inf", "lat"),
    ("1e309", "33.015", "lon"), ("119.005", "91", "lat"), ("-181", "33.015", "lon"),
    ("2.35", "48.85", None),  # Paris: a real place, far outside the county
    ("119.005", "33.015; DROP TABLE cases_case", "lat"),
])
def test_the_cases_api_refuses_impossible_or_foreign_coordinates_writing_nothing(world, lon, lat, field):
    before = counts()
    r = api_for(world.users["worker"]).post("/api/v1/cases/", report(lon=lon, lat=lat, photos=[make_photo()]),
                                            format="multipart")
    assert r.status_code == 400, r.content
    err = r.json()["errors"][0]
    assert err["message"] and err["message_en"]
    if field:
        assert err["field"] == field
    else:
        assert err["field"] in ("lon", "lat", "point", "location")
    assert counts() == before


@pytest.mark.parametrize("lon,lat", [("nan", "nan"), ("inf", "33.0"), ("119.0", "1e400"), ("2.35", "48.85")])
def test_the_locate_api_refuses_impossible_or_foreign_coordinates(world, lon, lat):
    r = api_for(world.users["worker"]).get("/api/v1/grids/locate/", {"lon": lon, "lat": lat})
    assert r.status_code in (400, 404), r.content
    err = r.json()["errors"][0]
    assert err["field"] in ("lon", "lat", "point") and err["message"] and err["message_en"]


@pytest.mark.parametrize("lat,long", [("nan", "119.005"), ("33.015", "inf"), ("1e400", "119.005"), ("48.85", "2.35")])
def test_open311_refuses_impossible_or_foreign_coordinates_writing_nothing(world, lat, long):
    from urllib.parse import urlencode

    from gridgov.open311.actions import do_issue_api_key

    key = do_issue_api_key("hostile")[1]
    before = counts()
    body = urlencode({"api_key": key, "service_code": "E0101", "lat": lat, "long": long, "description": XSS})
    resp = Client().post("/open311/v2/requests.json", body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400, resp.content
    assert counts() == before


@pytest.mark.parametrize("lon,lat", [("nan", "33.0"), ("inf", "-inf"), ("1e400", "33.0")])
def test_the_citizen_form_never_stores_an_impossible_point(world, settings, lon, lat):
    import math
    import time

    from gridgov.citizen.tokens import grid_token, new_stamp

    settings.GRIDGOV_CITIZEN_MIN_FILL_SECONDS = 0
    url = reverse("citizen:report", kwargs={"grid_token": grid_token(N1)})
    resp = Client().post(url, {"stamp": new_stamp(N1, now=time.time() - 10), "category": "E0101",
                               "description": XSS, "website": "", "lon": lon, "lat": lat})
    assert resp.status_code in (200, 400)
    assert_escaped(resp, "citizen form answer")
    for case in Case.objects.all():  # fell back to the QR code's grid, never a NaN/inf point
        assert case.grid_code == N1 and math.isfinite(case.point.x) and math.isfinite(case.point.y)


# --- 7. NUL characters PostgreSQL cannot store (found by schemathesis) ----------------------------------

def test_it_refuses_a_nul_character_in_a_reroute_naming_the_field(world):
    case = world.case()
    r = api_for(world.users["dispatcher"]).post(f"/api/v1/cases/{case.number}/reroute/",
                                                {"lead": "\x00", "assists": [], "notified": []}, format="json")
    assert r.status_code == 400, r.content
    err = r.json()["errors"][0]
    assert (err["field"], err["code"]) == ("lead", "nul_character") and "\\x00" in err["message_en"]


@pytest.mark.parametrize("method,url,data", [
    ("get", "/api/v1/cases/", {"category": "E01\x00"}),
    ("post", "/api/v1/cases/", report(description="垃圾\x00堆放")),
    ("get", "/api/v1/grids/locate/", {"lon": "119.005", "lat": "33.015", "datum": "wgs\x0084"}),
])
def test_it_never_answers_a_nul_character_with_a_server_error(world, method, url, data):
    before = counts()
    c = api_for(world.users["worker"])
    r = c.get(url, data) if method == "get" else c.post(url, {**data, "photos": [make_photo()]}, format="multipart")
    assert r.status_code < 500, r.content
    if r.status_code == 400:
        assert r.json()["errors"][0]["field"] in {k for k in data}
    assert counts() == before


@pytest.fixture
def o311_key(world):
    from gridgov.open311.actions import do_issue_api_key

    return do_issue_api_key("hostile")[1]


@pytest.mark.parametrize("path,field", [
    ("/open311/v2/requests.json?service_request_id=%00", "service_request_id"),
    ("/open311/v2/requests.json?service_code=E01%00", "service_code"),
    ("/open311/v2/requests/%00.json", "path"),
    ("/open311/v2/services/%00.xml", "path"),
    ("/citizen/status/%00/", "path"),
    ("/console/command/case/%00/", "path"),
    ("/api/v1/cases/?grid=%00", "grid"),
])
def test_it_refuses_a_nul_character_in_pages_and_open311_naming_it(world, path, field):
    c = Client()
    c.force_login(world.users["dispatcher"])
    r = c.get(path)
    assert r.status_code == 400, r.content
    body = r.content.decode()
    assert field in body and "\\x00" in body and "空字符" in body


def test_it_refuses_nul_characters_in_an_open311_post_and_the_citizen_form_writing_nothing(world, o311_key, settings):
    import time
    from urllib.parse import urlencode

    from gridgov.citizen.tokens import grid_token, new_stamp

    before = counts()
    body = urlencode({"api_key": o311_key, "service_code": "E0101", "lat": "33.015", "long": "119.005",
                      "description": "井盖\x00丢失"})
    r = Client().post("/open311/v2/requests.json", body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and "description" in r.json()[0]["description"]
    settings.GRIDGOV_CITIZEN_MIN_FILL_SECONDS = 0
    url = reverse("citizen:report", kwargs={"grid_token": grid_token(N1)})
    r = Client().post(url, {"stamp": new_stamp(N1, now=time.time() - 10), "category": "E0101",
                            "description": "村口垃圾", "contact_name": "王\x00", "website": ""})
    assert r.status_code == 400 and "contact_name" in r.content.decode()
    assert counts() == before


@pytest.mark.parametrize("value", ["1476-03-23T12:13:40-22:45", "0001-01-01T00:00:00"])
def test_open311_reads_or_refuses_extreme_dates_without_a_server_error(world, value):
    r = Client().get("/open311/v2/requests.json", {"start_date": value})
    assert r.status_code in (200, 400), r.content
    if r.status_code == 400:
        assert "start_date" in r.json()[0]["description"]
