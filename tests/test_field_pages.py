"""The grid worker's mobile pages, server side: login, rendering, no CDN, service worker, i18n."""
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from gridgov.accounts.models import Role
from gridgov.field.views import SHELL_STATIC
from gridgov.grids.models import GridUnit
from tests.factories import make_user

EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
CDN_HOSTS = ("unpkg", "jsdelivr", "cdnjs", "googleapis", "bootcdn", "staticfile", "cloudflare", "gstatic")


@pytest.fixture
def worker_client(worker):
    client = Client()
    client.force_login(worker)
    return client


def config_of(response):
    html = response.content.decode()
    match = re.search(r'<script id="field-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def strings_of(response):
    html = response.content.decode()
    match = re.search(r'<script id="field-strings" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/field/", "/field/mine/"])
def test_it_sends_anonymous_users_to_the_login_page(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=" + url)


@pytest.mark.django_db
def test_it_renders_the_login_page_in_chinese_for_mobile():
    response = Client().get("/accounts/login/?next=/field/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="viewport"' in html and "width=device-width" in html
    assert "账号登录" in html and "密码" in html
    assert 'name="next" value="/field/"' in html


@pytest.mark.django_db
def test_it_logs_a_worker_in_and_sends_them_to_the_report_page(worker):
    client = Client()
    response = client.post("/accounts/login/", {"username": "worker1", "password": "pw-worker1", "next": "/field/"})
    assert response.status_code == 302 and response["Location"] == "/field/"
    assert client.get("/field/").status_code == 200


@pytest.mark.django_db
def test_it_renders_the_report_page_for_a_grid_worker(worker_client):
    response = worker_client.get("/field/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "上报问题" in html and "就地解决" in html and "提交上报" in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/idb/idb.umd.js" in html
    config = config_of(response)
    assert config["user"] == "worker1" and config["can_report"] is True
    assert config["urls"]["cases"] == "/api/v1/cases/" and config["urls"]["locate"] == "/api/v1/grids/locate/"
    assert config["urls"]["sw"] == "/field/sw.js" and config["scope"] == "/field/"
    assert config["photos"] == {"max_count": 6, "max_bytes": 15 * 1024 * 1024, "required": True}
    assert config["map"]["tiles"] == []  # no base map unless one is configured
    assert "csrftoken" in response.cookies  # the outbox sends it as X-CSRFToken


@pytest.mark.django_db
def test_it_centres_the_map_on_the_workers_own_grids(county, worker, worker_client):
    GridUnit.objects.get(code="320831101001001").workers.add(worker)
    extent = config_of(worker_client.get("/field/"))["map"]["extent"]
    assert extent == pytest.approx([119.0, 33.01, 119.01, 33.02])


@pytest.mark.django_db
def test_it_renders_my_cases_page_with_the_outbox(worker_client):
    response = worker_client.get("/field/mine/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="outbox"' in html and "待发送" in html and 'id="case-list"' in html
    assert "/static/field/mine.js" in html


@pytest.mark.django_db
def test_it_refuses_the_report_page_to_roles_that_cannot_report():
    client = Client()
    client.force_login(make_user("monitor1", Role.MONITOR))
    response = client.get("/field/")
    assert response.status_code == 403
    assert "您的角色不能上报案卷" in response.content.decode()
    assert client.get("/field/mine/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/field/", "/field/mine/", "/accounts/login/"])
def test_it_references_no_cdn(worker_client, url):
    client = worker_client if url.startswith("/field/") else Client()
    html = client.get(url).content.decode()
    assert not EXTERNAL_URL.search(html), EXTERNAL_URL.search(html).group(0)
    assert not any(host in html for host in CDN_HOSTS)


def test_its_static_files_reference_no_cdn():
    for path in SHELL_STATIC + ["field/sw.js"]:
        found = finders.find(path)
        assert found, f"{path} is not found by staticfiles (run scripts/assets.sh)"
        if path.endswith((".js", ".css")) and path.startswith("field/"):
            text = open(found, encoding="utf-8").read()
            assert "http://" not in text and "https://" not in text, path


@pytest.mark.django_db
def test_it_serves_the_service_worker_with_a_scope_over_the_pages():
    response = Client().get("/field/sw.js")  # no login: the browser re-fetches it to update
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    config = json.loads(re.match(r"self\.GRIDGOV_SW = (.*?);\n", body).group(1))
    assert config["pages"] == ["/field/", "/field/mine/"]
    assert "/static/vendor/leaflet/leaflet.js" in config["static"] and "/static/field/report.js" in config["static"]
    assert config["data"] == ["/api/v1/categories/"]
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert 'addEventListener("sync"' in body and "importScripts" in body


@pytest.mark.django_db
def test_it_serves_the_web_app_manifest():
    response = Client().get("/field/manifest.webmanifest")
    data = json.loads(response.content)
    assert response["Content-Type"].startswith("application/manifest+json")
    assert data["start_url"] == "/field/" and data["scope"] == "/field/" and data["display"] == "standalone"
    for icon in data["icons"]:
        assert finders.find(icon["src"][len("/static/"):]), icon["src"]


@pytest.mark.django_db
def test_it_renders_the_pages_in_english_when_the_language_is_switched(worker_client):
    response = worker_client.post("/i18n/setlang/", {"language": "en", "next": "/field/"})
    assert response.status_code == 302
    response = worker_client.get("/field/")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Report a problem" in html and "Handled on the spot" in html and "Send report" in html
    assert "上报问题" not in html and "提交上报" not in html
    assert config_of(response)["lang"] == "en"
    strings = strings_of(response)
    assert strings["submit"] == "Send report" and strings["accuracy"] == "GPS accuracy ±{m} m"
    mine = worker_client.get("/field/mine/").content.decode()
    assert "My reports" in mine and "Waiting to be sent" in mine


@pytest.mark.django_db
def test_it_translates_every_string_of_the_pages_into_english(worker_client):
    worker_client.post("/i18n/setlang/", {"language": "en", "next": "/field/"})
    untranslated = {k: v for k, v in strings_of(worker_client.get("/field/")).items()
                    if re.search(r"[\u4e00-\u9fff]", v)}
    assert untranslated == {}
    for url in ("/field/", "/field/mine/"):
        html = worker_client.get(url).content.decode()
        visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
        visible = visible.replace("中文", "").replace("张网格", "")  # the language switch; the user's name
        assert not re.search(r"[\u4e00-\u9fff]", visible), re.search(r".{0,20}[\u4e00-\u9fff]+.{0,20}", visible).group(0)


@pytest.mark.django_db
def test_it_uses_chinese_by_default(worker_client):
    html = worker_client.get("/field/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-CN">' in html and "上报问题" in html
    html = worker_client.get("/field/").content.decode()  # no Accept-Language: the site default
    assert "上报问题" in html
