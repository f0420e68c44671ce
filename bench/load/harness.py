"""Load and crash proofs (issue 7, items 1 and 2): one run of the locust scenario against gunicorn and
the procrastinate worker on a fresh, seeded database, optionally with a kill -9 of both in the middle.

    .venv/bin/python bench/load/harness.py [--workers 200] [--responders 50] [--duration 300]
        [--crash-at 120 --down 25] [--db gridgov_load] [--out var/verify/load.json]

Steps:
 1. database: `--db` is dropped and made again from `<db>_tpl`, a template migrated and seeded by
    bench/load/seed.py (remade when the migrations, the seed or the user counts change); media under
    var/load/<db>/ (emptied);
 2. gunicorn (as scripts/serve.sh: 3 workers × 4 threads) and `manage.py procrastinate worker`, on a
    free loopback port, settings bench/load/settings.py (the project's + the sweep's schedule);
 3. locust headless for `--duration` seconds (bench/load/locustfile.py), every answer in a ledger;
 4. with --crash-at: at that second SIGKILL to gunicorn's whole process group (master and workers) and
    to the worker, `--down` seconds of nothing, then both started again; the clients keep retrying;
 5. after the load: the background worker keeps running until a sweep that started after the load's
    end has finished; then the checks (bench/load/checks.py) and the figures, written as JSON.
Exit status 1 when a check fails or a stated target is missed (see docs/reliability/load.md).
"""
import argparse
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PY = str(ROOT / ".venv/bin/python")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

# Targets of the full run (docs/reliability/load.md says why these numbers).
TARGETS = {"error_rate": 0.01, "p95_ms": {"POST /api/v1/cases/ (photos)": 2000, "GET /api/v1/dispatches/": 1000,
                                          "POST feedback (photo)": 2000, "default": 1000}}


def log(msg):
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def load_avg():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# --- database -------------------------------------------------------------------------------------------

def server_params():
    """(host, port, user, password) of the server the project uses (DATABASE_URL or the local cluster)."""
    from gridgov import settings as s

    db = s.DATABASES["default"]
    return db.get("HOST") or "", str(db.get("PORT") or 5432), db.get("USER") or "", db.get("PASSWORD") or ""


def db_url(name):
    host, port, user, password = server_params()
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return f"postgis://{auth}@{quote(host, safe='')}:{port}/{name}"


def admin_sql(statements, dbname="postgres"):
    import psycopg

    host, port, user, password = server_params()
    with psycopg.connect(dbname=dbname, host=host or None, port=port, user=user or None,
                         password=password or None, autocommit=True) as conn:
        out = []
        for sql, *params in statements:
            cur = conn.execute(sql, *params)
            out.append(cur.fetchall() if cur.description else None)
        return out


def _stamp(args):
    h = hashlib.sha256()
    for p in sorted(ROOT.glob("gridgov/**/migrations/*.py")) + sorted(ROOT.glob("geodata/migrations/*.py")) + \
            sorted(ROOT.glob("maps/migrations/*.py")) + [HERE / "seed.py"]:
        h.update(p.name.encode() + p.read_bytes())
    h.update(f"{args.workers}/{args.responders}/{args.timed}".encode())
    return h.hexdigest()[:16]


