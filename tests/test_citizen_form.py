"""扫码上报: QR codes and posters per grid, the public form (no login), its abuse checks (honeypot,
minimum fill time, per-IP and per-phone limits, sizes) and the public status page."""
import re
import time
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from gridgov.cases.models import NUMBER_ALPHABET, Case, CasePhoto, Channel
from gridgov.citizen.models import Submission
from gridgov.citizen.tokens import grid_token, new_stamp
from tests.dispatch_helpers import make_user
from tests.factories import build_small_county, make_photo, seed_test_categories

N1 = "320831101001001"  # 北村一网格: lon 119.00–119.01, lat 33.01–33.02
S2 = "320831101002002"  # 南村二网格: lon 119.01–119.02, lat 33.00–33.01


@pytest.fixture
def world(db, settings, media):
    settings.GRIDGOV_CITIZEN_MIN_FILL_SECONDS = 3
    settings.GRIDGOV_CITIZEN_IP_RATE = "100/3600"
    settings.GRIDGOV_CITIZEN_PHONE_RATE = "100/86400"
    build_small_county()
    seed_test_categories()


def form_url(code=N1):
    return reverse("citizen:report", kwargs={"grid_token": grid_token(code)})


def fields(code=N1, age=10, **kw):
    data = {"stamp": new_stamp(code, now=time.time() - age), "category": "E0101",
            "description": "村口垃圾堆了三天没人清理", "website": ""}
    data.update(kw)
    return data


def submit(client=None, code=N1, ip="10.0.0.1", files=None, **kw):
    client = client or Client()
    data = fields(code, **kw)
    if files:
        data.update(files)
    return client.post(form_url(code), data, REMOTE_ADDR=ip)


def nothing_written():
    return Case.objects.count() == 0 and Submission.objects.count() == 0


# --- QR codes and posters --------------------------------------------------------------------------

@pytest.fixture
def dispatcher_client(world):
    client = Client()
    client.force_login(make_user("dd", Role.DISPATCHER))
    return client


