import pytest
from django.test import Client

from gridgov.accounts.models import Role
from gridgov.grids.models import GridBoundary, GridUnit
from tests.factories import box, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(county):
    user = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_grid_units_searchable_by_code_and_name(admin_client):
    r = admin_client.get("/admin/grids/gridunit/", {"q": "北村一"})
    assert r.status_code == 200
    assert "320831101001001" in r.content.decode()
    assert "320831101002001" not in r.content.decode()


def test_the_change_page_shows_a_leaflet_map_children_and_history(admin_client):
    unit = GridUnit.objects.get(code="320831101001")
    html = admin_client.get(f"/admin/grids/gridunit/{unit.pk}/change/").content.decode()
    assert "leaflet" in html.lower()
    assert "320831101001001" in html  # children inline
    assert "边界历史版本" in html


def test_the_map_page_uses_local_assets_only(admin_client):
    html = admin_client.get("/admin/grids/gridunit/map/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_a_map_click_on_a_code_opens_its_change_page(admin_client):
    unit = GridUnit.objects.get(code="320831101002")
    r = admin_client.get("/admin/grids/gridunit/map/", {"code": unit.code})
    assert r.status_code == 302 and r.url.endswith(f"/{unit.pk}/change/")


def test_saving_a_new_boundary_in_admin_keeps_the_old_version(admin_client):
    unit = GridUnit.objects.get(code="320831101002002")
    r = admin_client.post(f"/admin/grids/gridunit/{unit.pk}/change/", {
        "name": "南村二网格（调整）", "geom": box(119.01, 33.0, 119.02, 33.012).geojson,
        "population": "321", "is_active": "on", "workers": [],
        "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0",
        "boundaries-TOTAL_FORMS": "1", "boundaries-INITIAL_FORMS": "1",
        "boundaries-0-id": str(unit.boundaries.get().pk), "boundaries-0-unit": str(unit.pk),
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    unit.refresh_from_db()
    assert unit.name == "南村二网格（调整）" and unit.population == 321
    versions = GridBoundary.objects.filter(unit=unit).order_by("valid_from")
    assert versions.count() == 2 and versions[0].valid_to is not None and versions[1].valid_to is None
    assert unit.area_m2 > 1.1e6  # recomputed for the taller shape


def test_pages_are_chinese_by_default_even_for_an_english_browser(admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "注销" in html or "退出" in html
    english = admin_client.get("/admin/", {"lang": "en"}).content.decode()
    assert "Log out" in english


def test_home_sends_each_role_to_its_start_page(county):
    client = Client()
    assert client.get("/").status_code == 302 and "/login/" in client.get("/").url
    client.force_login(make_user("w", Role.GRID_WORKER))
    assert client.get("/").url == "/field/"
    client.force_login(make_user("a", Role.ADMIN, is_staff=True))
    assert client.get("/").url == "/admin/"


def test_an_english_request_does_not_leave_english_active_in_the_thread(admin_client):
    from django.utils import translation

    from gridgov.grids.models import Level

    admin_client.get("/admin/", {"lang": "en"})
    assert translation.get_language() == "zh-hans"
    assert str(Level.GRID.label) == "网格"
