"""Access-control matrix (issue 7, item 4): every role × every object × every endpoint of the URLconf.

The URL patterns are enumerated from the URLconf: a new endpoint without a rule here (or in the public
allow-list) fails test_it_has_a_rule_for_every_endpoint. Each endpoint is requested by every role, for
objects in and out of the role's scope and for an id that does not exist, over the API with a token and
over the HTML pages with a session. Two kinds of check:

- status: 200 in scope; 404 for an object outside the scope (answered exactly as for an id that does
  not exist: existence is hidden); 403 only when the role never does this at all (checked before the
  object is looked up, so it says nothing about the object) or when it may see the object but not act
  on it; anonymous: 401/403 (API) or a redirect to the login page (HTML);
- content, on every response of the matrix (JSON, GeoJSON, CSV, MVT bytes, HTML): a case's number only
  for roles that may know the case, a citizen's raw name/phone/e-mail (also typed into free text) only
  for roles that need it, a photo's file token only for roles that may see the photo, a department's
  feedback text only for roles that may see that dispatch. The oracle below is written from the rules
  (docs/reliability/access.md), not from gridgov's access modules.

The world is built once per module inside a transaction that is rolled back at the end; each test runs
in a savepoint of it (pytest-django's db fixture), so writes that should be refused cannot leak into the
next test either. Set ACCESS_MATRIX_SUMMARY=<file> to write the counts (bench/verify/40-access.sh).
"""
import json
import os
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache as django_cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

from gridgov.cases.models import Case
from tests import access_rules
from tests.access_world import (CAN_REPORT, COMMAND, CONSOLE_RESPONDERS, COUNTS, EVALUATION, FOUND, MISSING_ID,
                                MISSING_NUMBER, N1, N1_POINT, PHOTO_CASE, PII, PRINTERS, READ_ONLY, REFUSED, ROLES,
                                SEE_ALL, SIGNED_IN, VERIFIERS, WALL, body_text, body_text_bytes, build_access_world,
                                case_scope, denied_anon, dispatch_scope, leaks, request, sees_photo, snapshot, tile_of)