def test_it_renders_a_qr_code_as_svg_and_png(dispatcher_client):
    resp = dispatcher_client.get(f"/citizen/qr/{N1}.svg")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(resp.content)
    assert root.tag.endswith("svg") and root.find(".//{http://www.w3.org/2000/svg}path") is not None
    resp = dispatcher_client.get(f"/citizen/qr/{N1}.png")
    assert resp.status_code == 200 and resp.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_it_encodes_the_form_url_of_the_grid_in_the_qr_code(dispatcher_client):
    from gridgov.citizen.qr import qr_svg

    expected = "http://testserver" + form_url(N1)
    assert dispatcher_client.get(f"/citizen/qr/{N1}.svg").content == qr_svg(expected)
    resp = dispatcher_client.get(f"/citizen/poster/{N1}/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert expected in body and "北村一网格" in body and "<svg" in body and "A4" in body
    assert Client().get(form_url(N1)).status_code == 200  # the printed URL opens the form


def test_it_prints_one_poster_per_grid_of_a_community(dispatcher_client):
    body = dispatcher_client.get("/citizen/poster/320831101001/").content.decode()
    assert body.count('class="sheet"') == 2 and "北村一网格" in body and "北村二网格" in body
    assert body.count("<svg") == 2 and form_url("320831101001002") in body
    index = dispatcher_client.get("/citizen/posters/").content.decode()
    assert "北村" in index and "南村" in index and "/citizen/poster/320831101002/" in index


def test_it_prints_qr_codes_for_the_command_centre_only(world):
    assert Client().get(f"/citizen/qr/{N1}.svg").status_code == 302  # to the login page
    worker = Client()
    worker.force_login(make_user("wg", Role.GRID_WORKER))
    assert worker.get(f"/citizen/qr/{N1}.svg").status_code == 403
    assert worker.get(f"/citizen/poster/{N1}/").status_code == 403
    assert worker.get("/citizen/posters/").status_code == 403
    admin = Client()
    admin.force_login(make_user("ad", Role.ADMIN))
    assert admin.get("/citizen/qr/320831101009009.svg").status_code == 404


# --- the form --------------------------------------------------------------------------------------

def test_it_shows_the_form_without_login(world):
    resp = Client().get(form_url())
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "扫码上报" in body and "北村一网格" in body and 'value="E0101"' in body and 'name="stamp"' in body
    assert 'name="website"' in body  # the honeypot


def test_it_refuses_a_forged_or_unknown_grid_token(world):
    assert Client().get(f"/citizen/report/{N1}:forged/").status_code == 404
    assert Client().get(f"/citizen/report/{N1}/").status_code == 404


def test_it_creates_a_case_at_the_grids_point_without_geolocation(world):
    resp = submit(contact_name="王芳", contact_phone="13800001111")
    assert resp.status_code == 200
    case = Case.objects.get()
    assert case.channel == Channel.CITIZEN and case.grid_code == N1 and case.category.code == "E0101"
    assert case.contact_name == "王芳" and case.contact_phone == "13800001111"
    assert case.number in resp.content.decode()
    assert Submission.objects.get().case == case


def test_it_uses_the_browsers_position_when_it_has_one(world):
    submit(lon="119.015", lat="33.005", accuracy="12")
    case = Case.objects.get()
    assert case.grid_code == S2 and case.gps_accuracy_m == 12
    # a position outside every grid falls back to the grid of the QR code
    submit(lon="100.0", lat="40.0")
    assert Case.objects.order_by("-id").first().grid_code == N1


def test_it_stores_an_optional_photo(world):
    resp = submit(files={"photo": make_photo()})
    assert resp.status_code == 200
    assert CasePhoto.objects.filter(case=Case.objects.get()).count() == 1


def test_it_refuses_a_photo_over_the_size_limit(world, settings):
    settings.GRIDGOV_CITIZEN_PHOTO_MAX_BYTES = 100
    resp = submit(files={"photo": make_photo()})
    assert resp.status_code == 400 and "照片太大" in resp.content.decode()
    assert nothing_written()


def test_it_refuses_a_missing_description_or_category(world):
    resp = submit(description="")
    assert resp.status_code == 400 and "请填写问题描述" in resp.content.decode()
    resp = submit(category="")
    assert resp.status_code == 400
    assert nothing_written()


def test_it_refuses_a_filled_honeypot_and_writes_nothing(world):
    resp = submit(website="http://spam.example")
    assert resp.status_code == 429
    assert "提交未被受理" in resp.content.decode()
    assert nothing_written()


def test_it_refuses_a_form_sent_back_too_fast(world):
    resp = submit(age=0)
    assert resp.status_code == 429 and "提交太快了" in resp.content.decode()
    assert nothing_written()


def test_it_refuses_a_forged_expired_or_other_grid_stamp(world, settings):
    resp = submit(stamp="abc")
    assert resp.status_code == 400 and "表单已过期" in resp.content.decode()
    resp = Client().post(form_url(N1), fields(S2), REMOTE_ADDR="10.0.0.1")  # a stamp for another grid
    assert resp.status_code == 400
    settings.GRIDGOV_CITIZEN_FORM_MAX_AGE = 5
    assert submit(age=60).status_code == 400
    assert nothing_written()


def test_it_makes_a_double_submission_one_case(world):
    data = fields()
    first = Client().post(form_url(), data, REMOTE_ADDR="10.0.0.1")
    second = Client().post(form_url(), data, REMOTE_ADDR="10.0.0.1")
    assert Case.objects.count() == 1 and Submission.objects.count() == 1
    number = Case.objects.get().number
    assert number in first.content.decode() and number in second.content.decode()


def test_it_limits_reports_per_ip(world, settings):
    settings.GRIDGOV_CITIZEN_IP_RATE = "2/3600"
    assert [submit(ip="10.0.0.7").status_code for _ in range(2)] == [200, 200]
    resp = submit(ip="10.0.0.7")
    assert resp.status_code == 429 and "提交次数过多" in resp.content.decode()
    assert Case.objects.count() == 2 and Submission.objects.count() == 2
    assert submit(ip="10.0.0.8").status_code == 200


def test_it_limits_reports_per_phone_across_ips(world, settings):
    settings.GRIDGOV_CITIZEN_PHONE_RATE = "1/86400"
    assert submit(ip="10.0.1.1", contact_phone="13800001111").status_code == 200
    resp = submit(ip="10.0.1.2", contact_phone="138-0000-1111")
    assert resp.status_code == 429 and "该手机号提交次数过多" in resp.content.decode()
    assert Case.objects.count() == 1
    assert submit(ip="10.0.1.3", contact_phone="13900002222").status_code == 200


def test_it_counts_the_forwarded_address_only_behind_a_trusted_proxy(world, settings):
    settings.GRIDGOV_CITIZEN_IP_RATE = "1/3600"
    settings.GRIDGOV_TRUSTED_PROXIES = "127.0.0.9"
    via_proxy = lambda client_addr: Client().post(
        form_url(), fields(), REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {client_addr}")
    assert via_proxy("10.3.0.1").status_code == 200
    assert via_proxy("10.3.0.2").status_code == 200  # another citizen behind the same proxy
    assert via_proxy("10.3.0.1").status_code == 429
    spoofed = Client().post(form_url(), fields(), REMOTE_ADDR="10.4.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert spoofed.status_code == 200
    again = Client().post(form_url(), fields(), REMOTE_ADDR="10.4.0.1", HTTP_X_FORWARDED_FOR="10.9.9.8")
    assert again.status_code == 429  # no proxy in front: the header is ignored


def test_it_keeps_ip_and_phone_only_as_keyed_hashes(world):
    submit(ip="10.9.9.9", contact_phone="13800001111")
    row = Submission.objects.values().get()
    assert "10.9.9.9" not in str(row) and "13800001111" not in str(row)


# --- case numbers and the status page ---------------------------------------------------------------

def test_it_shows_status_category_and_dates_without_personal_data(world):
    submit(contact_name="王芳", contact_phone="13800001111", description="我家门口 王芳 13800001111")
    case = Case.objects.get()
    resp = Client().get(f"/citizen/status/{case.number}/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert case.number in body and "暴露垃圾" in body and "已上报" in body
    for secret in ("王芳", "13800001111", "我家门口", "119.0", "33.0"):
        assert secret not in body
    assert Client().get(f"/citizen/status/{case.number.lower()}/").status_code == 200


def test_it_answers_404_for_an_unknown_number(world):
    assert Client().get("/citizen/status/ABCDEFGHJK/").status_code == 404


def test_it_gives_non_guessable_case_numbers(world):
    numbers = []
    for i in range(12):
        submit(ip=f"10.1.0.{i}")
    numbers = list(Case.objects.order_by("id").values_list("number", flat=True))
    assert len(set(numbers)) == 12
    assert all(re.fullmatch(f"[{NUMBER_ALPHABET}]{{13}}", n) for n in numbers)
    # not sequential: consecutive cases share no long common prefix
    assert sum(a[:4] == b[:4] for a, b in zip(numbers, numbers[1:])) == 0


def test_it_masks_the_contact_for_roles_that_do_not_need_it(world):
    submit(contact_name="王芳", contact_phone="13800001111")
    number = Case.objects.get().number
    monitor = APIClient()
    monitor.force_authenticate(make_user("jk", Role.MONITOR))
    body = monitor.get(f"/api/v1/cases/{number}/").content.decode()
    assert "13800001111" not in body and "王芳" not in body
    dispatcher = APIClient()
    dispatcher.force_authenticate(make_user("dd2", Role.DISPATCHER))
    assert "13800001111" in dispatcher.get(f"/api/v1/cases/{number}/").content.decode()
