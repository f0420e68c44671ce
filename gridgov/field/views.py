"""The grid worker's mobile pages: report a case (/field/), my cases and the outbox (/field/mine/),
the service worker (/field/sw.js, scope /field/) and the web app manifest.

Thin views: the pages get their data from /api/v1/ in the browser, so the same page works from the
service worker's cache when there is no connection.
"""
import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from gridgov.cases import access
from gridgov.cases import conf as case_conf
from gridgov.cases.inputs import CASE_CREATE

from .selectors import assigned_extent
from .strings import js_strings

# Static files the page needs to open offline (cached by the service worker when it installs).
SHELL_STATIC = [
    "field/field.css", "field/common.js", "field/outbox.js", "field/report.js", "field/mine.js",
    "field/icon-192.png", "vendor/idb/idb.umd.js", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
    "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js", "basemap/basemap.js", "basemap/basemap.css",
]
SW_SOURCE = "field/sw.js"
SCOPE = "/field/"


def _tiles():
    tiles = settings.LEAFLET_CONFIG.get("TILES") or []
    if isinstance(tiles, str):
        tiles = [("", tiles, {})]
    out = []
    for tile in tiles:
        name, url, options = (list(tile) + [{}])[:3]
        out.append({"name": str(name), "url": url, "options": options or {}})
    return out


def _map_config(user):
    center_lat, center_lon = settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (33.0, 119.0))
    return {
        "center": [center_lat, center_lon],
        "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 10),
        "max_zoom": settings.LEAFLET_CONFIG.get("MAX_ZOOM", 18),
        "extent": assigned_extent(user),  # the worker's own grids: the view before the first GPS fix
        "tiles": _tiles(),
    }


def page_config(request):
    user = request.user
    return {
        "lang": "en" if (get_language() or "").startswith("en") else "zh",
        "user": user.get_username(),
        "user_label": str(user),
        "can_report": access.can_report(user),
        "csrf": get_token(request),  # also sets the csrftoken cookie, read again before each POST
        "urls": {
            "cases": reverse("case-list"), "mine": reverse("case-mine"), "duplicates": reverse("case-duplicates"),
            "categories": reverse("category-list"), "locate": reverse("grid-locate"), "grids": reverse("grid-list"),
            "report_page": reverse("field:report"), "mine_page": reverse("field:mine"), "sw": reverse("field:sw"),
            "login": settings.LOGIN_URL,
        },
        "scope": SCOPE,
        "map": _map_config(user),
        # the create request's declared limit (gridgov.cases.inputs.CASE_CREATE), as the API enforces it
        "photos": {"max_count": CASE_CREATE["photos"].max_count(), "max_bytes": case_conf.photo_max_bytes(),
                   "required": "grid_patrol" in case_conf.photo_required_channels()},
        "time_zone": settings.TIME_ZONE,
    }


def _render(request, template, active, status=200):
    context = {"config": page_config(request), "strings": js_strings(), "active": active}
    return render(request, template, context, status=status)


@login_required
def report_page(request):
    if not access.can_report(request.user):
        return _render(request, "field/cannot_report.html", "report", status=403)
    return _render(request, "field/report.html", "report")


@login_required
def mine_page(request):
    return _render(request, "field/mine.html", "mine")


def _source(path):
    found = finders.find(path)
    if not found:
        raise Http404(path)
    with open(found, "rb") as f:
        return f.read()


def shell_version():
    """Changes whenever a file of the app shell changes, so the service worker reinstalls its cache."""
    digest = hashlib.sha256()
    for path in [SW_SOURCE, *SHELL_STATIC]:
        digest.update(_source(path))
    return digest.hexdigest()[:16]


@never_cache
def service_worker(request):
    """Served under /field/ (not /static/) so its scope covers the pages."""
    config = {
        "version": shell_version(),
        "scope": SCOPE,
        "pages": [reverse("field:report"), reverse("field:mine")],
        "static": [static(p) for p in SHELL_STATIC],
        "data": [reverse("category-list")],
        "network_first": [reverse("category-list"), reverse("case-mine")],
        "grids": reverse("grid-list"),
        "idb": static("vendor/idb/idb.umd.js"),
        "outbox": static("field/outbox.js"),
        "cases": reverse("case-list"),
    }
    body = b"self.GRIDGOV_SW = " + json.dumps(config).encode() + b";\n" + _source(SW_SOURCE)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    return response


def manifest(request):
    data = {
        "name": _("网格员上报"),
        "short_name": _("网格上报"),
        "lang": "en" if (get_language() or "").startswith("en") else "zh-CN",
        "start_url": reverse("field:report"),
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f2f4f7",
        "theme_color": "#1559b7",
        "icons": [{"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png",
                   "purpose": "any maskable"}],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8")
