"""Locate throughput: API single lookups (p50/p95) and bulk assignment of >= 1M points in SQL,
next to a raw PostGIS join on the same tables in the same run.

    make bench            # or: .venv/bin/python bench/locate_bench.py --points 1000000 --requests 2000

Uses the development database (seeds the demo county if it is empty); writes only the
UNLOGGED table bench_points, dropped at the end.
"""
import argparse
import random
import time

from _common import LiveServer, api_token, percentiles, setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from django.db import transaction  # noqa: E402

from gridgov.grids.locate import bulk_assign  # noqa: E402


def make_points(n):
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_points")
        cur.execute("CREATE UNLOGGED TABLE bench_points (id bigserial PRIMARY KEY, "
                    "geom geometry(Point, 4326) NOT NULL, grid_id bigint)")
        # Points spread over the whole county (ST_GeneratePoints inside the district polygon).
        cur.execute("""
            INSERT INTO bench_points (geom)
            SELECT (ST_Dump(ST_GeneratePoints(d.geom, %s, 42))).geom
            FROM (SELECT geom FROM grids_gridunit WHERE level = 1 ORDER BY code LIMIT 1) d
        """, [n])
        cur.execute("CREATE INDEX bench_points_geom ON bench_points USING gist (geom)")
        cur.execute("ANALYZE bench_points")
        cur.execute("SELECT count(*) FROM bench_points")
        return cur.fetchone()[0]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def raw_join(grid_outer=False):
    """The plain join, no tie-break: as the planner plans it, or forced grid-outer."""
    sql = ("SELECT g.id AS grid_id, p.id AS point_id FROM grids_gridunit g CROSS JOIN LATERAL "
           "(SELECT id FROM bench_points p WHERE ST_Covers(g.geom, p.geom) OFFSET 0) p "
           "WHERE g.level = 4 AND g.is_active") if grid_outer else (
           "SELECT p.id AS point_id, g.id AS grid_id FROM bench_points p "
           "JOIN grids_gridunit g ON g.level = 4 AND g.is_active AND ST_Covers(g.geom, p.geom)")
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw")
        cur.execute("CREATE UNLOGGED TABLE bench_raw AS " + sql)
        n = cur.rowcount
        cur.execute("DROP TABLE bench_raw")
        return n


def ours():
    with transaction.atomic():
        return bulk_assign("bench_points", into="bench_assignment")


def bench_bulk(n):
    count = make_points(n)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids_gridunit WHERE level = 4")
        grids = cur.fetchone()[0]
    raw_s, raw_n = timed(raw_join)
    raw_go_s, raw_go_n = timed(lambda: raw_join(grid_outer=True))
    ours_s, ours_n = timed(ours)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_points")
    best_raw = min(raw_s, raw_go_s)
    return {"points": count, "grids": grids, "raw_s": raw_s, "raw_rows": raw_n, "raw_go_s": raw_go_s,
            "raw_go_rows": raw_go_n, "ours_s": ours_s, "ours_rows": ours_n,
            "raw_pps": count / raw_s, "raw_go_pps": count / raw_go_s, "ours_pps": count / ours_s,
            "ratio": best_raw / ours_s}


def bench_api(n_requests):
    import requests

    # Points inside the county (as a phone in the field sends), plus 5 % outside (the 404 path).
    with connection.cursor() as cur:
        cur.execute("""SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 7))).geom g
                       FROM (SELECT geom FROM grids_gridunit WHERE level = 1 ORDER BY code LIMIT 1) d) p""",
                    [n_requests + 50])
        points = cur.fetchall()
    rnd = random.Random(7)
    points = [(x + 0.5, y) if rnd.random() < 0.05 else (x, y) for x, y in points]
    token = api_token()
    samples, statuses = [], {}
    with LiveServer(workers=2) as server, requests.Session() as http:
        http.headers["Authorization"] = f"Token {token}"
        for i, (lon, lat) in enumerate(points):
            params = {"lon": lon, "lat": lat}
            t = time.perf_counter()
            r = http.get(server.url + "/api/v1/grids/locate/", params=params)
            ms = (time.perf_counter() - t) * 1000
            if i >= 50:  # warm-up excluded
                samples.append(ms)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    return {**percentiles(samples), "statuses": statuses}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--api-only", action="store_true")
    args = ap.parse_args()
    call_command("seed_demo", "--if-empty")
    api = bench_api(args.requests)
    print(f"API locate  : {api['n']} sequential requests, p50 {api['p50']:.2f} ms, p95 {api['p95']:.2f} ms "
          f"(statuses {api['statuses']}; 404 = outside every grid, still a full lookup)")
    if args.api_only:
        return
    b = bench_bulk(args.points)
    print(f"bulk locate : {b['points']:,} points x {b['grids']} grids")
    print(f"  raw PostGIS join, planner's plan (point-outer)   : {b['raw_s']:6.2f} s = {b['raw_pps']:>9,.0f} points/s ({b['raw_rows']:,} rows)")
    print(f"  raw PostGIS join, grid-outer LATERAL             : {b['raw_go_s']:6.2f} s = {b['raw_go_pps']:>9,.0f} points/s ({b['raw_go_rows']:,} rows)")
    print(f"  gridgov bulk_assign (grid-outer + edge tie-break): {b['ours_s']:6.2f} s = {b['ours_pps']:>9,.0f} points/s ({b['ours_rows']:,} points)")
    print(f"  ratio bulk_assign / best raw join throughput     : {b['ratio']:.2f}x")


if __name__ == "__main__":
    main()
