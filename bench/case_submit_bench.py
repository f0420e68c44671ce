"""Case submission through the API with concurrent clients, next to a trivial DRF endpoint on the
same gunicorn in the same run. Target on 2 cores: >= 100 cases/s, p95 < 200 ms.

    .venv/bin/python bench/case_submit_bench.py [--cases 2000] [--clients 8] [--photo-cases 300]

Runs against a dedicated database (gridgov_bench, created and migrated on first use, with the demo
county from seed_demo, or a small synthetic county if that is unavailable) so the development
database does not fill up with bench cases whose audit trail cannot be deleted. --dev-db uses the
development database instead.

Measured, each with the same number of concurrent clients (threads, keep-alive sessions):
  1. GET /api/v1/me/ (DRF + token auth + one small query): the trivial baseline;
  2. POST /api/v1/cases/ as JSON (channel "other", no photo): locate, insert, audit trigger,
     the full detail response;
  3. POST /api/v1/cases/ multipart with one 1280×960 JPEG carrying EXIF GPS (a phone photo after
     the page's downscaling): decode, EXIF check, re-encode, original + display + thumbnail files;
then every case is checked to exist exactly once, and a burst of retries with used UUIDs must answer
200 and create nothing.
"""
import argparse
import io
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, LiveServer, percentiles  # noqa: E402

BENCH_DB = "gridgov_bench"


def use_bench_database():
    """Point Django (and the gunicorn it starts) at gridgov_bench on the same server; create it."""
    import psycopg

    sys.path.insert(0, str(ROOT))
    from gridgov import settings as s  # plain import: reads the same env as Django will

    db = s.DATABASES["default"]
    kw = {"user": db.get("USER") or None, "host": db.get("HOST") or None, "port": db.get("PORT") or None,
          "password": db.get("PASSWORD") or None}
    with psycopg.connect(dbname=db["NAME"], autocommit=True, **kw) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    del sys.modules["gridgov.settings"]  # Django must read it again, with DATABASE_URL set below
    auth = quote(kw["user"] or "", safe="") + (":" + quote(kw["password"], safe="") if kw["password"] else "")
    os.environ["DATABASE_URL"] = (f"postgis://{auth}@{quote(str(kw['host'] or ''), safe='')}:{kw['port'] or 5432}"
                                  f"/{BENCH_DB}")


def prepare():
    from django.core.management import call_command

    from gridgov.accounts.models import Role, User
    from gridgov.cases.categories import seed_categories
    from gridgov.grids.models import GridUnit
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    if not GridUnit.objects.filter(level=4).exists():
        try:
            call_command("seed_demo", "--if-empty", verbosity=0)
        except Exception as exc:  # the demo seeder is another module's; fall back to a synthetic county
            print(f"seed_demo unavailable ({exc.__class__.__name__}); using a synthetic county")
            from tests.factories import build_small_county

            build_small_county()
    seed_categories()
    user, _ = User.objects.get_or_create(username="bench_worker", defaults={"role": Role.GRID_WORKER})
    token = Token.objects.get_or_create(user=user)[0].key
    grids = GridUnit.objects.filter(level=4, is_active=True).count()
    return token, grids