def prepare_db(args):
    """A fresh copy of the seeded template; returns the seed's user file (dict)."""
    tpl, stamp = args.template or f"{args.db}_tpl", _stamp(args)
    users_file = ROOT / "var/load" / f"{tpl}.users.json"
    users_file.parent.mkdir(parents=True, exist_ok=True)
    (have,) = admin_sql([("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                          [tpl])])
    if not have or have[0][0] != stamp or not users_file.exists():
        log(f"building template {tpl} (migrate + seed) ...")
        t = time.perf_counter()
        admin_sql([(f'DROP DATABASE IF EXISTS "{tpl}" WITH (FORCE)',), (f'CREATE DATABASE "{tpl}"',)])
        env = {**os.environ, "DATABASE_URL": db_url(tpl)}
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([PY, str(HERE / "seed.py"), "--workers", str(args.workers), "--responders",
                        str(args.responders), "--timed", str(args.timed), "--out", str(users_file)],
                       cwd=ROOT, env=env, check=True)
        admin_sql([(f"COMMENT ON DATABASE \"{tpl}\" IS '{stamp}'",)])
        log(f"template ready in {time.perf_counter() - t:.0f} s")
    admin_sql([(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)',),
               (f'CREATE DATABASE "{args.db}" TEMPLATE "{tpl}"',)])
    return json.loads(users_file.read_text())


# --- servers --------------------------------------------------------------------------------------------

class Stack:
    """gunicorn + procrastinate worker, each in its own process group so kill -9 reaches every process."""

    def __init__(self, db, port, media, sweep_cron, logdir):
        self.port, self.logdir = port, logdir
        self.env = {**os.environ, "DATABASE_URL": db_url(db), "DJANGO_SETTINGS_MODULE": "bench.load.settings",
                    "GRIDGOV_DEBUG": "0", "GRIDGOV_SECRET_KEY": "load-bench-not-secret",
                    "GRIDGOV_MEDIA_ROOT": str(media / "media"), "GRIDGOV_PRIVATE_MEDIA_ROOT": str(media / "private"),
                    "LOAD_SWEEP_CRON": sweep_cron, "PYTHONPATH": str(ROOT)}
        self.web = self.worker = None

    def _spawn(self, cmd, name):
        out = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 — the child keeps it
        return subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start(self):
        self.web = self._spawn([str(ROOT / ".venv/bin/gunicorn"), "gridgov.wsgi:application", "--bind",
                                f"127.0.0.1:{self.port}", "--workers", "3", "--threads", "4", "--log-level",
                                "warning", "--timeout", "60"], "gunicorn")
        self.worker = self._spawn([PY, "manage.py", "procrastinate", "worker"], "worker")
        self.wait_ready()

    def wait_ready(self, timeout=240):
        """Until /healthz answers. After a restart in the middle of the load every client's retry arrives at
        once: the health check waits in the same queue, hence the long per-request timeout."""
        import requests

        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=30).ok:
                    return
            except requests.RequestException:
                pass
            if self.web.poll() is not None:
                raise RuntimeError("gunicorn exited; see its log in " + str(self.logdir))
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz")

    def kill9(self):
        """SIGKILL to every process of both groups (gunicorn master + workers, the worker)."""
        pids = []
        for p in (self.web, self.worker):
            pids += _group(p.pid)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in (self.web, self.worker):
            p.wait(10)
        return pids

    def stop_web(self):
        if self.web and self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            self.web.wait(30)

    def stop(self):
        for p in (self.web, self.worker):
            if p and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(30)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(p.pid, signal.SIGKILL)


def _group(pgid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return None


def cpu_snapshot(stack, locust_pid, db):
    """CPU seconds used so far, per process: gunicorn + worker (app), this database's backends (db), locust.
    On a shared machine the wall-clock figures say as much about the neighbours as about the code; CPU
    seconds per request do not. Backends that ended between two snapshots are not counted (few: the app
    keeps its connections, CONN_MAX_AGE=60)."""
    from django.db import connection

    snap = {}
    for p in (stack.web, stack.worker):
        for pid in _group(p.pid):
            snap[("app", pid)] = _cpu_s(pid)
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db])
        for (pid,) in cur.fetchall():
            snap[("db", pid)] = _cpu_s(pid)
    snap[("locust", locust_pid)] = _cpu_s(locust_pid)
    return {k: v for k, v in snap.items() if v is not None}


def cpu_used(before, after):
    out = {"app": 0.0, "db": 0.0, "locust": 0.0}
    for key, v in after.items():
        out[key[0]] += v - before.get(key, 0.0)
    return {k: round(v, 1) for k, v in out.items()}


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- figures ------------------------------------------------------------------------------------------

def read_stats(prefix, duration_s):
    with open(f"{prefix}_stats.csv") as f:
        rows = list(csv.DictReader(f))
    out, total = {}, None
    for r in rows:
        entry = {"requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                 "p50_ms": _num(r["50%"]), "p95_ms": _num(r["95%"]), "p99_ms": _num(r["99%"]),
                 "max_ms": _num(r["Max Response Time"]), "rps": round(int(r["Request Count"]) / duration_s, 2)}
        if r["Name"] == "Aggregated":
            total = entry
        elif r["Type"] != "CONFLICT":
            out[f"{r['Name']}"] = entry
        else:
            out.setdefault("_conflicts", {})[r["Name"]] = int(r["Request Count"])
    return out, total


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=200)
    ap.add_argument("--responders", type=int, default=50)
    ap.add_argument("--duration", type=int, default=300)
    ap.add_argument("--spawn-rate", type=float, default=25)
    ap.add_argument("--pace", type=float, default=1.0, help="think-time factor of the scenario")
    ap.add_argument("--crash-at", type=int, default=0, help="seconds into the load: kill -9 both servers")
    ap.add_argument("--down", type=int, default=20, help="seconds both stay down")
    ap.add_argument("--timed", type=int, default=12, help="dispatches whose deadline falls while down")
    ap.add_argument("--sweep-cron", default="* * * * *")
    ap.add_argument("--db", default="gridgov_load")
    ap.add_argument("--template", default="", help="seeded template database (default <db>_tpl)")
    ap.add_argument("--out", default=str(ROOT / "var/verify/load.json"))
    ap.add_argument("--no-targets", action="store_true", help="report p95 figures without failing on them")
    args = ap.parse_args(argv)

    started_at, load_at_start = datetime.now(UTC), load_avg()
    log(f"load {args.workers} workers + {args.responders} responders, {args.duration} s, "
        f"crash at {args.crash_at or '-'}; load average {load_avg()}")
    users = prepare_db(args)
    os.environ["DATABASE_URL"] = db_url(args.db)
    os.environ["DJANGO_SETTINGS_MODULE"] = "gridgov.settings"
    run_dir = ROOT / "var/load" / args.db
    os.environ["GRIDGOV_MEDIA_ROOT"] = str(run_dir / "media")
    os.environ["GRIDGOV_PRIVATE_MEDIA_ROOT"] = str(run_dir / "private")
    sys.modules.pop("gridgov.settings", None)  # read again, with DATABASE_URL pointing at the load database
    import django

    django.setup()
    from checks import run_checks, wait_for_sweep
    from seed import set_timed_due

    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "log").mkdir(parents=True)
    stack = Stack(args.db, free_port(), run_dir, args.sweep_cron, run_dir / "log")
    ledger = run_dir / "ledger.jsonl"
    users_path = run_dir / "users.json"
    users_path.write_text(json.dumps(users))
    if args.crash_at and users["timed"]:  # out of reach until their deadlines are placed in the downtime
        set_timed_due(users["timed"], datetime.now(UTC) + timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    t0 = time.time()
    try:
        stack.start()
    except BaseException:
        stack.stop()
        raise
    log(f"gunicorn on :{stack.port} and the worker up in {time.time() - t0:.1f} s")

    crash = None
    if args.crash_at:
        kill_at = datetime.now(UTC) + timedelta(seconds=args.crash_at)
        if users["timed"]:  # deadlines inside the downtime
            set_timed_due(users["timed"], kill_at + timedelta(seconds=1),
                          kill_at + timedelta(seconds=max(2, args.down - 2)))
    cmd = [str(ROOT / ".venv/bin/locust"), "-f", str(HERE / "locustfile.py"), "--headless", "-H",
           f"http://127.0.0.1:{stack.port}", "-u", str(args.workers + args.responders), "-r", str(args.spawn_rate),
           "-t", f"{args.duration}s", "--csv", str(run_dir / "locust"), "--stop-timeout", "180", "--only-summary",
           "--loglevel", "WARNING"]
    env = {**os.environ, "LOAD_USERS": str(users_path), "LOAD_LEDGER": str(ledger), "LOAD_PACE": str(args.pace)}
    env.pop("DATABASE_URL", None)
    load_start = time.time()
    locust = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(run_dir / "log/locust.log", "wb"),  # noqa: SIM115
                              stderr=subprocess.STDOUT)
    time.sleep(1)
    cpu_before = cpu_snapshot(stack, locust.pid, args.db)
    cpu = None
    try:
        if args.crash_at:
            time.sleep(max(0.0, (kill_at - datetime.now(UTC)).total_seconds()))  # the planned instant
            crash = {"killed_at": datetime.now(UTC)}
            pids = stack.kill9()
            log(f"kill -9: {len(pids)} processes (gunicorn master + workers, procrastinate worker)")
            time.sleep(args.down)
            crash["restarted_at"] = datetime.now(UTC)
            t = time.time()
            stack.start()
            crash["restart_s"] = round(time.time() - t, 1)
            crash["killed_pids"] = len(pids)
            log(f"restarted in {crash['restart_s']} s")
        while locust.poll() is None and time.time() - load_start < args.duration:
            time.sleep(1)
        if not args.crash_at:  # after a kill -9 the dead processes' CPU is gone: no CPU figures then
            cpu = cpu_used(cpu_before, cpu_snapshot(stack, locust.pid, args.db))
        locust.wait(args.duration + 300)
    except BaseException:
        stack.stop()
        raise
    finally:
        if locust.poll() is None:
            locust.kill()
    load_s = time.time() - load_start
    load_end = datetime.now(UTC)
    stack.stop_web()  # nobody acts any more; the worker goes on until a sweep after the end has run
    log(f"load finished after {load_s:.0f} s; waiting for a sweep that starts after it ...")
    try:
        sweep_started = wait_for_sweep(load_end, timeout=150)
        stats, total = read_stats(run_dir / "locust", args.duration)
        result = run_checks(ledger, users, crash, sweep_started, run_dir)
    finally:
        stack.stop()

    result.update({
        "kind": "crash" if args.crash_at else "load", "started_at": started_at.isoformat(),
        "machine": {"load_average_at_start_end": [load_at_start, load_avg()], "cores": os.cpu_count()},
        "params": {k: v for k, v in vars(args).items() if k != "out"}, "duration_s": round(load_s, 1),
        "requests": stats, "total": total,
        "error_rate": round(total["failures"] / max(1, total["requests"]), 5) if total else None,
        "cases_per_s": round(result["cases"]["answered_201"] / args.duration, 2)})
    if cpu and total:
        result["cpu_s"] = cpu
        result["cpu_ms_per_request"] = {k: round(1000 * v / max(1, total["requests"]), 1) for k, v in cpu.items()}
    result["targets"], result["missed"] = TARGETS, []
    if crash:
        result["crash"] = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in crash.items()}
    else:
        if result["error_rate"] is None or result["error_rate"] > TARGETS["error_rate"]:
            result["missed"].append(f"error rate {result['error_rate']} > {TARGETS['error_rate']}")
        if not args.no_targets:
            for name, s in stats.items():
                limit = TARGETS["p95_ms"].get(name, TARGETS["p95_ms"]["default"])
                if not name.startswith("_") and s["p95_ms"] is not None and s["p95_ms"] > limit:
                    result["missed"].append(f"p95 of {name}: {s['p95_ms']:.0f} ms > {limit} ms")
    result["ok"] = not result["failed_checks"] and not result["missed"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    summary(result)
    return 0 if result["ok"] else 1


def summary(r):
    log(f"{r['kind']}: {r['cases']['answered_201']} cases created ({r['cases_per_s']}/s), "
        f"{r['total']['requests'] if r['total'] else 0} requests, error rate {r['error_rate']}")
    for name, s in sorted(r["requests"].items()):
        if not name.startswith("_"):
            log(f"  {name:40s} n={s['requests']:6d} fail={s['failures']:4d} p50={s['p50_ms']} p95={s['p95_ms']} "
                f"{s['rps']}/s")
    for line in r["failed_checks"] + r["missed"]:
        log("FAILED: " + line)
    log("ok" if r["ok"] else "NOT ok")


if __name__ == "__main__":
    sys.exit(main())
