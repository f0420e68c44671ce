"""The load scenario: grid workers reporting cases with photos, responders working their queues.

    locust -f bench/load/locustfile.py --headless -H http://127.0.0.1:PORT -u 250 -r 25 -t 300s
    env: LOAD_USERS=<seed.py output>  LOAD_LEDGER=<jsonl written here>  LOAD_PACE=<think-time factor, 1>

GridWorker (weight = the number of seeded workers): each is one seeded worker (its own token, its own
grids). It reports what it finds — POST /api/v1/cases/ multipart with 1-3 small JPEGs and a client
UUID made when the report is written, exactly as the field page's outbox sends it — and whistles about
half of them (POST /api/v1/cases/<n>/whistle/), looking at its own list now and then. Like the outbox
(gridgov/field/static/field/outbox.js): a report that gets no answer, a network error, a 5xx, 408 or
429 stays in the outbox and is sent again with the same UUID (back-off 2, 4, 8, 16, 30 s with jitter;
like the page's fetch(), no early client timeout: 120 s); a 4xx is a
refusal (kept, counted as an error); 200/201 with a case number removes it.

Responder (weight = the number of seeded responders): lists its department's queue, opens the most
urgent dispatch, accepts it (签收), starts, and feeds back with an after-photo (反馈), each with the
version it saw. 409 (a colleague acted first) is a normal outcome of a shared queue: reported
separately, not an error.

Every answer about a case goes to the ledger (JSON lines), which the harness checks against the database.
"""
import io
import itertools
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime

from locust import HttpUser, between, events, task

with open(os.environ["LOAD_USERS"]) as _f:
    USERS = json.load(_f)
PACE = float(os.environ.get("LOAD_PACE", "1"))
_ledger = open(os.environ.get("LOAD_LEDGER", os.devnull), "a", buffering=1)  # noqa: SIM115 — for the run
_workers = iter(USERS["workers"])
_responders = iter(itertools.cycle(USERS["responders"]))
CATEGORIES = [c for c, w in USERS["category_mix"] for _ in range(w)]
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
BACKOFF = (2, 4, 8, 16, 30)  # seconds, ±50 % jitter; the page's outbox also retries every 30 s
TIMEOUT_S = 120  # the page's fetch() sets none: a phone waits for the answer rather than give up early


def ledger(**rec):
    rec["at"] = time.time()
    _ledger.write(json.dumps(rec) + "\n")


def _jpegs(n=6, size=(800, 600)):
    """Small real JPEGs (~40-70 KB at 800×600): a phone photo after the field page's downscaling."""
    from PIL import Image, ImageDraw

    out = []
    for i in range(n):
        img = Image.linear_gradient("L").resize(size).convert("RGB")
        img = Image.blend(img, Image.effect_noise(size, 40 + 5 * i).convert("RGB"), 0.2)
        ImageDraw.Draw(img).rectangle([50 + 40 * i, 60, 300 + 40 * i, 260], outline=(200, 30 * i, 40), width=8)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


PHOTOS = _jpegs()


