"""Open311 GeoReport v2 conformance: every endpoint in JSON and XML, the wire format a GeoReport v2
client sends (application/x-www-form-urlencoded POST, attribute[code] keys), and the spec's errors."""
import json
import re
from datetime import timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.cases.models import Case, Category, Channel
from gridgov.open311.actions import do_issue_api_key
from gridgov.open311.models import ApiKey, Jurisdiction, RequestToken, ServiceAttribute
from tests.dispatch_helpers import N1, N1_POINT, build_world
from tests.factories import build_small_county, seed_test_categories

FORM = "application/x-www-form-urlencoded"
BASE = "/open311/v2/"


@pytest.fixture
def world(db, settings):
    settings.GRIDGOV_OPEN311_POST_RATE = "1000/60"
    settings.GRIDGOV_OPEN311_GET_RATE = "1000/60"
    from django.core.cache import cache

    cache.clear()
    build_small_county()
    seed_test_categories()
    return build_world()


@pytest.fixture
def key(world):
    return do_issue_api_key("市民热线App")[1]


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # as a foreign client: no CSRF token, no session


def get(client, path, fmt="json", **params):
    resp = client.get(f"{BASE}{path}.{fmt}", params)
    return resp, parse(resp, fmt)


def post(client, fmt="json", path="requests", **fields):
    """Exactly what a GeoReport v2 client library sends: a urlencoded body, attribute[code] keys."""
    body = urlencode(fields, doseq=True)
    resp = client.post(f"{BASE}{path}.{fmt}", body, content_type=FORM)
    return resp, parse(resp, fmt)


def parse(resp, fmt):
    if fmt == "json":
        assert resp["Content-Type"].startswith("application/json")
        return json.loads(resp.content)
    assert resp["Content-Type"].startswith("text/xml")
    return ET.fromstring(resp.content)


def xml_error(root):
    assert root.tag == "errors"
    err = root.find("error")
    return int(err.findtext("code")), err.findtext("description")


# --- discovery and services -----------------------------------------------------------------------

def test_it_answers_discovery_in_json_and_xml(world, client):
    resp, data = get(client, "discovery")
    assert resp.status_code == 200
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    resp, root = get(client, "discovery", "xml")
    assert root.tag == "discovery"
    assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_it_lists_subcategories_as_services_with_group_and_keywords(world, client):
    resp, data = get(client, "services")
    assert resp.status_code == 200
    by_code = {s["service_code"]: s for s in data}
    assert "E01" not in by_code  # groups are not services
    s = by_code["E0101"]
    assert s == {"service_code": "E0101", "service_name": "暴露垃圾", "description": "市容环境 / 暴露垃圾",
                 "metadata": False, "type": "realtime", "keywords": "垃圾, 乱倒, 垃圾堆, 脏乱", "group": "市容环境"}
    assert len(data) == Category.objects.filter(level=2, is_active=True).count()
    resp, root = get(client, "services", "xml")
    assert root.tag == "services"
    first = root.find("service[service_code='E0101']")
    assert first.findtext("service_name") == "暴露垃圾"
    assert first.findtext("metadata") == "false"
    assert first.findtext("group") == "市容环境"
    assert len(root.findall("service")) == len(data)


def test_it_gives_an_empty_definition_for_a_service_without_attributes(world, client):
    resp, data = get(client, "services/E0102")
    assert resp.status_code == 200
    assert data == {"service_code": "E0102", "attributes": []}
    resp, root = get(client, "services/E0102", "xml")
    assert root.tag == "service_definition" and root.findtext("service_code") == "E0102"
    assert list(root.find("attributes")) == []


@pytest.fixture
def attrs(world):
    cat = Category.objects.get(code="E0101")
    ServiceAttribute.objects.create(category=cat, code="size", description="垃圾量", datatype="singlevaluelist",
                                    required=True, order=1, values=[{"key": "s", "name": "少量"},
                                                                    {"key": "l", "name": "大量"}])
    ServiceAttribute.objects.create(category=cat, code="kinds", description="种类", datatype="multivaluelist",
                                    order=2, values=[{"key": "1", "name": "生活垃圾"}, {"key": "2", "name": "建筑垃圾"}])
    return cat