@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    with override_settings(MEDIA_ROOT=tmp / "media", GRIDGOV_PRIVATE_MEDIA_ROOT=tmp / "private",
                           GRIDGOV_OPEN311_POST_RATE="1000/60", GRIDGOV_OPEN311_GET_RATE="10000/60",
                           GRIDGOV_CITIZEN_MIN_FILL_SECONDS=3, GRIDGOV_CITIZEN_IP_RATE="100/3600",
                           GRIDGOV_CITIZEN_PHONE_RATE="100/86400",
                           PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        with django_db_blocker.unblock():
            django_cache.clear()
            from maps import cache as maps_cache

            maps_cache.clear()
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                w = build_access_world()
                access_rules.build(w)
                yield w
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                maps_cache.clear()
                _write_summary()


def _write_summary():
    path = os.environ.get("ACCESS_MATRIX_SUMMARY")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            pairs = {k for k in COUNTS if isinstance(k, tuple)}
            json.dump({"full": FULL, "requests": COUNTS["requests"], "roles": len(ROLES),
                       "endpoints": len(SPECS) + len(PUBLIC), "matrix_endpoints": len(SPECS),
                       "public_endpoints": len(PUBLIC), "role_endpoint_pairs": len(pairs),
                       "endpoints_per_role": {r: sum(1 for p in pairs if p[0] == r) for r in ROLES},
                       "problems_found_now": FOUND}, fh, ensure_ascii=False, indent=1)


# --- the rules per endpoint -------------------------------------------------------------------------

@dataclass
class Spec:
    route: str
    objects: str = ""  # "", case, dispatch, photo, notification, suspension
    roles: set = field(default_factory=lambda: set(SIGNED_IN))  # roles for which the endpoint exists at all
    method: str = "get"
    html: bool = False
    write: bool = False
    make: object = None  # (world, object key or None) -> path
    scope: object = None  # (role, object key) -> bool
    query: dict = field(default_factory=dict)
    in_scope_refused: int = 0  # status when the object is visible but the role may not act (writes, originals);
    # -1: any refusal of the empty request (400/403/409) or 200: the lifecycle tests check those actions
    acts: set = None  # roles that get 200 for an object in scope (default: every role in `roles`)
    numbers_ok: bool = False  # may name cases outside the scope (number only; never text, photo or contact)
    reference: bool = False  # the answer does not depend on scope: checked for each kind of role (KINDS)
    objs: list = None  # the objects to request (default: OBJECTS[objects])
    kinds: list = None  # the roles to ask in the quick matrix, for an expensive reference endpoint


def cnum(w, k):
    return MISSING_NUMBER if k is None else w.cases[k].number


def dpk(w, k):
    return MISSING_ID if k is None else w.dispatches[k].pk


def ppk(w, k):
    return MISSING_ID if k is None else w.photos[k].pk


def case_in(role, k):
    return k in case_scope(role)


def dispatch_in(role, k):
    return k in dispatch_scope(role)


def notification_in(role, k):
    return k == role


def suspension_in(role, k):
    return dispatch_in(role, "A_gaj")


TILE = tile_of(119.01, 33.01, 12)  # the whole small county


def S(route, **kw):
    return Spec(route, **kw)


SPECS = {s.route: s for s in [
    # cases
    S("api/v1/cases/"), S("api/v1/cases/mine/"),
    # the duplicate check names open cases of the category nearby across grid borders (number, category,
    # distance, grid: to report a repeat as a follow-up), never their text, photo or contact
    S("api/v1/cases/duplicates/", roles=CAN_REPORT, numbers_ok=True,
      query={"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101"}),
    S("api/v1/cases/<str:number>/", objects="case", make=lambda w, k: f"/api/v1/cases/{cnum(w, k)}/", scope=case_in,
      objs=[None, "A", "B", "C", "D", "E"]),
    S("api/v1/dispatches/<int:pk>/", objects="dispatch", scope=dispatch_in, make=lambda w, k: f"/api/v1/dispatches/{dpk(w, k)}/",
      objs=[None, "A_cg", "A_gaj", "B_hw"]),
    S("api/v1/cases/<str:number>/photos/<int:photo_id>/original/", objects="photo", scope=lambda r, k: case_in(r, PHOTO_CASE[k]),
      make=lambda w, k: f"/api/v1/cases/{cnum(w, PHOTO_CASE.get(k))}/photos/{ppk(w, k)}/original/",
      in_scope_refused=403, acts=COMMAND),
    S("api/v1/categories/", reference=True), S("api/v1/me/", reference=True),
    S("api/v1/grids/locate/", reference=True, query={"lon": N1_POINT[0], "lat": N1_POINT[1]}),
    S("api/v1/grids/", reference=True),
    S("api/v1/grids/<str:code>/", reference=True, make=lambda w, k: f"/api/v1/grids/{N1}/"),
    # offline base map (no personal data): every signed-in role
    S("api/v1/geo/tiles/<int:z>/<int:x>/<int:y>.pbf", reference=True, make=lambda w, k: "/api/v1/geo/tiles/%d/%d/%d.pbf" % TILE),
    S("api/v1/geo/places.geojson", reference=True),
    S("api/v1/geo/reverse/", reference=True, query={"lon": N1_POINT[0], "lat": N1_POINT[1]}),
    # dispatch
    *[S(f"api/v1/cases/<str:number>/{a}/", objects="case", method="post", write=True, scope=case_in, in_scope_refused=-1,
        make=lambda w, k, a=a: f"/api/v1/cases/{cnum(w, k)}/{a}/") for a in ("whistle", "file", "escalate", "close")],
    # re-routing is the command centre's alone: refused (403) before the case is looked up
    S("api/v1/cases/<str:number>/reroute/", objects="case", method="post", write=True, scope=case_in,
      in_scope_refused=-1, roles=COMMAND, make=lambda w, k: f"/api/v1/cases/{cnum(w, k)}/reroute/"),
    S("api/v1/cases/<str:number>/dispatches/", objects="case", scope=case_in,
      make=lambda w, k: f"/api/v1/cases/{cnum(w, k)}/dispatches/"),
    S("api/v1/routing/preview/", reference=True, query={"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101"}),
    S("api/v1/dispatches/"),
    *[S(f"api/v1/dispatches/<int:pk>/{a}/", objects="dispatch", method="post", write=True, scope=dispatch_in,
        in_scope_refused=-1, make=lambda w, k, a=a: f"/api/v1/dispatches/{dpk(w, k)}/{a}/")
      for a in ("accept", "start", "feedback", "verify", "return", "suspend", "resume")],
    S("api/v1/suspensions/"),
    S("api/v1/suspensions/<int:pk>/decide/", objects="suspension", method="post", write=True, scope=suspension_in,
      in_scope_refused=-1, make=lambda w, k: f"/api/v1/suspensions/{MISSING_ID if k is None else w.suspension}/decide/"),
    S("api/v1/triage/", roles=SEE_ALL),
    S("api/v1/export/cases.<str:fmt>", make=lambda w, k: "/api/v1/export/cases.csv"),
    S("api/v1/export/grids.<str:fmt>", reference=True, make=lambda w, k: "/api/v1/export/grids.geojson"),
    # the classifier loads its model on first use (a minute on a loaded machine): signed-in roles in the full run
    S("api/v1/classify/", reference=True, kinds=["anon"], query={"text": "门口垃圾很多"}),
    S("api/v1/notifications/"), S("api/v1/notifications/unread-count/"),
    S("api/v1/notifications/read/", method="post", write=True, in_scope_refused=-1),
    S("api/v1/notifications/<int:pk>/read/", objects="notification", method="post", write=True, scope=notification_in,
      make=lambda w, k: f"/api/v1/notifications/{w.notifications.get(k, MISSING_ID) if k else MISSING_ID}/read/"),
    S("api/v1/evaluation/", roles=EVALUATION, query={"period_start": "2026-01-01", "period_end": "2026-12-31"}),
    S("api/v1/evaluation/ratings/", objects="case", method="post", write=True, scope=case_in, in_scope_refused=-1,
      make=lambda w, k: ("/api/v1/evaluation/ratings/", {"case": cnum(w, k), "source": "verifier", "level": "satisfied"})),
    # map wall (display roles; never personal data)
    S("mapwall/", roles=WALL, html=True),
    S("api/v1/maps/version/", roles=WALL), S("api/v1/maps/dashboard/", roles=WALL),
    S("api/v1/maps/tiles/cases/<int:z>/<int:x>/<int:y>.pbf", roles=WALL, make=lambda w, k: "/api/v1/maps/tiles/cases/%d/%d/%d.pbf" % TILE),
    S("api/v1/maps/tiles/grids/<int:z>/<int:x>/<int:y>.pbf", roles=WALL, make=lambda w, k: "/api/v1/maps/tiles/grids/%d/%d/%d.pbf" % TILE),
    S("api/v1/maps/grids.geojson", roles=WALL), S("api/v1/maps/hexbins.geojson", roles=WALL),
    S("api/v1/maps/heat/", roles=WALL), S("api/v1/maps/hotspots.geojson", roles=WALL),
    S("api/v1/maps/hotspots/trend.geojson", roles=WALL),
    S("api/v1/maps/cases/<str:number>/", objects="case", roles=WALL, scope=lambda r, k: True,
      make=lambda w, k: f"/api/v1/maps/cases/{cnum(w, k)}/"),
    S("api/v1/maps/grids/<str:code>/", roles=WALL, make=lambda w, k: f"/api/v1/maps/grids/{N1}/"),
    # console (HTML, session)
    S("console/", roles=CONSOLE_RESPONDERS, html=True),
    S("console/dispatch/<int:pk>/", objects="dispatch", roles=CONSOLE_RESPONDERS, html=True, scope=dispatch_in,
      make=lambda w, k: f"/console/dispatch/{dpk(w, k)}/"),
    S("console/dispatch/<int:pk>/<slug:name>/", objects="dispatch", roles=CONSOLE_RESPONDERS, html=True, method="post",
      write=True, scope=dispatch_in, in_scope_refused=-1, make=lambda w, k: f"/console/dispatch/{dpk(w, k)}/accept/"),
    S("console/photos/<int:pk>/<slug:variant>/", objects="photo", html=True, scope=sees_photo,
      make=lambda w, k: f"/console/photos/{ppk(w, k)}/thumb/"),
    S("console/verify/", roles=VERIFIERS, html=True),
    S("console/verify/<int:pk>/", objects="dispatch", roles=VERIFIERS, html=True, scope=dispatch_in,
      make=lambda w, k: f"/console/verify/{dpk(w, k)}/"),
    S("console/notifications/", html=True), S("console/rankings/", roles=EVALUATION, html=True),
    S("console/command/", roles=COMMAND, html=True), S("console/command/preview/", roles=COMMAND, html=True),
    S("console/command/file/", roles=COMMAND, html=True),
    # petition desk (信访): registration form, and the person's file (a missing person: 404 for the desk)
    S("console/petitions/", roles=COMMAND, html=True), S("console/petitions/measures/", roles=EVALUATION, html=True), S("console/petitions/new/", roles=COMMAND, html=True),
    S("console/petitions/person/<int:pk>/", roles=COMMAND, html=True, in_scope_refused=404,
      make=lambda w, k: f"/console/petitions/person/{MISSING_ID}/"),
    S("console/petitions/<str:number>/print/<slug:kind>/", roles=COMMAND, html=True, in_scope_refused=404,
      make=lambda w, k: f"/console/petitions/{MISSING_NUMBER}/print/slip/"),
    S("console/petitions/<str:number>/<slug:name>/", roles=COMMAND, html=True, method="post", write=True,
      in_scope_refused=404, make=lambda w, k: f"/console/petitions/{MISSING_NUMBER}/decide/"),
    S("console/command/suspensions/<int:pk>/", objects="suspension", roles=COMMAND, html=True, method="post",
      write=True, scope=suspension_in, in_scope_refused=-1,
      make=lambda w, k: f"/console/command/suspensions/{MISSING_ID if k is None else w.suspension}/"),
    S("console/command/case/<str:number>/", objects="case", roles=COMMAND, html=True, scope=case_in,
      make=lambda w, k: f"/console/command/case/{cnum(w, k)}/"),
    S("console/command/case/<str:number>/<slug:name>/", objects="case", roles=COMMAND, html=True, method="post",
      write=True, scope=case_in, in_scope_refused=-1, make=lambda w, k: f"/console/command/case/{cnum(w, k)}/close/"),
    # field app shell and QR posters (staff pages, no case data)
    S("field/", roles=CAN_REPORT, html=True), S("field/mine/", html=True, reference=True),
    S("citizen/^qr/(?P<code>[0-9]{6,15})\\.(?P<fmt>svg|png)$", roles=PRINTERS, html=True,
      make=lambda w, k: f"/citizen/qr/{N1}.svg"),
    S("citizen/posters/", roles=PRINTERS, html=True),
    S("citizen/poster/<str:code>/", roles=PRINTERS, html=True, make=lambda w, k: f"/citizen/poster/{N1}/"),
    S("accounts/password_change/", html=True, reference=True),
    S("accounts/password_change/done/", html=True, reference=True),
]}
SPECS.update({s.route: s for s in access_rules.specs(S)})  # the newer apps' rules, one file each
# The login page, and citizens' and client systems' endpoints: anyone may call them. Each is still checked
# for personal data (test_public_endpoints_reveal_nothing_personal).
PUBLIC = {
    "": "/", "healthz": "/healthz", "favicon.ico": "/favicon.ico",
    "csp-report/": None,  # browsers POST Content-Security-Policy violation reports (no data handed out)
    "accounts/login/": "/accounts/login/", "accounts/logout/": None,
    "accounts/password_reset/": "/accounts/password_reset/", "accounts/password_reset/done/": "/accounts/password_reset/done/",
    "accounts/reset/<uidb64>/<token>/": "/accounts/reset/MQ/set-password/", "accounts/reset/done/": "/accounts/reset/done/",
    "i18n/setlang/": None, "field/sw.js": "/field/sw.js", "field/manifest.webmanifest": "/field/manifest.webmanifest",
    "api/schema/": "/api/schema/", "api/docs/": "/api/docs/", "api/redoc/": "/api/redoc/",
    "open311/v2/^discovery\\.(?P<fmt>json|xml)$": "/open311/v2/discovery.json",
    "open311/v2/^services\\.(?P<fmt>json|xml)$": "/open311/v2/services.json",
    "open311/v2/^services/(?P<code>[^/]+?)\\.(?P<fmt>json|xml)$": "/open311/v2/services/E0101.json",
    "open311/v2/^requests\\.(?P<fmt>json|xml)$": "/open311/v2/requests.json",
    "open311/v2/^requests/(?P<request_id>[^/]+?)\\.(?P<fmt>json|xml)$": "/open311/v2/requests/{D}.json",
    "open311/v2/^tokens/(?P<token>[^/]+?)\\.(?P<fmt>json|xml)$": "/open311/v2/tokens/{token}.json",
    "citizen/report/<str:grid_token>/": None,  # the form itself (test_citizen_form); its receipt is checked below
    "citizen/status/<str:number>/": "/citizen/status/{E}/",
}


def url_routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)
    # the admin site is the staff's own tool (is_staff, Django's permissions); media only under DEBUG
    return [r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/") and "media/" not in r]


def test_it_has_a_rule_for_every_endpoint():
    routes = set(url_routes())
    missing = sorted(routes - set(SPECS) - set(PUBLIC))
    assert not missing, f"endpoints without an access rule in tests/test_access_matrix.py: {missing}"
    stale = sorted(set(SPECS) - routes)
    assert not stale, f"rules for endpoints that no longer exist: {stale}"


# --- the matrix ------------------------------------------------------------------------------------

def expected_status(spec, role, key):
    """200 (or any refusal for an allowed write), 403, 404, or 'anon'."""
    if role == "anon":
        return "anon"
    if role not in spec.roles:
        return 403
    if not spec.objects:
        return spec.in_scope_refused or 200
    if key is None or not spec.scope(role, key):
        return 404
    if spec.write and role in READ_ONLY and spec.objects != "notification":
        return REFUSED  # the display account reads only
    if spec.acts is not None:
        return 200 if role in spec.acts else spec.in_scope_refused
    return spec.in_scope_refused or 200


def signature(resp, html):
    """What a refusal tells the caller: the status and, for the API, the error code."""
    if html or resp.status_code == 302:
        return resp.status_code, None
    try:
        return resp.status_code, (resp.json().get("errors") or [{}])[0].get("code")
    except (ValueError, AttributeError):
        return resp.status_code, None


def run_cell(w, spec, role, key, missing=None):
    """Request one cell; (problems, signature). `missing`: the signature of this role's request for an id
    that does not exist, which an object outside the scope must repeat exactly (existence hiding)."""
    made = spec.make(w, key) if spec.make else "/" + spec.route
    path, data = made if isinstance(made, tuple) else (made, dict(spec.query) if spec.method == "get" else {})
    before = snapshot() if spec.write else None
    resp = request(w, role, spec.method, path, spec.html, data)
    COUNTS[(role, spec.route)] += 1
    problems = []
    want = expected_status(spec, role, key)
    got = resp.status_code
    if want == "anon":
        ok = denied_anon(resp, spec.html)
    elif want == -1:  # a write the role may attempt on an object it sees: any refusal of an empty request
        ok = got in (200, 201, 400, 403, 409)
    elif want == REFUSED:  # the display account writing: refused (the body is checked first), nothing written
        ok = got in (400, 403, 409)
    else:
        ok = got == want
    if not ok:
        problems.append(f"{spec.method.upper()} {path} as {role}: {got}, expected {want}")
    sig = signature(resp, spec.html)
    if want == 404 and key is not None and missing is not None and sig != missing:
        problems.append(f"{spec.method.upper()} {path} as {role}: {sig} differs from a missing id's {missing}")
    if got < 500 and resp.status_code != 302:
        asked = path + json.dumps(data, ensure_ascii=False)
        if spec.numbers_ok:
            asked += "".join(c.number for c in w.cases.values())
        problems += [f"{path} as {role}: {x}" for x in leaks(w, role, body_text(resp), asked=asked)]
    if spec.write and want in ("anon", 403, 404, REFUSED) and snapshot() != before:
        problems.append(f"{spec.method.upper()} {path} as {role} was refused ({got}) but changed data")
    return problems, sig


# The missing id (None) first: the out-of-scope objects are compared with it. `make test` runs the quick
# matrix; ACCESS_MATRIX_FULL=1 (bench/verify/40-access.sh) every object and every role everywhere.
FULL = os.environ.get("ACCESS_MATRIX_FULL") == "1"
OBJECTS = {"": [None], "case": [None, "A", "B"] + (["C", "D", "E"] if FULL else []),
           "dispatch": [None, "A_cg", "B_hw"] + (["A_gaj", "A_scjg"] if FULL else []),
           "photo": [None, "A_report", "A_after", "B_after"] + (["B_report"] if FULL else []),
           "notification": [None, "cg", "hw", "dispatcher"], "suspension": [None, "A_gaj"],
           **access_rules.objects()}
# Endpoints whose answer does not depend on scope (reference data, page shells): every kind of role, not
# every role, in the quick matrix (the content check still runs on each answer).
KINDS = ROLES if FULL else ["anon", "worker", "cg", "monitor"]
# The quick matrix's roles: own grid, neighbouring grid, the lead department, another department on the same
# case, a department of another case, command centre, monitor, admin, anonymous (the full run: all 13).
MATRIX_ROLES = ROLES if FULL else ["anon", "worker", "neighbour", "cg", "gaj", "hw", "dispatcher", "monitor", "admin"]


@pytest.mark.parametrize("route", sorted(SPECS))
def test_every_role_gets_exactly_its_scope(world, db, route):
    """Status (scope, role, existence hiding), content (numbers, personal data, photos, feedback) and, for
    refused writes, nothing written: one parametrised case per endpoint, every role × object in it."""
    spec = SPECS[route]
    problems = []
    for role in spec.kinds if spec.kinds and not FULL else KINDS if spec.reference else MATRIX_ROLES:
        missing = None
        for key in spec.objs or OBJECTS[spec.objects]:
            if spec.write and role != "anon" and expected_status(spec, role, key) == -1 and spec.objects:
                continue  # allowed writes on visible objects are the lifecycle tests' business
            if spec.objects == "notification" and key is not None and key not in world.notifications:
                continue
            if role == "anon" and key is not None and not FULL:
                continue  # refused before any lookup: the missing id stands for every object in the quick matrix
            found, sig = run_cell(world, spec, role, key, missing)
            problems += found
            if key is None:
                missing = sig
    FOUND.extend(problems)
    assert not problems, "\n".join(problems)


# --- positive checks: the matrix is not vacuous ------------------------------------------------------

@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_lists_hold_what_is_in_scope(world, db, role):
    w = world
    cases = request(w, role, "get", "/api/v1/cases/", False, {"limit": 500}).json()["results"]
    assert {c["number"] for c in cases} == {w.cases[k].number for k in case_scope(role)}
    dispatches = request(w, role, "get", "/api/v1/dispatches/", False, {"limit": 500}).json()["results"]
    assert {d["id"] for d in dispatches} == {w.dispatches[k].pk for k in dispatch_scope(role)}
    export = body_text(request(w, role, "get", "/api/v1/export/cases.geojson", False))
    assert {k for k, c in w.cases.items() if c.number in export} == case_scope(role)
    for c in cases:  # photos: present exactly when the role may see them
        key = next(k for k, x in w.cases.items() if x.number == c["number"])
        assert bool(c["photos"]) == any(sees_photo(role, p) for p, pc in PHOTO_CASE.items() if pc == key), (role, key)


def test_the_map_wall_draws_every_case_without_personal_data(world, db):
    import mapbox_vector_tile

    w = world
    resp = request(w, "monitor", "get", "/api/v1/maps/tiles/cases/%d/%d/%d.pbf" % TILE, False)
    assert resp.status_code == 200
    feats = mapbox_vector_tile.decode(body_text_bytes(resp)).get("cases", {}).get("features", [])
    numbers = {f["properties"]["number"] for f in feats}
    assert numbers >= {w.cases[k].number for k in ("A", "B", "C")}
    allowed = {"number", "category", "category_group", "colour", "status", "urgency", "received", "overdue", "id"}
    for f in feats:
        assert set(f["properties"]) <= allowed | {"next_due", "is_open", "lead"}, set(f["properties"])
    detail = request(w, "monitor", "get", f"/api/v1/maps/cases/{w.cases['A'].number}/", False).json()
    assert detail["number"] == w.cases["A"].number and not leaks(w, "monitor", json.dumps(detail, ensure_ascii=False))


def test_a_monitor_gets_no_photos_and_no_phones_in_free_text(world, db):
    w = world
    detail = request(w, "monitor", "get", f"/api/v1/cases/{w.cases['A'].number}/", False).json()
    assert detail["photos"] == [] and detail["personal_data_masked"] is True
    assert "139****0002" in detail["description"] and PII["A"][2] not in json.dumps(detail, ensure_ascii=False)
    assert request(w, "monitor", "get", f"/console/photos/{w.photos['A_report'].pk}/image/", True).status_code == 404
    dispatch = request(w, "monitor", "get", f"/api/v1/dispatches/{w.dispatches['A_cg'].pk}/", False).json()
    assert "139****0003" in dispatch["feedback_text"]  # the department's feedback, the phone it quotes masked
    assert all(PII["A"][3] not in (e["note"] or "") for e in dispatch["events"])


def test_a_worker_sees_a_neighbouring_grids_duplicate_without_its_text_or_photo(world, db):
    w = world
    resp = request(w, "neighbour", "get", "/api/v1/cases/duplicates/", False,
                   {"lon": 119.0055, "lat": 33.015, "category": "E0101"}).json()
    found = {r["number"]: r for r in resp["results"]}
    a = found.get(w.cases["A"].number)
    assert a is not None, "the duplicate check still tells a worker near the border about the case next door"
    assert a["description"] == "" and a["thumbnail_url"] is None


# --- identifiers handed to citizens ------------------------------------------------------------------

def test_identifiers_handed_to_citizens_are_random_and_at_least_64_bits(world, db):
    import math

    from gridgov.cases.models import NUMBER_ALPHABET, NUMBER_LENGTH

    w = world
    assert NUMBER_LENGTH * math.log2(len(NUMBER_ALPHABET)) >= 64
    for key in ("D", "E"):  # the Open311 service_request_id and the QR form's receipt are case numbers
        number = w.cases[key].number
        # the row id does not show through (zero-padded: a random number may contain a short digit run)
        assert len(number) == NUMBER_LENGTH and not number.isdigit() and str(w.cases[key].pk).zfill(6) not in number
    assert len(w.open311_token) * 6 >= 64  # token_urlsafe: 6 bits a character
    numbers = [w.cases[k].number for k in sorted(w.cases, key=lambda k: w.cases[k].pk)]
    assert sum(a[:4] == b[:4] for a, b in zip(numbers, numbers[1:])) == 0  # not sequential


def _neighbours(number):
    from gridgov.cases.models import NUMBER_ALPHABET

    i = NUMBER_ALPHABET.index(number[-1])
    return [number[:-1] + NUMBER_ALPHABET[(i + d) % len(NUMBER_ALPHABET)] for d in (1, -1)]


def test_guessed_or_neighbouring_citizen_ids_reveal_nothing(world, db):
    w = world
    c = Client()
    for number in _neighbours(w.receipt) + _neighbours(w.cases["D"].number) + [str(w.cases["D"].pk)]:
        for path in (f"/citizen/status/{number}/", f"/open311/v2/requests/{number}.json"):
            resp = c.get(path)
            assert resp.status_code == 404, (path, resp.status_code)
    for token in (w.open311_token[:-1] + ("A" if w.open311_token[-1] != "A" else "B"), "1", str(w.cases["D"].pk)):
        assert c.get(f"/open311/v2/tokens/{token}.json").status_code == 404


@pytest.mark.parametrize("route", sorted(r for r, p in PUBLIC.items() if p))
def test_public_endpoints_reveal_nothing_personal(world, db, route):
    w = world
    path = PUBLIC[route].format(D=w.cases["D"].number, E=w.receipt, token=w.open311_token)
    resp = Client().get(path)
    COUNTS[("anon", route)] += 1
    COUNTS["requests"] += 1
    assert resp.status_code < 500
    found = leaks(w, "anon", body_text(resp), public=True)
    FOUND.extend(found)
    assert not found, found
    if "open311" in route and resp.status_code == 200 and "requests" in route:
        for row in json.loads(resp.content):  # no sequential id among the fields handed out
            assert not any(str(v) == str(Case.objects.get(number=row["service_request_id"]).pk)
                           for k, v in row.items() if k != "service_request_id" and isinstance(v, int))


def test_the_admin_site_is_for_staff_only(world, db):
    w = world
    for role in sorted(SIGNED_IN - {"admin"}):
        c = Client()
        c.force_login(w.users[role])
        for path in ("/admin/hotline/hotlineticket/", "/admin/cases/case/", "/admin/auth/user/"):
            resp = c.get(path)
            assert resp.status_code == 302 and "/admin/login/" in resp["Location"], (role, path, resp.status_code)
