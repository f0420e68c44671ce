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
import io
import json
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.core.cache import cache as django_cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from rest_framework.authtoken.models import Token

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CasePhoto, Category
from gridgov.dispatch.models import Dispatch, Notification, Role as DRole, Suspension
from gridgov.grids.models import GridUnit
from tests.dispatch_helpers import N1, N1_POINT, NORTH, SOUTH, build_world, make_user
from tests.factories import build_small_county, make_case, make_photo, seed_test_categories

N2, S1, S2 = NORTH + "002", SOUTH + "001", SOUTH + "002"
N2_POINT, S1_POINT, S2_POINT = (119.015, 33.015), (119.005, 33.005), (119.015, 33.005)

ROLES = ["anon", "worker", "neighbour", "other_worker", "cg", "gaj", "scjg", "hw", "town", "dispatcher", "monitor",
         "leader", "admin"]
WORKERS = {"worker", "neighbour", "other_worker"}
RESPONDERS = {"cg", "gaj", "scjg", "hw", "town"}
COMMAND = {"dispatcher", "admin"}
SEE_ALL = COMMAND | {"monitor"}
WALL = {"monitor", "dispatcher", "leader", "admin"}
EVALUATION = {"dispatcher", "monitor", "leader", "admin"}
CONSOLE_RESPONDERS = RESPONDERS | {"admin"}
VERIFIERS = WORKERS | COMMAND
CAN_REPORT = WORKERS | COMMAND
SIGNED_IN = set(ROLES) - {"anon"}
READ_ONLY = {"monitor"}
REFUSED = "refused"
PRINTERS = COMMAND  # QR posters for the grids
GRID_OF = {"worker": N1, "neighbour": N2, "other_worker": S2}
DEPT_OF = {r: r for r in RESPONDERS}
MISSING_NUMBER, MISSING_ID = "ZZZZZZZZZZZZZ", 987654321

# Citizens' personal data planted in the world: names, phones, an e-mail, and a phone typed into the
# free text. Distinct values, so a hit in a response body can only come from that case.
PII = {
    "A": ["欧阳明远", "13911110001", "13911110002"],
    "B": ["司马秀英", "13822220001", "13822220002"],
    "C": ["诸葛大海", "13733330001", "13733330002"],
    "D": ["端木", "青云", "13644440001", "open311-citizen@example.org"],
    "E": ["上官婉儿", "13555550001"],
}
FEEDBACK = {"A_cg": "城管已清理完毕QX7", "B_hw": "环卫已清运完毕QY8"}

COUNTS = Counter()
FOUND = []


# --- the world -------------------------------------------------------------------------------------

@dataclass
class World:
    users: dict
    cases: dict  # key -> Case
    dispatches: dict  # key -> Dispatch
    photos: dict  # key -> CasePhoto
    tokens: dict = field(default_factory=dict)  # role -> API token
    sessions: dict = field(default_factory=dict)  # role -> a test Client logged in (the pages)
    notifications: dict = field(default_factory=dict)  # role -> a Notification id of theirs
    suspension: int = 0
    open311_token: str = ""
    receipt: str = ""


CASE_GRID = {"A": N1, "B": N2, "C": S2, "D": S1, "E": S1}
CASE_REPORTER = {"A": "worker", "B": "dispatcher", "C": "dispatcher", "D": None, "E": None}
DISPATCH_CASE = {"A_cg": "A", "A_gaj": "A", "A_scjg": "A", "B_hw": "B"}
DISPATCH_DEPT = {"A_cg": "cg", "A_gaj": "gaj", "A_scjg": "scjg", "B_hw": "hw"}
PHOTO_CASE = {"A_report": "A", "A_after": "A", "B_report": "B", "B_after": "B"}