def test_it_defines_service_attributes_in_both_formats(attrs, client):
    resp, data = get(client, "services/E0101")
    assert data["attributes"][0] == {"variable": True, "code": "size", "datatype": "singlevaluelist",
                                     "required": True, "datatype_description": None, "order": 1,
                                     "description": "垃圾量",
                                     "values": [{"key": "s", "name": "少量"}, {"key": "l", "name": "大量"}]}
    assert [s for s in get(client, "services")[1] if s["service_code"] == "E0101"][0]["metadata"] is True
    resp, root = get(client, "services/E0101", "xml")
    attr = root.find("attributes/attribute")
    assert attr.findtext("code") == "size" and attr.findtext("required") == "true"
    assert [v.findtext("name") for v in attr.findall("values/value")] == ["少量", "大量"]


def test_it_answers_404_for_an_unknown_service_in_both_formats(world, client):
    resp, data = get(client, "services/NOPE")
    assert resp.status_code == 404
    assert data[0]["code"] == 404 and "NOPE" in data[0]["description"]
    resp, root = get(client, "services/NOPE", "xml")
    assert resp.status_code == 404 and xml_error(root)[0] == 404


# --- POST requests --------------------------------------------------------------------------------

def test_it_creates_a_case_from_a_form_encoded_post_with_lat_long(world, key, client):
    lon, lat = N1_POINT
    resp, data = post(client, api_key=key, service_code="E0102", lat=str(lat), long=str(lon),
                      description="路边堆了很多建筑垃圾", first_name="明", last_name="李", phone="13912345678",
                      email="li@example.com", device_id="abc", account_id="u1", media_url="https://x.example/a.jpg")
    assert resp.status_code == 200, data
    number = data[0]["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.grid_code == N1 and case.channel == Channel.CITIZEN and case.category.code == "E0102"
    assert case.contact_name == "李明" and case.contact_phone == "13912345678"
    assert "https://x.example/a.jpg" in case.description
    assert case.reporter == ApiKey.objects.get().user
    assert RequestToken.objects.get(case=case).token == data[0]["token"]
    assert "account_id" in data[0]


def test_it_creates_a_case_from_an_xml_post(world, key, client):
    lon, lat = N1_POINT
    resp, root = post(client, "xml", api_key=key, service_code="E0101", lat=lat, long=lon)
    assert resp.status_code == 200
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    assert Case.objects.filter(number=number).exists()
    assert root.find("request/token").text


def test_it_locates_a_post_by_a_village_name_in_address_string(world, key, client):
    resp, data = post(client, api_key=key, service_code="E0101", address_string="测试镇南村村委会东边路口")
    assert resp.status_code == 200, data
    case = Case.objects.get(number=data[0]["service_request_id"])
    assert case.grid_code.startswith("320831101002")  # 南村: a point on its surface, then its grid
    assert case.address == "测试镇南村村委会东边路口"


def test_it_refuses_an_address_string_without_a_known_village(world, key, client):
    resp, data = post(client, api_key=key, service_code="E0101", address_string="人民路100号")
    assert resp.status_code == 400
    assert "address_string" in data[0]["description"]
    assert Case.objects.count() == 0


def test_it_stores_attribute_values_from_attribute_keys(attrs, key, client):
    lon, lat = N1_POINT
    fields = {"api_key": key, "service_code": "E0101", "lat": lat, "long": lon, "description": "垃圾",
              "attribute[size]": "l", "attribute[kinds][]": ["1", "2"]}
    resp, data = post(client, **fields)
    assert resp.status_code == 200, data
    case = Case.objects.get(number=data[0]["service_request_id"])
    assert "垃圾量：大量" in case.description and "种类：生活垃圾、建筑垃圾" in case.description


@pytest.mark.parametrize("fields, status, needle", [
    ({"attribute[size]": "huge"}, 400, "attribute[size]"),
    ({}, 400, "attribute[size]"),  # required
    ({"attribute[size]": "s", "attribute[colour]": "red"}, 400, "attribute[colour]"),
])
def test_it_refuses_bad_attributes_and_writes_nothing(attrs, key, client, fields, status, needle):
    lon, lat = N1_POINT
    resp, data = post(client, api_key=key, service_code="E0101", lat=lat, long=lon, **fields)
    assert resp.status_code == status
    assert needle in data[0]["description"]
    assert Case.objects.count() == 0


def test_it_refuses_a_post_without_an_api_key_with_403_in_both_formats(world, client):
    lon, lat = N1_POINT
    resp, data = post(client, service_code="E0101", lat=lat, long=lon)
    assert resp.status_code == 403 and data[0]["code"] == 403 and "api_key" in data[0]["description"]
    resp, root = post(client, "xml", service_code="E0101", lat=lat, long=lon, api_key="wrong")
    assert resp.status_code == 403 and xml_error(root)[0] == 403
    assert Case.objects.count() == 0


def test_it_refuses_a_revoked_key(world, client):
    key_obj, raw = do_issue_api_key("旧系统")
    ApiKey.objects.filter(pk=key_obj.pk).update(is_active=False)
    resp, data = post(client, api_key=raw, service_code="E0101", lat=33.015, long=119.005)
    assert resp.status_code == 403


def test_it_stores_api_keys_hashed(world):
    key_obj, raw = do_issue_api_key("另一系统")
    assert raw not in key_obj.key_hash and len(key_obj.key_hash) == 64
    assert not ApiKey.objects.filter(key_hash=raw).exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_refuses_an_unknown_service_code_on_post(world, key, client, fmt):
    resp, data = post(client, fmt, api_key=key, service_code="ZZ99", lat=33.015, long=119.005)
    assert resp.status_code == 404
    assert (data[0]["code"] if fmt == "json" else xml_error(data)[0]) == 404
    resp, data = post(client, fmt, api_key=key, lat=33.015, long=119.005)
    assert resp.status_code == 400  # service_code missing
    assert Case.objects.count() == 0


@pytest.mark.parametrize("lat, long, needle", [
    ("abc", "119.005", "lat"), ("33.015", "", "long"), ("95", "119.005", "lat"), ("0", "0", "long"),
    ("33.015", "200", "long"), ("40.0", "100.0", "outside every grid"),  # in China but outside every grid
])
def test_it_refuses_bad_lat_long_with_400(world, key, client, lat, long, needle):
    resp, data = post(client, api_key=key, service_code="E0101", lat=lat, long=long)
    assert resp.status_code == 400, data
    assert data[0]["code"] == 400 and needle in data[0]["description"]
    assert Case.objects.count() == 0


def test_it_refuses_a_post_without_any_location(world, key, client):
    resp, data = post(client, api_key=key, service_code="E0101", description="无位置")
    assert resp.status_code == 400 and "lat" in data[0]["description"]


def test_it_needs_no_csrf_token_but_refuses_other_methods(world, key, client):
    resp = client.put(f"{BASE}requests.json", "", content_type=FORM)
    assert resp.status_code == 405


def test_it_throttles_posts_per_api_key(world, key, client, settings):
    settings.GRIDGOV_OPEN311_POST_RATE = "2/60"
    codes = [post(client, api_key=key, service_code="E0101", lat=33.015, long=119.005)[0].status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert Case.objects.count() == 2


def test_it_throttles_reads_per_client_ip_in_the_spec_error_format(world, client, settings):
    settings.GRIDGOV_OPEN311_GET_RATE = "2/60"
    assert [get(client, "services")[0].status_code for _ in range(2)] == [200, 200]
    resp, root = get(client, "services", "xml")
    assert resp.status_code == 429 and xml_error(root)[0] == 429
    assert Client(REMOTE_ADDR="10.2.3.4").get(f"{BASE}services.json").status_code == 200


# --- jurisdiction ---------------------------------------------------------------------------------

def test_it_answers_404_for_an_unknown_jurisdiction(world, client):
    resp, data = get(client, "services", jurisdiction_id="nowhere.gov.cn")
    assert resp.status_code == 404 and "jurisdiction_id" in data[0]["description"]
    resp, root = get(client, "requests", "xml", jurisdiction_id="nowhere.gov.cn")
    assert resp.status_code == 404 and xml_error(root)[0] == 404


def test_it_limits_a_jurisdiction_to_its_area(world, key, client):
    Jurisdiction.objects.create(jurisdiction_id="north.test", name="北村", area_code="320831101001")
    resp, data = get(client, "services", jurisdiction_id="north.test")
    assert resp.status_code == 200
    resp, data = post(client, api_key=key, service_code="E0101", lat=33.005, long=119.005,
                      jurisdiction_id="north.test")  # 南村
    assert resp.status_code == 400 and Case.objects.count() == 0
    resp, data = post(client, api_key=key, service_code="E0101", lat=33.015, long=119.005,
                      jurisdiction_id="north.test")
    assert resp.status_code == 200


# --- GET requests ---------------------------------------------------------------------------------

def _submit(client, key, **fields):
    fields.setdefault("service_code", "E0101")
    fields.setdefault("lat", 33.015)
    fields.setdefault("long", 119.005)
    resp, data = post(client, api_key=key, **fields)
    assert resp.status_code == 200, data
    return data[0]["service_request_id"]


def test_it_shows_a_request_without_personal_data_in_both_formats(world, key, client):
    number = _submit(client, key, description="门口垃圾没人收，联系我13912345678", first_name="明", last_name="李",
                     phone="13912345678", email="li@example.com")
    for fmt in ("json", "xml"):
        resp = client.get(f"{BASE}requests/{number}.{fmt}")
        assert resp.status_code == 200
        body = resp.content.decode()
        for secret in ("李明", "13912345678", "li@example.com", "明"):
            assert secret not in body.replace("已受理", "")
        assert "139****5678" in body
    data = json.loads(client.get(f"{BASE}requests/{number}.json").content)
    r = data[0]
    assert r["service_request_id"] == number and r["status"] == "open" and r["service_code"] == "E0101"
    assert r["lat"] == pytest.approx(33.015) and r["long"] == pytest.approx(119.005)
    assert r["requested_datetime"].endswith("+08:00")
    assert r["agency_responsible"] is None and r["expected_datetime"] is None
    root = ET.fromstring(client.get(f"{BASE}requests/{number}.xml").content)
    assert root.tag == "service_requests" and root.find("request/status").text == "open"
    assert root.find("request/long").text == "119.005"


def test_it_keeps_xml_parseable_with_markup_and_control_characters_in_text(world, key, client):
    number = _submit(client, key, description="<b>垃圾</b> & 污水\x07\x0b 漏了")
    root = ET.fromstring(client.get(f"{BASE}requests/{number}.xml").content)
    assert root.findtext("request/description") == "<b>垃圾</b> & 污水 漏了"
    assert json.loads(client.get(f"{BASE}requests/{number}.json").content)[0]["description"].startswith("<b>")


def test_it_names_the_lead_department_and_its_deadline(world, key, client):
    from gridgov.dispatch.actions import do_file_case_by_command_centre
    from gridgov.dispatch.models import Dispatch

    number = _submit(client, key)
    do_file_case_by_command_centre(Case.objects.get(number=number), world.users["dispatcher"])
    lead = Dispatch.objects.get(case__number=number, role="lead")
    r = json.loads(client.get(f"{BASE}requests/{number}.json").content)[0]
    assert r["agency_responsible"] == lead.department.name == "部门cg"
    assert r["expected_datetime"] is not None
    from django.utils.dateparse import parse_datetime

    assert parse_datetime(r["expected_datetime"]) == lead.feedback_due.replace(microsecond=0)
    root = ET.fromstring(client.get(f"{BASE}requests/{number}.xml").content)
    assert root.findtext("request/agency_responsible") == "部门cg"


def test_it_reports_closed_cases_as_closed_with_status_notes(world, key, client):
    number = _submit(client, key)
    # Closing goes through the dispatch lifecycle (tested there); here only its outcome matters.
    Case.objects.filter(number=number).update(status="closed", closed_at=timezone.now(),
                                              resolution_note="已清理，联系人 13912345678 确认")
    r = json.loads(client.get(f"{BASE}requests/{number}.json").content)[0]
    assert r["status"] == "closed"
    assert r["status_notes"] == "已清理，联系人 139****5678 确认"  # phones masked in notes too


def test_it_filters_requests(world, key, client):
    a = _submit(client, key, service_code="E0101")
    b = _submit(client, key, service_code="E0102")
    old = _submit(client, key, service_code="E0101")
    Case.objects.filter(number=old).update(received_at=timezone.now() - timedelta(days=120))
    numbers = lambda data: {r["service_request_id"] for r in data}
    assert numbers(get(client, "requests")[1]) == {a, b}  # default: the last 90 days
    assert numbers(get(client, "requests", service_code="E0102")[1]) == {b}
    assert numbers(get(client, "requests", service_request_id=f"{a},{old}")[1]) == {a, old}
    start = (timezone.now() - timedelta(days=200)).isoformat()
    assert numbers(get(client, "requests", start_date=start)[1]) == {a, b, old}
    end = (timezone.now() - timedelta(days=100)).isoformat()
    assert numbers(get(client, "requests", start_date=start, end_date=end)[1]) == {old}
    assert numbers(get(client, "requests", status="closed")[1]) == set()
    assert numbers(get(client, "requests", status="open")[1]) == {a, b}
    resp, root = get(client, "requests", "xml", service_code="E0101")
    assert {r.findtext("service_request_id") for r in root.findall("request")} == {a}


def test_it_caps_the_number_of_requests(world, key, client, settings):
    for _ in range(3):
        _submit(client, key)
    settings.GRIDGOV_OPEN311_MAX_RESULTS = 2
    assert len(get(client, "requests")[1]) == 2


@pytest.mark.parametrize("params, needle", [({"status": "pending"}, "status"),
                                            ({"start_date": "yesterday"}, "start_date"),
                                            ({"start_date": "2026-02-01T00:00:00Z",
                                              "end_date": "2026-01-01T00:00:00Z"}, "end_date")])
def test_it_refuses_bad_filters_with_400(world, client, params, needle):
    for fmt in ("json", "xml"):
        resp, data = get(client, "requests", fmt, **params)
        assert resp.status_code == 400
        description = data[0]["description"] if fmt == "json" else xml_error(data)[1]
        assert needle in description


def test_it_answers_404_for_an_unknown_request_in_both_formats(world, client):
    resp, data = get(client, "requests/NOSUCHCASE")
    assert resp.status_code == 404 and data[0]["code"] == 404
    resp, root = get(client, "requests/NOSUCHCASE", "xml")
    assert resp.status_code == 404 and xml_error(root)[0] == 404


def test_it_answers_tokens_in_both_formats(world, key, client):
    resp, data = post(client, api_key=key, service_code="E0101", lat=33.015, long=119.005)
    token, number = data[0]["token"], data[0]["service_request_id"]
    resp, data = get(client, f"tokens/{token}")
    assert resp.status_code == 200 and data == [{"service_request_id": number, "token": token}]
    resp, root = get(client, f"tokens/{token}", "xml")
    assert root.find("request/service_request_id").text == number and root.find("request/token").text == token
    resp, data = get(client, "tokens/unknown")
    assert resp.status_code == 404 and data[0]["code"] == 404


# --- an existing client over HTTP ------------------------------------------------------------------

@pytest.fixture
def live(transactional_db, live_server, settings):
    settings.GRIDGOV_OPEN311_POST_RATE = "1000/60"
    settings.GRIDGOV_OPEN311_GET_RATE = "1000/60"
    build_small_county()
    seed_test_categories()
    return live_server.url + "/open311/v2"


def test_it_works_with_the_georeport_client_library_and_urlencoded_posts(live, media):
    """georeport 0.3.1 (PyPI) for the reads, in both formats; POST exactly as clients send it with
    requests: data= (urlencoded), and multipart with a `media` photo."""
    import requests
    from georeport import GeoReport

    raw = do_issue_api_key("外部系统")[1]
    resp = requests.post(f"{live}/requests.json", data={
        "api_key": raw, "service_code": "E0101", "lat": "33.015", "long": "119.005", "description": "垃圾",
        "attribute[none]": "", "email": "a@b.c", "first_name": "明", "last_name": "李"})
    assert resp.status_code == 200, resp.text
    assert resp.request.headers["Content-Type"] == FORM
    number = resp.json()[0]["service_request_id"]
    from tests.factories import make_photo

    resp = requests.post(f"{live}/requests.xml", data={"api_key": raw, "service_code": "E0102",
                                                      "address_string": "北村"},
                         files={"media": ("p.jpg", make_photo().read(), "image/jpeg")})
    assert resp.status_code == 200, resp.text
    with_photo = ET.fromstring(resp.content).findtext("request/service_request_id")

    for fmt in ("json", "xml"):
        client = GeoReport(live, output_format=fmt)
        services = client.get_service_list()
        assert "E0101" in {s["service_code"] for s in services}
        assert client.get_service_definition("E0101")["service_code"] == "E0101"
        found = client.get_service_requests(service_code="E0101,E0102")
        found = found if isinstance(found, list) else [found]
        assert {r["service_request_id"] for r in found} == {number, with_photo}
        one = client.get_service_request(with_photo)
        assert one["service_code"] == "E0102" and one["status"] == "open"
        assert one["media_url"].startswith("http") and "李" not in str(one)


def test_it_issues_a_key_in_the_admin_and_shows_it_once(world):
    from gridgov.accounts.models import Role
    from tests.dispatch_helpers import make_user

    admin = Client()
    admin.force_login(make_user("root", Role.ADMIN, is_staff=True, is_superuser=True))
    resp = admin.post("/admin/open311/apikey/add/", {"name": "区政务App", "channel": "citizen", "is_active": "on"},
                      follow=True)
    assert resp.status_code == 200
    shown = [str(m) for m in resp.context["messages"]]
    raw = re.search(r"：(\S+)$", next(m for m in shown if "仅显示这一次" in m)).group(1)
    key = ApiKey.objects.get(name="区政务App")
    assert key.prefix == raw[:8] and key.user.role == Role.GRID_WORKER and not key.user.has_usable_password()
    resp, data = post(Client(), api_key=raw, service_code="E0101", lat=33.015, long=119.005)
    assert resp.status_code == 200
    assert raw not in admin.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
