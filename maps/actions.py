"""Writes of the maps app (do_*): the synthetic load used to test the map wall at scale."""
import time

from django.db import connection, transaction
from django.utils import timezone

from gridgov.cases.bulk import do_bulk_create_cases
from gridgov.core.errors import FieldError

from . import cache, synthetic

MAX_SYNTHETIC = 20_000_000


def _synthetic_user():
    from gridgov.accounts.models import Role, User

    user, _ = User.objects.get_or_create(username=synthetic.SYNTHETIC_USER, defaults={
        "role": Role.GRID_WORKER, "display_name": "合成数据", "is_active": False})
    return user


def _ensure_departments():
    from django.apps import apps

    if not apps.is_installed("gridgov.departments"):
        return 0
    from gridgov.departments.models import Department

    if not Department.objects.filter(is_active=True).exists():
        from gridgov.departments.demo import seed_demo_departments

        seed_demo_departments()
    return Department.objects.filter(is_active=True).count()


@transaction.atomic
def do_seed_synthetic_cases(n, days=365, clusters=14, seed=42, dispatches=True, log=None):
    """Insert about n clustered synthetic cases over the active grids (one transaction). Returns counts.

    Row triggers (the per-row audit trail) are skipped for this bulk load with session_replication_role =
    replica, which needs a superuser (the project-local cluster's role is one); the map layers' change log
    is written once at the end. Cases through gridgov.cases.bulk.do_bulk_create_cases, dispatches through
    gridgov.dispatch.bulk.do_bulk_create_dispatches (due times on the working calendar)."""
    if not 1 <= n <= MAX_SYNTHETIC:
        raise FieldError("cases", "out_of_range", f"案件数应在 1–{MAX_SYNTHETIC} 之间",
                         f"cases must be 1-{MAX_SYNTHETIC}")
    if not 7 <= days <= 3650:
        raise FieldError("days", "out_of_range", "天数应在 7–3650 之间", "days must be 7-3650")
    log = log or (lambda msg: None)
    reporter = _synthetic_user()
    has_dispatch = dispatches and _ensure_departments() > 0
    now = timezone.now()
    params = {"seed": seed, "clusters": clusters, "n_cluster": n * 0.45, "n_background": n * 0.55, "days": days,
              "now": now, "reporter": reporter.id}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids_gridunit WHERE level = 4 AND is_active")
        if cur.fetchone()[0] == 0:
            raise FieldError("cases", "no_grids", "没有启用的网格：先运行 seed_demo 或导入网格",
                             "no active grids: run seed_demo or import grids first")
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cur.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        counts = {}
        for name, sql in [("grids", synthetic.GRIDS), ("clusters", synthetic.CLUSTERS), ("pieces", synthetic.PIECES),
                          ("points", synthetic.POINTS)]:
            t = time.perf_counter()
            cur.execute(sql, params)
            counts[name] = cur.rowcount
            log(f"{name}: {cur.rowcount} rows, {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        result = do_bulk_create_cases(None, fill=(synthetic.CASES, params), action="do_seed_synthetic_cases",
                                      reporter=reporter, order=synthetic.CASES_ORDER, now=now)
        counts["cases"] = result.created
        log(f"cases: {result.created} rows, {time.perf_counter() - t:.1f} s")
        if has_dispatch:
            from gridgov.dispatch.bulk import do_bulk_create_dispatches

            t = time.perf_counter()
            counts["dispatches"] = do_bulk_create_dispatches((synthetic.DISPATCHES, params), now=now)
            log(f"dispatches: {counts['dispatches']} rows, {time.perf_counter() - t:.1f} s")
        cur.execute("SET LOCAL session_replication_role = origin")
        cur.execute("INSERT INTO maps_change_log (txid) VALUES (txid_current()) ON CONFLICT (txid) DO NOTHING")
    return {"cases": counts["cases"], "dispatches": counts.get("dispatches", 0)}


@transaction.atomic
def do_clear_synthetic_cases(log=None):
    """Delete every synthetic case (and its dispatches and audit rows). Real cases are never touched:
    only rows reported by the synthetic user and flagged synthetic_load are deleted."""
    log = log or (lambda msg: None)
    from gridgov.accounts.models import User

    user = User.objects.filter(username=synthetic.SYNTHETIC_USER).first()
    if user is None:
        return {"cases": 0, "dispatches": 0}
    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        where = "reporter_id = %s AND flags @> %s::jsonb"
        dispatches = 0
        cur.execute("SELECT to_regclass('dispatch_dispatch') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute(f"DELETE FROM dispatch_dispatch WHERE case_id IN (SELECT id FROM cases_case WHERE {where})",
                        [user.id, synthetic.SYNTHETIC_FLAG])
            dispatches = cur.rowcount
        cur.execute(f"DELETE FROM cases_case WHERE {where}", [user.id, synthetic.SYNTHETIC_FLAG])
        n = cur.rowcount
        cur.execute("SET LOCAL session_replication_role = origin")
        cur.execute("INSERT INTO maps_change_log (txid) VALUES (txid_current()) ON CONFLICT (txid) DO NOTHING")
    log(f"deleted {n} cases, {dispatches} dispatches")
    cache.clear()
    return {"cases": n, "dispatches": dispatches}