def _build(tmp):
    from gridgov.dispatch.actions import do_accept, do_feed_back, do_file_case_by_command_centre, do_start, do_whistle
    from gridgov.dispatch.rule_actions import RuleInput, do_save_rule
    from gridgov.dispatch.suspensions import do_request_suspension
    from gridgov.open311.actions import do_issue_api_key
    from gridgov.citizen.tokens import grid_token, new_stamp

    build_small_county()
    seed_test_categories()
    base = build_world()  # departments cg gaj scjg hw town zhzx, their responders, rule E0101 → cg (+gaj, scjg)
    users = dict(base.users)
    users["neighbour"] = make_user("wg_n2", Role.GRID_WORKER)
    users["leader"] = make_user("bald", Role.LEADER)
    users["admin"] = make_user("gly", Role.ADMIN, is_staff=True, is_superuser=True)
    GridUnit.objects.get(code=N2).workers.add(users["neighbour"])
    do_save_rule(None, RuleInput(category=Category.objects.get(code="E0102"), area=GridUnit.objects.get(code="320831"),
                                 lead=base.depts["hw"], assists=[], notified=[]))

    def photo_at(point):
        return make_photo(lonlat=point)

    cases = {
        "A": make_case(users["worker"], *N1_POINT, category="E0101", contact_name=PII["A"][0],
                       contact_phone=PII["A"][1], description=f"门口垃圾，业主电话{PII['A'][2]}",
                       photos=[photo_at(N1_POINT)]),
        "B": make_case(users["dispatcher"], *N2_POINT, category="E0102", channel="hotline_12345",
                       contact_name=PII["B"][0], contact_phone=PII["B"][1], description=f"渣土堆积，回电{PII['B'][2]}",
                       photos=[photo_at(N2_POINT)]),
        "C": make_case(users["dispatcher"], *S2_POINT, category="E0101", channel="hotline_12345",
                       contact_name=PII["C"][0], contact_phone=PII["C"][1], description=f"垃圾，{PII['C'][2]}"),
    }
    a = {d.department.code: d for d in do_whistle(cases["A"], users["worker"]).dispatches}
    b = {d.department.code: d for d in do_file_case_by_command_centre(cases["B"], users["dispatcher"]).dispatches}
    dispatches = {"A_cg": a["cg"], "A_gaj": a["gaj"], "A_scjg": a["scjg"], "B_hw": b["hw"]}
    for key, user in (("A_cg", "cg"), ("B_hw", "hw")):
        d = dispatches[key]
        do_accept(d, users[user])
        d.refresh_from_db()
        do_start(d, users[user])
        d.refresh_from_db()
        point = N1_POINT if key == "A_cg" else N2_POINT
        do_feed_back(d, users[user], FEEDBACK[key], photos=[photo_at(point)])
    gaj = Dispatch.objects.get(pk=a["gaj"].pk)
    do_accept(gaj, users["gaj"])
    suspension = do_request_suspension(Dispatch.objects.get(pk=a["gaj"].pk), users["gaj"], "defer", "等待材料")

    # citizens: an Open311 request and the QR form, both in 南村一网格 (no grid worker's)
    client = Client()
    _, key = do_issue_api_key("市民App")
    body = urlencode({"api_key": key, "service_code": "E0101", "lat": S1_POINT[1], "long": S1_POINT[0],
                      "description": "小区门口垃圾", "first_name": PII["D"][1], "last_name": PII["D"][0],
                      "phone": PII["D"][2], "email": PII["D"][3]})
    r = client.post("/open311/v2/requests.json", body, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200, r.content
    submitted = json.loads(r.content)[0]
    cases["D"] = Case.objects.get(number=submitted["service_request_id"])
    import time

    r = client.post(f"/citizen/report/{grid_token(S1)}/", {
        "stamp": new_stamp(S1, now=time.time() - 30), "category": "E0101", "description": "路灯不亮",
        "website": "", "contact_name": PII["E"][0], "contact_phone": PII["E"][1]}, REMOTE_ADDR="10.9.0.1")
    assert r.status_code == 200, r.content
    cases["E"] = Case.objects.exclude(pk__in=[c.pk for c in cases.values()]).get(grid_code=S1)

    photos = {}
    for key in ("A", "B"):
        photos[f"{key}_report"] = CasePhoto.objects.get(case=cases[key], kind="report")
        photos[f"{key}_after"] = CasePhoto.objects.get(case=cases[key], kind="after")
    w = World(users=users, cases={k: Case.objects.get(pk=c.pk) for k, c in cases.items()},
              dispatches={k: Dispatch.objects.get(pk=d.pk) for k, d in dispatches.items()}, photos=photos,
              suspension=suspension.pk, open311_token=submitted["token"], receipt=cases["E"].number)
    for role, user in users.items():
        w.tokens[role] = Token.objects.create(user=user).key
        w.sessions[role] = Client()
        w.sessions[role].force_login(user)
        n = Notification.objects.filter(recipient=user).order_by("id").first()
        if n:
            w.notifications[role] = n.pk
    return w


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
                yield _build(tmp)
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                maps_cache.clear()
                _write_summary()


def _write_summary():
    path = os.environ.get("ACCESS_MATRIX_SUMMARY")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"requests": COUNTS["requests"], "roles": len(ROLES), "endpoints": len(SPECS) + len(PUBLIC),
                       "role_endpoint_pairs": len({k for k in COUNTS if isinstance(k, tuple)}),
                       "leaks_found_now": FOUND}, fh, ensure_ascii=False, indent=1)


