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

from gridgov.grids.locate import assign_grids_in_table  # noqa: E402


def make_points(n):
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_points")
        cur.execute("CREATE UNLOGGED TABLE bench_points (id bigserial PRIMARY KEY, "
                    "geom geometry(Point, 4326) NOT NULL, grid_id bigint)")
        # Points spread over the whole county (ST_GeneratePoints inside the district polygon).
        cur.execute("""
            INSERT INTO bench_points (geom)
            SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 42))).geom FROM grids_gridunit WHERE level = 1 LIMIT 1
        """, [n])
        cur.execute("CREATE INDEX bench_points_geom ON bench_points USING gist (geom)")
        cur.execute("ANALYZE bench_points")
        cur.execute("SELECT count(*) FROM bench_points")
        return cur.fetchone()[0]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def raw_join():
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw")
        cur.execute("""CREATE UNLOGGED TABLE bench_raw AS
                       SELECT p.id AS point_id, g.id AS grid_id FROM bench_points p
                       JOIN grids_gridunit g ON g.level = 4 AND g.is_active AND ST_Covers(g.geom, p.geom)""")
        cur.execute("SELECT count(*) FROM bench_raw")
        n = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_raw")
        return n


def bench_bulk(n):
    count = make_points(n)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids_gridunit WHERE level = 4")
        grids = cur.fetchone()[0]
    raw_s, raw_n = timed(raw_join)
    ours_s, ours_n = timed(lambda: assign_grids_in_table("bench_points"))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE grid_id IS NULL) FROM bench_points")
        unassigned = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_points")
    return {"points": count, "grids": grids, "raw_s": raw_s, "raw_rows": raw_n, "ours_s": ours_s,
            "ours_rows": ours_n, "unassigned": unassigned,
            "raw_pps": count / raw_s, "ours_pps": count / ours_s, "ratio": raw_s / ours_s}


def bench_api(n_requests):
    import requests

    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
                    "FROM grids_gridunit WHERE level = 1 LIMIT 1")
        x0, y0, x1, y1 = cur.fetchone()
    token = api_token()
    rnd = random.Random(7)
    samples, statuses = [], {}
    with LiveServer(workers=2) as server, requests.Session() as http:
        http.headers["Authorization"] = f"Token {token}"
        for i in range(n_requests + 50):
            params = {"lon": rnd.uniform(x0, x1), "lat": rnd.uniform(y0, y1)}
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
    args = ap.parse_args()
    call_command("seed_demo", "--if-empty")
    api = bench_api(args.requests)
    print(f"API locate  : {api['n']} sequential requests, p50 {api['p50']:.2f} ms, p95 {api['p95']:.2f} ms "
          f"(statuses {api['statuses']}; 404 = outside every grid, still a full lookup)")
    b = bench_bulk(args.points)
    print(f"bulk locate : {b['points']:,} points x {b['grids']} grids")
    print(f"  raw PostGIS join (CREATE TABLE AS)     : {b['raw_s']:.2f} s = {b['raw_pps']:,.0f} points/s")
    print(f"  assign_grids_in_table (UPDATE, ties)   : {b['ours_s']:.2f} s = {b['ours_pps']:,.0f} points/s")
    print(f"  ratio ours/raw throughput              : {b['ratio']:.2f}x  (unassigned points: {b['unassigned']})")


if __name__ == "__main__":
    main()
