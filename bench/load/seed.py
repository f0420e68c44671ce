"""Seed a load database: the demo county, its departments and routing, and the load's users.

    DATABASE_URL=... .venv/bin/python bench/load/seed.py --workers 200 --responders 50 --out users.json

Runs inside Django (the harness calls it in a subprocess pointed at the load database). Writes a JSON
file the locust scenario reads: per grid worker its API token and points inside its own grids, per
responder its token and department. Idempotent on a fresh database; the harness always seeds a fresh one.

How the users are spread:
- grid workers: the 742 demo grids in code order, cut into `workers` contiguous runs (3-4 neighbouring
  grids each, as a county assigns them); each worker reports from random points of its own grids;
- responders: the departments the workers' cases are routed to (lead and assists), in proportion to the
  dispatches each is expected to get — computed from the routing table for the category mix below;
- one command-centre dispatcher (member of the command centre, who receives overdue escalations).

Deadlines that fall due during the run:
- SHORT_LIMITS: a few high-volume categories get wall-clock limits of minutes, so dispatches of the run
  become near-overdue and overdue while it runs (the sweep sends reminders and 督办);
- `timed` dispatches (--timed N): cases whistled now to a department no load responder works for, so
  nobody accepts them; the harness sets their accept deadlines to fall inside a chosen window
  (the crash's downtime) with set_timed_due().
"""
import argparse
import json
import os
import random
import sys
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

PASSWORD = "load-test-password-2026"  # only ever on a throwaway load database
# (category, weight): what grid workers report on patrol, roughly as in the seeds (rubbish, street order,
# facilities first; disputes and hazards less often).
CATEGORY_MIX = [("E0101", 20), ("E0105", 8), ("E0201", 8), ("E0401", 12), ("E0403", 8), ("E0504", 5),
                ("C0101", 7), ("C0103", 8), ("C0106", 4), ("E0107", 5), ("S0201", 4), ("S0101", 4)]
SHORT_LIMITS = {"E0101": (3, 8), "E0401": (3, 8), "C0103": (4, 10)}  # minutes: (response, handling)
TIMED_CATEGORY = "E0106"  # 焚烧垃圾秸秆 → 生态环境局 (sthj): no load responder works there
WHISTLE_SHARE = 0.5  # of reported cases, the share a worker cannot solve and whistles


def setup():
    import django

    django.setup()


def _users(prefix, n, role):
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from gridgov.accounts.models import User

    hashed = make_password(PASSWORD)  # one hash for all: 250 argon2/PBKDF2 rounds would only cost time
    made = User.objects.bulk_create([User(username=f"{prefix}{i:03d}", role=role, password=hashed,
                                          display_name=f"{prefix}{i:03d}") for i in range(1, n + 1)])
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in made])
    return made, [t.key for t in tokens]