class GridWorker(HttpUser):
    weight = max(1, len(USERS["workers"]))
    wait_time = between(20 * PACE, 60 * PACE)  # ≈ 1 report a minute each: far above a real patrol (a few a day)

    def on_start(self):
        me = next(_workers, None) or random.choice(USERS["workers"])
        self.me = me
        self.client.headers["Authorization"] = f"Token {me['token']}"
        self.rng = random.Random(me["username"])
        self.outbox = []  # [{uuid, fields, photos, attempts, next_at}]
        self.mine = []

    # --- the outbox ---------------------------------------------------------------------------------
    def _send(self, report):
        report["attempts"] += 1
        files = [("photos", (f"p{i}.jpg", PHOTOS[j], "image/jpeg")) for i, j in enumerate(report["photos"])]
        name = "POST /api/v1/cases/ (photos)" if report["attempts"] == 1 else "POST /api/v1/cases/ (retry)"
        try:
            with self.client.post("/api/v1/cases/", data=report["fields"], files=files, name=name,
                                  catch_response=True, timeout=TIMEOUT_S) as r:
                status = r.status_code
                body = _json(r)
                if status in (200, 201) and body.get("number"):
                    r.success()
                    ledger(t="case", uuid=report["uuid"], status=status, number=body["number"],
                           photos=len(report["photos"]), attempt=report["attempts"], user=self.me["username"],
                           answered_photos=len(body.get("photos") or []))
                    return body
                if status == 0 or status in RETRY_STATUSES:
                    r.failure(f"{status}: will retry")
                    ledger(t="retry", uuid=report["uuid"], status=status, attempt=report["attempts"])
                    self._later(report)
                    return None
                r.failure(f"refused {status}: {str(body)[:200]}")
                ledger(t="refused", uuid=report["uuid"], status=status, body=body, attempt=report["attempts"])
                return None
        except Exception as exc:  # noqa: BLE001 — the connection broke mid-request: the outbox keeps it
            ledger(t="retry", uuid=report["uuid"], status="exception", error=repr(exc)[:200],
                   attempt=report["attempts"])
            self._later(report)
            return None

    def _later(self, report):
        report["next_at"] = time.time() + BACKOFF[min(report["attempts"], len(BACKOFF)) - 1] * (
            0.5 + self.rng.random())
        self.outbox.append(report)

    def flush(self, force=False):
        due = [r for r in self.outbox if force or r["next_at"] <= time.time()]
        self.outbox = [r for r in self.outbox if r not in due]
        for report in due:
            body = self._send(report)
            if body:
                self._after_report(report, body)

    def _after_report(self, report, body):
        self.mine.append(body["number"])
        if report["whistle"]:
            with self.client.post(f"/api/v1/cases/{body['number']}/whistle/", json={"level": "routine"},
                                  name="POST /api/v1/cases/<n>/whistle/", catch_response=True) as r:
                if r.status_code in (201, 409):  # 409: already whistled (a retry after a lost answer)
                    r.success()

    # --- tasks ------------------------------------------------------------------------------------
    @task(6)
    def report_case(self):
        self.flush()
        lon, lat = self.rng.choice(self.me["points"])
        report = {"uuid": str(uuid.uuid4()), "attempts": 0, "next_at": 0,
                  "whistle": self.rng.random() < USERS["whistle_share"],
                  "photos": self.rng.sample(range(len(PHOTOS)), self.rng.choice((1, 1, 2, 3)))}
        report["fields"] = {
            "client_uuid": report["uuid"], "lon": f"{lon:.7f}", "lat": f"{lat:.7f}", "datum": "wgs84",
            "gps_accuracy_m": str(self.rng.choice((5, 8, 12, 20))), "category": self.rng.choice(CATEGORIES),
            "description": f"巡查发现问题，请处理（{self.me['username']}）", "channel": "grid_patrol",
            "reported_at": datetime.now(UTC).isoformat()}
        ledger(t="new", uuid=report["uuid"], photos=len(report["photos"]), user=self.me["username"])
        body = self._send(report)
        if body:
            self._after_report(report, body)

    @task(2)
    def my_cases(self):
        self.flush()
        self.client.get("/api/v1/cases/mine/?limit=20", name="GET /api/v1/cases/mine/")

    @task(1)
    def open_my_case(self):
        if self.mine:
            self.client.get(f"/api/v1/cases/{self.rng.choice(self.mine[-20:])}/", name="GET /api/v1/cases/<n>/")

    def on_stop(self):
        deadline = time.time() + float(os.environ.get("LOAD_DRAIN_S", "150"))
        while self.outbox and time.time() < deadline:
            self.flush(force=True)
            if self.outbox:
                time.sleep(1)
        for report in self.outbox:
            ledger(t="unsent", uuid=report["uuid"], attempts=report["attempts"])


class Responder(HttpUser):
    weight = max(1, len(USERS["responders"]))
    wait_time = between(5 * PACE, 15 * PACE)

    def on_start(self):
        self.me = next(_responders)
        self.client.headers["Authorization"] = f"Token {self.me['token']}"
        self.rng = random.Random(self.me["username"])

    def _post(self, path, name, **kw):
        with self.client.post(path, name=name, catch_response=True, **kw) as r:
            if r.status_code == 409:
                r.success()
                events.request.fire(request_type="CONFLICT", name=name, response_time=0, response_length=0,
                                    exception=None, context={})
                return None
            if r.status_code == 200:
                return _json(r)
            r.failure(f"{r.status_code}: {r.text[:200]}")
            return None

    @task
    def work_queue(self):
        dept = self.me["department"]
        with self.client.get(f"/api/v1/dispatches/?department={dept}&limit=20", name="GET /api/v1/dispatches/",
                             catch_response=True) as r:
            rows = (_json(r).get("results") or []) if r.status_code == 200 else []
        rows = [d for d in rows if d.get("role") in ("lead", "assist")
                and d.get("state") in ("whistled", "accepted", "in_progress")]
        if not rows:
            return
        pick = rows[0] if self.rng.random() < 0.7 else self.rng.choice(rows)  # mostly the most urgent
        d = _json(self.client.get(f"/api/v1/dispatches/{pick['id']}/", name="GET /api/v1/dispatches/<id>/"))
        if not d.get("id"):
            return
        path = f"/api/v1/dispatches/{d['id']}"
        if d["state"] == "whistled":
            d = self._post(f"{path}/accept/", "POST accept", json={"version": d["version"]})
        if d and d["state"] == "accepted":
            d = self._post(f"{path}/start/", "POST start", json={"version": d["version"], "note": "已到现场"})
        if d and d["state"] == "in_progress":
            files = [("photos", ("after.jpg", self.rng.choice(PHOTOS), "image/jpeg"))]
            done = self._post(f"{path}/feedback/", "POST feedback (photo)", files=files,
                              data={"text": "已处置完毕，现场恢复正常", "version": str(d["version"])})
            if done:
                ledger(t="feedback", dispatch=d["id"], case=d.get("case", {}).get("number")
                       if isinstance(d.get("case"), dict) else d.get("case"), photos=1)


def _json(r):
    try:
        body = r.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}