# --- the oracle (from the rules, not from gridgov's access code) ------------------------------------

def case_scope(role):
    if role in SEE_ALL:
        return set(CASE_GRID)
    if role in WORKERS:
        return {k for k, g in CASE_GRID.items() if g.startswith(GRID_OF[role]) or CASE_REPORTER[k] == role}
    if role in RESPONDERS:
        return {DISPATCH_CASE[d] for d, dept in DISPATCH_DEPT.items() if dept == DEPT_OF[role]}
    return {k for k, r in CASE_REPORTER.items() if r == role}


def dispatch_scope(role):
    if role in SEE_ALL:
        return set(DISPATCH_CASE)
    if role in RESPONDERS:
        return {d for d, dept in DISPATCH_DEPT.items() if dept == DEPT_OF[role]}
    return {d for d, c in DISPATCH_CASE.items() if c in case_scope(role)}


def may_know_number(role, case):
    return case in case_scope(role) or role in WALL


def sees_personal_data(role, case):
    if case not in case_scope(role):
        return False
    return role in COMMAND or role in RESPONDERS or CASE_REPORTER[case] == role


def sees_photo(role, photo):
    case = PHOTO_CASE[photo]
    if role in ("monitor", "anon"):
        return False
    return case in case_scope(role) or any(DISPATCH_CASE[d] == case for d in dispatch_scope(role))


def leaks(w, role, text, public=False, asked=""):
    """Everything in this response body that `role` must not receive (`asked`: the request's own path, which a
    404 message may quote back)."""
    found = []
    for key, case in w.cases.items():
        if not public and not may_know_number(role, key) and case.number in text and case.number not in asked:
            found.append(f"number of case {key}")
        if not sees_personal_data(role, key):
            found += [f"personal data of case {key}: {v}" for v in PII[key] if v in text]
    for key, photo in w.photos.items():
        token = os.path.splitext(os.path.basename(photo.image.name))[0]
        if not sees_photo(role, key) and token in text:
            found.append(f"photo {key}")
    for key, marker in FEEDBACK.items():
        if key not in dispatch_scope(role) and marker in text:
            found.append(f"feedback of dispatch {key}")
    return found


# --- requests -------------------------------------------------------------------------------------

def body_text(resp):
    if getattr(resp, "streaming", False):
        raw = b"".join(resp.streaming_content)
    else:
        raw = resp.content
    if raw[:2] == b"PK":  # zip containers (Shapefile zip, XLSX): every member
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            raw = b"".join(zf.read(n) for n in zf.namelist())
    text = raw.decode("utf-8", "replace")
    if resp.get("Content-Type", "").startswith("application/json") and text.strip()[:1] in "[{":
        try:
            text += json.dumps(json.loads(text), ensure_ascii=False)  # \\uXXXX escapes, decoded
        except ValueError:
            pass
    return text


def request(w, role, method, path, html, data=None):
    headers = {}
    c = w.sessions.get(role) if html else None
    if c is None:
        c = Client()
    if role != "anon" and not html:
        headers["HTTP_AUTHORIZATION"] = f"Token {w.tokens[role]}"
    COUNTS["requests"] += 1
    if method == "get":
        return c.get(path, data or {}, **headers)
    return getattr(c, method)(path, json.dumps(data or {}), content_type="application/json", **headers)


def denied_anon(resp, html):
    if html:
        return resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    return resp.status_code in (401, 403)


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


def tile_of(lon, lat, z):
    import math

    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


TILE = tile_of(119.01, 33.01, 12)  # the whole small county
CASE_OBJECTS = ["A", "B", "C", "D", None]
DISPATCH_OBJECTS = ["A_cg", "A_gaj", "B_hw", None]
PHOTO_OBJECTS = ["A_report", "A_after", "B_after", None]


