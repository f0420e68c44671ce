"""The world of the access-control matrix (tests/test_access_matrix.py): roles, objects with planted personal
data, and the oracle — who may see what, written from the rules in docs/reliability/access.md, not imported
from gridgov's access modules — plus the request helpers and the content check every answer goes through."""
import io
import json
import os
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.test import Client
from rest_framework.authtoken.models import Token

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CasePhoto, Category
from gridgov.dispatch.models import Dispatch, Notification
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
    "A": ["欧阳明远", "13911110001", "13911110002", "13911110003"],  # the last: quoted in 城管's feedback
    "B": ["司马秀英", "13822220001", "13822220002"],
    "C": ["诸葛大海", "13733330001", "13733330002"],
    "D": ["端木", "青云", "13644440001", "open311-citizen@example.org"],
    "E": ["上官婉儿", "13555550001"],
}
FEEDBACK = {"A_cg": "城管已清理完毕QX7", "B_hw": "环卫已清运完毕QY8"}
FEEDBACK_CONTACT = {"A_cg": "，已电话13911110003联系业主"}  # a department quoting the citizen's phone

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
    extra: dict = field(default_factory=dict)  # kind -> {key: object}, built by tests/access_rules


CASE_GRID = {"A": N1, "B": N2, "C": S2, "D": S1, "E": S1}
CASE_REPORTER = {"A": "worker", "B": "dispatcher", "C": "dispatcher", "D": None, "E": None}
DISPATCH_CASE = {"A_cg": "A", "A_gaj": "A", "A_scjg": "A", "B_hw": "B"}
DISPATCH_DEPT = {"A_cg": "cg", "A_gaj": "gaj", "A_scjg": "scjg", "B_hw": "hw"}
PHOTO_CASE = {"A_report": "A", "A_after": "A", "B_report": "B", "B_after": "B"}


def build_access_world():
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
        do_feed_back(d, users[user], FEEDBACK[key] + FEEDBACK_CONTACT.get(key, ""), photos=[photo_at(point)])
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


def snapshot():
    """One fingerprint of what a write could change: cases, dispatches, suspensions, notifications read."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT (SELECT md5(string_agg(id || status || updated_at::text, ',' ORDER BY id)) FROM cases_case),
                              (SELECT md5(string_agg(id || state || version, ',' ORDER BY id)) FROM dispatch_dispatch),
                              (SELECT md5(string_agg(id || status, ',' ORDER BY id)) FROM dispatch_suspension),
                              (SELECT count(*) FROM dispatch_notification WHERE read_at IS NOT NULL),
                              (SELECT count(*) FROM cases_casephoto), (SELECT count(*) FROM evaluation_rating)""")
        return cur.fetchone()


def tile_of(lon, lat, z):
    import math

    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def body_text_bytes(resp):
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