def _points(grid_codes, n, seed):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT ST_X(g), ST_Y(g) FROM (
                           SELECT (ST_Dump(ST_GeneratePoints(ST_Buffer(ST_Union(geom), -0.0002), %s, %s))).geom g
                           FROM grids_gridunit WHERE code = ANY(%s)) p""", [n, seed, grid_codes])
        return [[round(x, 7), round(y, 7)] for x, y in cur.fetchall()]


def _short_limits():
    from gridgov.cases.actions import do_save_category
    from gridgov.cases.models import Category

    for code, (response, handling) in SHORT_LIMITS.items():
        c = Category.objects.get(code=code)
        c.response_limit, c.response_limit_unit = response, "minutes"
        c.handling_limit, c.handling_limit_unit = handling, "minutes"
        do_save_category(None, c)


def _expected_load(worker_grids):
    """{department: expected dispatches per report} for the category mix, from the routing table."""
    from gridgov.cases.models import Category
    from gridgov.dispatch import routing

    weights, total = Counter(), sum(w for _c, w in CATEGORY_MIX)
    towns = {}
    for grids in worker_grids:
        towns.setdefault(grids[0][:9], grids[0])
    per_worker_town = Counter(grids[0][:9] for grids in worker_grids)
    for town, grid in towns.items():
        for code, w in CATEGORY_MIX:
            route = routing.resolve(Category.objects.get(code=code), grid)
            for d in ([route.lead] if route.lead else []) + list(route.assists):
                weights[d] += w / total * per_worker_town[town] * WHISTLE_SHARE
    return weights


def _spread(weights, n):
    """n responders over departments in proportion to weights (largest remainder, busiest first)."""
    total = sum(weights.values())
    quota = {d: n * w / total for d, w in weights.items()}
    seats = {d: int(q) for d, q in quota.items()}
    for d in sorted(quota, key=lambda d: quota[d] - seats[d], reverse=True)[:n - sum(seats.values())]:
        seats[d] += 1
    return [d for d, k in sorted(seats.items(), key=lambda kv: -kv[1]) for _ in range(k)]


def seed(workers, responders, timed, points_per_worker=12, seed_value=7):
    from django.core.management import call_command

    from gridgov.accounts.models import Role
    from gridgov.departments.actions import do_add_responder
    from gridgov.departments.models import Department
    from gridgov.grids.actions import do_assign_workers
    from gridgov.grids.models import GridUnit, Level

    rng = random.Random(seed_value)
    if not GridUnit.objects.filter(level=Level.GRID).exists():
        call_command("seed_demo", verbosity=0)
    call_command("seed_categories", verbosity=0)
    call_command("seed_routing", verbosity=0)
    _short_limits()

    grids = list(GridUnit.objects.filter(level=Level.GRID, is_active=True).order_by("code"))
    worker_users, worker_tokens = _users("lw", workers, Role.GRID_WORKER)
    # 200 workers cover the county (3-4 grids each); a smaller run covers its first part the same way.
    covered = grids[:max(workers, len(grids) * workers // 200)]
    runs = [covered[i * len(covered) // workers:(i + 1) * len(covered) // workers] for i in range(workers)]
    for user, run in zip(worker_users, runs):
        for unit in run:
            do_assign_workers(unit, [user])
    worker_grids = [[g.code for g in run] for run in runs]

    load = _expected_load(worker_grids)
    seats = _spread(load, responders)
    resp_users, resp_tokens = _users("lr", responders, Role.RESPONDER)
    for user, dept in zip(resp_users, seats):
        do_add_responder(dept, user)
    (dispatcher,), (dispatcher_token,) = _users("ld", 1, Role.DISPATCHER)
    do_add_responder(Department.objects.get(code="zhzx"), dispatcher)

    out = {"password": PASSWORD, "category_mix": CATEGORY_MIX, "short_limits": SHORT_LIMITS,
           "whistle_share": WHISTLE_SHARE, "dispatcher": {"username": dispatcher.username, "token": dispatcher_token},
           "workers": [], "responders": [],
           "responder_departments": dict(Counter(d.code for d in seats)),
           "expected_share": {d.code: round(w, 3) for d, w in load.items()}}
    for i, (user, token, codes) in enumerate(zip(worker_users, worker_tokens, worker_grids)):
        out["workers"].append({"username": user.username, "token": token, "grids": codes,
                               "points": _points(codes, points_per_worker, seed_value + i)})
    for user, token, dept in zip(resp_users, resp_tokens, seats):
        out["responders"].append({"username": user.username, "token": token, "department": dept.code})
    out["timed"] = _timed_dispatches(worker_users[0], worker_grids[0], timed, rng) if timed else []
    return out


def _timed_dispatches(worker, grid_codes, n, rng):
    """n cases whistled now by `worker` to TIMED_CATEGORY's department (a member but no load responder)."""
    from django.utils import timezone

    from gridgov.accounts.models import Role
    from gridgov.cases.actions import do_create_case
    from gridgov.cases.inputs import CaseInput
    from gridgov.cases.models import Category, Channel
    from gridgov.departments.actions import do_add_responder
    from gridgov.dispatch import routing
    from gridgov.dispatch.actions import do_whistle

    route = routing.resolve(Category.objects.get(code=TIMED_CATEGORY), grid_codes[0])
    (member,), _t = _users("lt", 1, Role.RESPONDER)  # someone to be reminded; never acts
    do_add_responder(route.lead, member)
    points = _points(grid_codes, n, 99)
    ids = []
    for lon, lat in points:
        inp = CaseInput(client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4), lon=lon, lat=lat,
                        category=TIMED_CATEGORY, description="定时预警样本：焚烧秸秆", channel=Channel.OTHER,
                        reported_at=timezone.now())
        case = do_create_case(worker, inp).case
        result = do_whistle(case, worker, "routine", "")
        ids += [d.pk for d in result.dispatches if d.department_id == route.lead.pk]
    return ids


def set_timed_due(ids, first, last):
    """Spread the accept deadlines of the timed dispatches evenly over [first, last] (bench data only:
    it stands in for limits that would otherwise take hours of wall-clock time to run out)."""
    from datetime import timedelta

    from gridgov.dispatch.models import Dispatch

    step = (last - first) / max(1, len(ids) - 1)
    for i, pk in enumerate(sorted(ids)):
        Dispatch.objects.filter(pk=pk).update(accept_due=first + timedelta(seconds=step.total_seconds() * i),
                                              response_limit_amount=60, response_limit_unit="minutes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=200)
    ap.add_argument("--responders", type=int, default=50)
    ap.add_argument("--timed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    setup()
    data = seed(args.workers, args.responders, args.timed)
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False))
    print(f"seeded {len(data['workers'])} grid workers, {len(data['responders'])} responders "
          f"({data['responder_departments']}), {len(data['timed'])} timed dispatches")


if __name__ == "__main__":
    main()