def S(route, **kw):
    return Spec(route, **kw)


SPECS = {s.route: s for s in [
    # cases
    S("api/v1/cases/"), S("api/v1/cases/mine/"),
    # the duplicate check names open cases of the category nearby across grid borders (number, category,
    # distance, grid: to report a repeat as a follow-up), never their text, photo or contact
    S("api/v1/cases/duplicates/", roles=CAN_REPORT, numbers_ok=True,
      query={"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101"}),
    S("api/v1/cases/<str:number>/", objects="case", make=lambda w, k: f"/api/v1/cases/{cnum(w, k)}/", scope=case_in),
    S("api/v1/cases/<str:number>/photos/<int:photo_id>/original/", objects="photo", scope=lambda r, k: case_in(r, PHOTO_CASE[k]),
      make=lambda w, k: f"/api/v1/cases/{cnum(w, PHOTO_CASE.get(k))}/photos/{ppk(w, k)}/original/",
      in_scope_refused=403, acts=COMMAND),
    S("api/v1/categories/"), S("api/v1/me/"),
    S("api/v1/grids/locate/", query={"lon": N1_POINT[0], "lat": N1_POINT[1]}), S("api/v1/grids/"),
    S("api/v1/grids/<str:code>/", make=lambda w, k: f"/api/v1/grids/{N1}/"),
    # dispatch
    *[S(f"api/v1/cases/<str:number>/{a}/", objects="case", method="post", write=True, scope=case_in, in_scope_refused=-1,
        make=lambda w, k, a=a: f"/api/v1/cases/{cnum(w, k)}/{a}/") for a in ("whistle", "file", "escalate", "close")],
    # re-routing is the command centre's alone: refused (403) before the case is looked up
    S("api/v1/cases/<str:number>/reroute/", objects="case", method="post", write=True, scope=case_in,
      in_scope_refused=-1, roles=COMMAND, make=lambda w, k: f"/api/v1/cases/{cnum(w, k)}/reroute/"),
    S("api/v1/cases/<str:number>/dispatches/", objects="case", scope=case_in,
      make=lambda w, k: f"/api/v1/cases/{cnum(w, k)}/dispatches/"),
    S("api/v1/routing/preview/", query={"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101"}),
    S("api/v1/dispatches/"),
    S("api/v1/dispatches/<int:pk>/", objects="dispatch", scope=dispatch_in, make=lambda w, k: f"/api/v1/dispatches/{dpk(w, k)}/"),
    *[S(f"api/v1/dispatches/<int:pk>/{a}/", objects="dispatch", method="post", write=True, scope=dispatch_in,
        in_scope_refused=-1, make=lambda w, k, a=a: f"/api/v1/dispatches/{dpk(w, k)}/{a}/")
      for a in ("accept", "start", "feedback", "verify", "return", "suspend", "resume")],
    S("api/v1/suspensions/"),
    S("api/v1/suspensions/<int:pk>/decide/", objects="suspension", method="post", write=True, scope=suspension_in,
      in_scope_refused=-1, make=lambda w, k: f"/api/v1/suspensions/{MISSING_ID if k is None else w.suspension}/decide/"),
    S("api/v1/triage/", roles=SEE_ALL),
    S("api/v1/export/cases.<str:fmt>", make=lambda w, k: "/api/v1/export/cases.csv"),
    S("api/v1/export/grids.<str:fmt>", make=lambda w, k: "/api/v1/export/grids.geojson"),
    S("api/v1/classify/", query={"text": "门口垃圾很多"}),
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
    S("console/command/suspensions/<int:pk>/", objects="suspension", roles=COMMAND, html=True, method="post",
      write=True, scope=suspension_in, in_scope_refused=-1,
      make=lambda w, k: f"/console/command/suspensions/{MISSING_ID if k is None else w.suspension}/"),
    S("console/command/case/<str:number>/", objects="case", roles=COMMAND, html=True, scope=case_in,
      make=lambda w, k: f"/console/command/case/{cnum(w, k)}/"),
    S("console/command/case/<str:number>/<slug:name>/", objects="case", roles=COMMAND, html=True, method="post",
      write=True, scope=case_in, in_scope_refused=-1, make=lambda w, k: f"/console/command/case/{cnum(w, k)}/close/"),
    # field app shell and QR posters (staff pages, no case data)
    S("field/", roles=CAN_REPORT, html=True), S("field/mine/", html=True),
    S("citizen/^qr/(?P<code>[0-9]{6,15})\\.(?P<fmt>svg|png)$", roles=PRINTERS, html=True,
      make=lambda w, k: f"/citizen/qr/{N1}.svg"),
    S("citizen/posters/", roles=PRINTERS, html=True),
    S("citizen/poster/<str:code>/", roles=PRINTERS, html=True, make=lambda w, k: f"/citizen/poster/{N1}/"),
    S("accounts/password_change/", html=True), S("accounts/password_change/done/", html=True),
]}
# The login page, and citizens' and client systems' endpoints: anyone may call them. Each is still checked
# for personal data (test_public_endpoints_reveal_nothing_personal).
PUBLIC = {
    "": "/", "healthz": "/healthz", "favicon.ico": "/favicon.ico",
    "csp-report/": None,  # browsers POST Content-Security-Policy violation reports (no data handed out) "accounts/login/": "/accounts/login/", "accounts/logout/": None,
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


def run_cell(w, spec, role, key):
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
    if got < 500 and resp.status_code != 302:
        asked = path + json.dumps(data, ensure_ascii=False)
        if spec.numbers_ok:
            asked += "".join(c.number for c in w.cases.values())
        problems += [f"{path} as {role}: {x}" for x in leaks(w, role, body_text(resp), asked=asked)]
    if spec.write and want in ("anon", 403, 404, REFUSED) and snapshot() != before:
        problems.append(f"{spec.method.upper()} {path} as {role} was refused ({got}) but changed data")
    return problems


def snapshot():
    return (list(Case.objects.order_by("id").values_list("id", "status", "updated_at")),
            list(Dispatch.objects.order_by("id").values_list("id", "state", "version")),
            list(Suspension.objects.order_by("id").values_list("id", "status")),
            Notification.objects.filter(read_at__isnull=False).count())


OBJECTS = {"": [None], "case": CASE_OBJECTS, "dispatch": DISPATCH_OBJECTS, "photo": PHOTO_OBJECTS,
           "notification": ["cg", "hw", "dispatcher", None], "suspension": ["A_gaj", None]}


@pytest.mark.parametrize("route", sorted(SPECS))
def test_every_role_gets_exactly_its_scope(world, db, route):
    spec = SPECS[route]
    problems = []
    for role in ROLES:
        for key in OBJECTS[spec.objects]:
            if spec.write and role != "anon" and expected_status(spec, role, key) == -1 and spec.objects:
                continue  # allowed writes on visible objects are the lifecycle tests' business
            if spec.objects == "notification" and key is not None and key not in world.notifications:
                continue
            problems += run_cell(world, spec, role, key)
    FOUND.extend(problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", sorted(r for r, s in SPECS.items() if s.objects and not s.write))
def test_an_object_outside_the_scope_looks_exactly_like_one_that_does_not_exist(world, db, route):
    spec = SPECS[route]
    problems = []
    for role in sorted(SIGNED_IN):
        missing = request(world, role, "get", spec.make(world, None), spec.html, spec.query)
        for key in OBJECTS[spec.objects]:
            if key is None or expected_status(spec, role, key) != 404:
                continue
            resp = request(world, role, "get", spec.make(world, key), spec.html, spec.query)
            if resp.status_code != missing.status_code:
                problems.append(f"{route} {key} as {role}: {resp.status_code}, a missing id gives {missing.status_code}")
            elif not spec.html and resp.json().get("errors", [{}])[0].get("code") != \
                    missing.json().get("errors", [{}])[0].get("code"):
                problems.append(f"{route} {key} as {role}: another error code than for a missing id")
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


def body_text_bytes(resp):
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def test_a_monitor_gets_no_photos_and_no_phones_in_free_text(world, db):
    w = world
    detail = request(w, "monitor", "get", f"/api/v1/cases/{w.cases['A'].number}/", False).json()
    assert detail["photos"] == [] and detail["personal_data_masked"] is True
    assert "139****0002" in detail["description"] and PII["A"][2] not in json.dumps(detail, ensure_ascii=False)
    assert request(w, "monitor", "get", f"/console/photos/{w.photos['A_report'].pk}/image/", True).status_code == 404


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
        assert len(number) == NUMBER_LENGTH and not number.isdigit() and str(w.cases[key].pk) not in number
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
