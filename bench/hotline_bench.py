"""12345 hotline import throughput: 100,000 generated tickets over the demo county (金湖县).

    .venv/bin/python bench/hotline_bench.py [--rows 100000] [--no-classify]

Runs against a throwaway database (bench_gridgov_hotline), created and dropped here; seeds the
demo county, then writes a CSV of tickets: 70 % WGS-84 coordinates, 15 % GCJ-02 (AMap)
coordinates, 12 % only a village/community name in the address, 3 % broken (bad time, empty text,
unknown village, coordinates outside the county). Texts come from the classifier's held-out
generator (colloquial, with places and moods). Prints the seconds of the import and of a
re-import of the same file (every ticket skipped).
"""
import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["GRIDGOV_TEST_DB"] = os.environ.get("GRIDGOV_BENCH_DB", "bench_gridgov_hotline")
from _common import setup_django  # noqa: E402

setup_django()

from django.db import connection  # noqa: E402

HEAD = ["工单号", "来电时间", "诉求内容", "来电号码", "经度", "纬度", "坐标系", "地址"]


def generate(n, seed=6):
    from geodata.datums import from_wgs84
    from gridgov.classify.model import HELDOUT, read_examples

    rnd = random.Random(seed)
    # ticket wording: the training examples and the dev file (throughput only; accuracy is classifier_report's)
    texts = read_examples()[0] + read_examples(HELDOUT)[0]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grids_gridunit WHERE is_active AND level = 4")
        per_grid = n // cur.fetchone()[0] + 1
        cur.execute("SELECT setseed(0.6)")
        cur.execute("SELECT ST_X(p.geom), ST_Y(p.geom) FROM grids_gridunit g,"
                    " ST_Dump(ST_GeneratePoints(g.geom, %s, 6)) p WHERE g.is_active AND g.level = 4", [per_grid])
        points = cur.fetchall()
        cur.execute("SELECT u.name, p.name FROM grids_gridunit u JOIN grids_gridunit p ON p.id = u.parent_id"
                    " WHERE u.is_active AND u.level = 3")
        villages = cur.fetchall()
    rnd.shuffle(points)
    t0 = datetime(2026, 1, 1)
    rows = []
    for i in range(n):
        ticket = f"HL2026{i:08d}"
        when = (t0 + timedelta(minutes=rnd.randint(0, 300 * 24 * 60))).strftime("%Y-%m-%d %H:%M:%S")
        text = rnd.choice(texts) + f"（工单 {ticket}）"
        phone = f"1{rnd.randint(3, 9)}{rnd.randint(0, 999999999):09d}"
        lon, lat = points[i % len(points)]
        r = rnd.random()
        if r < 0.70:
            row = [ticket, when, text, phone, f"{lon:.7f}", f"{lat:.7f}", "wgs84", ""]
        elif r < 0.85:
            glon, glat = from_wgs84(lon, lat, "gcj02")
            row = [ticket, when, text, phone, f"{glon:.7f}", f"{glat:.7f}", "gcj02", ""]
        elif r < 0.97:
            village, town = rnd.choice(villages)
            row = [ticket, when, text, phone, "", "", "", f"{town}{village}{rnd.randint(1, 40)}组"]
        else:
            row = [ticket, rnd.choice(["昨天", when]), rnd.choice(["", text]), phone,
                   rnd.choice(["", "121.5"]), rnd.choice(["", "31.2"]), "", rnd.choice(["火星村", ""])]
        rows.append(row)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEAD)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-classify", action="store_true")
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from geodata.demo import do_seed_demo
        from gridgov.accounts.models import Role, User
        from gridgov.classify.model import get_model
        from gridgov.hotline.actions import do_create_batch
        from gridgov.hotline.importer import Importer

        t = time.perf_counter()
        do_seed_demo()
        with connection.cursor() as cur:  # a fresh database has no statistics yet; a live one has
            cur.execute("ANALYZE")
        print(f"demo county seeded in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        data = generate(args.rows)
        print(f"generated {args.rows} tickets ({len(data) / 1e6:.1f} MB CSV) in {time.perf_counter() - t:.1f} s")
        if not args.no_classify:
            t = time.perf_counter()
            get_model()
            print(f"classifier loaded in {time.perf_counter() - t:.1f} s (not counted)")
        user = User.objects.create(username="bench-hotline", role=Role.DISPATCHER)
        with tempfile.TemporaryDirectory() as tmp:
            from django.conf import settings

            settings.GRIDGOV_PRIVATE_MEDIA_ROOT = Path(tmp)
            for label in ("first import", "re-import (all skipped)"):
                batch = do_create_batch(user, "bench.csv", data, keep_file=False)
                t = time.perf_counter()
                importer = Importer(batch, user, classify=not args.no_classify,
                                    progress=lambda b: print(f"  {b.processed_rows}/{b.total_rows}"
                                                             f" {time.perf_counter() - t:6.1f} s", flush=True))
                batch = importer.run("bench.csv", data)
                seconds = time.perf_counter() - t
                print(f"{label:24s} {seconds:6.1f} s  {batch.total_rows / seconds:7.0f} rows/s | created "
                      f"{batch.created_count}, skipped {batch.skipped_count}, errors {batch.error_count}, "
                      f"category to confirm {batch.unconfirmed_count}")
                print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in importer.timings.items()))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
