"""Briefing export: an HTML map that needs no network (Leaflet inlined, no CDN) and a PNG, with title,
legend, parameters and date; opened in Chromium with every non-file request failing."""
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from gridgov.accounts.models import Role
from tests.factories import build_small_county, make_case, make_user, seed_test_categories

pytestmark = pytest.mark.django_db
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def briefing(tmp_path):
    build_small_county()
    seed_test_categories()
    worker = make_user("worker1", Role.GRID_WORKER)
    for lon, lat in [(119.005, 33.015), (119.006, 33.016), (119.015, 33.005)]:
        make_case(worker, lon=lon, lat=lat, category="E0101", contact_name="李四", contact_phone="13800000000")
    call_command("export_briefing", "--period", "7d", "--category", "E01", "--out", str(tmp_path))
    html = next(tmp_path.glob("briefing-*-E01.html"))
    png = next(tmp_path.glob("briefing-*-E01.png"))
    return html, png


def test_it_writes_a_self_contained_html_map_and_a_png(briefing):
    html_path, png_path = briefing
    html = html_path.read_text(encoding="utf-8")
    assert not re.findall(r'<script[^>]+src=', html)
    assert not re.findall(r'<link[^>]+href="https?://', html)
    assert "cdn." not in html and "code.jquery.com" not in html
    assert "L.version" in html or "Leaflet" in html             # Leaflet itself is inlined
    assert "测试县案件热点分析" in html and "市容环境" in html       # title with the category
    assert "热点（99% 置信）" in html and "Benjamini–Hochberg" in html and "生成时间" in html
    assert "李四" not in html and "13800000000" not in html
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png_path.stat().st_size > 20_000


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_it_draws_the_html_map_with_no_network(briefing):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    html_path, _ = briefing
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        outside = []

        def block(route):
            outside.append(route.request.url)
            route.abort()

        page.route(re.compile(r"^(?!file:).*"), block)
        page.goto(html_path.as_uri())
        page.wait_for_function("typeof L !== 'undefined' && document.querySelector('.leaflet-container') !== null")
        assert page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane path").count() > 0
        browser.close()
    assert outside == []