def sample_points(n, seed=11):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, %s))).geom g
                       FROM (SELECT ST_Union(geom) geom FROM grids_gridunit WHERE level = 4 AND is_active) d) p""",
                    [n, seed])
        return cur.fetchall()


def jpeg_with_gps(lon, lat, size=(1280, 960)):
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    def dms(v):
        d = int(v)
        m = int((v - d) * 60)
        return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(round((v - d - m / 60) * 36_000_000), 10_000))

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    # Smooth gradients with sensor-like noise: compresses like a phone photo (~200 KB at 1280×960),
    # neither trivially small (flat colour) nor pathological (pure noise).
    r = Image.linear_gradient("L").resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = Image.linear_gradient("L").rotate(90).resize(size)
    img = Image.blend(Image.merge("RGB", (r, g, b)), Image.effect_noise(size, 60).convert("RGB"), 0.12)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def server_cpu(server_pid):
    """CPU seconds used so far by gunicorn (master + workers) and by this database's backends, per pid.

    On a machine shared with other work, wall-clock rates say more about the neighbours than
    about the code; CPU seconds per request do not, and give the capacity of idle cores.
    """
    from django.db import connection

    pids = {server_pid}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == server_pid:
                        pids.add(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        db_pids = {r[0] for r in cur.fetchall()}
    snap = {("app", p): _cpu_seconds(p) for p in pids}
    snap.update({("db", p): _cpu_seconds(p) for p in db_pids})
    return {k: v for k, v in snap.items() if v is not None}


def cpu_delta(before, after):
    out = {"app": 0.0, "db": 0.0}
    for key, value in after.items():
        out[key[0]] += value - before.get(key, 0.0)
    return out


def run(url, token, jobs, clients, server_pid=None):
    """jobs: list of callables(session) -> (status, number|None). Returns timings and results."""
    import requests

    lock = threading.Lock()
    cursor = {"i": 0}
    samples, results = [], []

    def worker():
        with requests.Session() as http:
            http.headers["Authorization"] = f"Token {token}"
            while True:
                with lock:
                    i = cursor["i"]
                    cursor["i"] += 1
                if i >= len(jobs):
                    return
                t = time.perf_counter()
                out = jobs[i](http, url)
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    samples.append(ms)
                    results.append(out)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    cpu0 = server_cpu(server_pid) if server_pid else None
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = cpu_delta(cpu0, server_cpu(server_pid)) if server_pid else {"app": 0.0, "db": 0.0}
    return {"rate": len(jobs) / wall, "wall": wall, **percentiles(samples), "results": results,
            "cpu_ms": {k: v * 1000 / len(jobs) for k, v in cpu.items()}}


def me_job(http, url):
    r = http.get(url + "/api/v1/me/")
    return r.status_code, None


def case_job(lon, lat, category, photo=None):
    data = {"client_uuid": str(uuid.uuid4()), "lon": f"{lon:.7f}", "lat": f"{lat:.7f}",
            "category": category, "description": "bench 路边垃圾", "gps_accuracy_m": "6",
            "channel": "grid_patrol" if photo else "other"}

    def job(http, url):
        if photo is None:
            r = http.post(url + "/api/v1/cases/", json=data)
        else:
            r = http.post(url + "/api/v1/cases/", data=data, files=[("photos", ("p.jpg", photo, "image/jpeg"))])
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        return r.status_code, body.get("number") or body.get("errors")
    return job


def report(name, m, extra=""):
    cpu = m["cpu_ms"]
    total = cpu["app"] + cpu["db"]
    capacity = 2000 / total if total else float("nan")
    print(f"{name:<34} {m['n']:>5} req  {m['rate']:7.1f} req/s  p50 {m['p50']:6.1f} ms  p95 {m['p95']:6.1f} ms"
          f"  | server CPU/req {cpu['app']:5.1f} ms app + {cpu['db']:4.1f} ms db"
          f" -> {capacity:6.0f} req/s on 2 idle cores{extra}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--photo-cases", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    # the shape scripts/serve.sh runs in (make run)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--dev-db", action="store_true", help="use the development database")
    args = ap.parse_args()
    if not args.dev_db:
        use_bench_database()
    # the bench's photos go to their own folders (inherited by gunicorn), not the dev media
    os.environ.setdefault("GRIDGOV_MEDIA_ROOT", str(ROOT / "var" / "bench-media"))
    os.environ.setdefault("GRIDGOV_PRIVATE_MEDIA_ROOT", str(ROOT / "var" / "bench-private"))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    django.setup()
    from django.conf import settings

    token, grids = prepare()
    from gridgov.cases.models import Case

    before = Case.objects.count()
    points = sample_points(args.cases + args.photo_cases)
    photo = jpeg_with_gps(*points[0])
    print(f"database {settings.DATABASES['default']['NAME']}: {grids} grids, {before} cases before; "
          f"gunicorn {args.workers} workers × {args.threads} threads, {args.clients} concurrent clients, "
          f"{os.cpu_count()} CPUs; photo {len(photo) // 1024} KB; load average {os.getloadavg()[0]:.1f}")
    categories = ["E0101", "E0103", "C0101", "E0401", "S0101"]
    server = LiveServer(workers=args.workers, threads=args.threads).__enter__()
    try:
        run(server.url, token, [me_job] * 200, args.clients)  # warm-up: workers, connections, caches
        run(server.url, token, [case_job(*points[-1 - i], "E0103") for i in range(50)], args.clients)
        pid = server.proc.pid
        me = run(server.url, token, [me_job] * args.cases, args.clients, pid)
        jobs = [case_job(lon, lat, categories[i % len(categories)]) for i, (lon, lat) in enumerate(points[:args.cases])]
        cases = run(server.url, token, jobs, args.clients, pid)
        pjobs = [case_job(lon, lat, "E0101", photo=photo) for lon, lat in points[args.cases:args.cases + args.photo_cases]]
        photos = run(server.url, token, pjobs, args.clients, pid) if pjobs else None
        # a retry sends the same body again: reuse the first jobs' payloads
        retries = run(server.url, token, jobs[:200], args.clients, pid)
    finally:
        try:
            server.__exit__(None, None, None)
        except subprocess.TimeoutExpired:  # a slow graceful stop on a loaded machine
            server.proc.kill()
            server.proc.wait()
    created = Case.objects.count() - before - 50
    statuses = lambda m: {s: sum(1 for c, _ in m["results"] if c == s) for s in {c for c, _ in m["results"]}}  # noqa
    report("GET /api/v1/me/ (trivial DRF)", me, f"  {statuses(me)}")
    report("POST /api/v1/cases/ JSON", cases, f"  {statuses(cases)}")
    if photos:
        report("POST /api/v1/cases/ + 1 photo", photos, f"  {statuses(photos)}")
    report("retries (same client_uuid)", retries, f"  {statuses(retries)}")
    expected = args.cases + args.photo_cases
    numbers = [n for c, n in cases["results"] + (photos["results"] if photos else []) if c == 201]
    print(f"cases created {created} (expected {expected}); distinct numbers answered {len(set(numbers))}; "
          f"retries created {created - expected} extra")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other work on the same cores slows every line)")
    target = cases["rate"] >= 100 and cases["p95"] < 200
    print(f"target (JSON cases >= 100/s, p95 < 200 ms): {'met' if target else 'NOT met'}; "
          f"case/trivial throughput ratio {cases['rate'] / me['rate']:.2f}")


if __name__ == "__main__":
    main()
