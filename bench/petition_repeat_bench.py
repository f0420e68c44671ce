"""Repeat detection (信访 复访) against 100,000 earlier petitions: time of repeat_candidates() per new petition.

Runs against a throwaway database (bench_gridgov_petitions), created and dropped here; seeds the demo county
(金湖县, 742 grids) and the category list, creates --matters petition cases with do_bulk_create_cases
(spread over the county's grids, worded from templates with varying names, amounts and places) and their
petition details and petitioners (30 % of the cases are people coming back), then registers --new petitions
through do_register_petition, half of them by people already on file, and times repeat_candidates() for
each. Target: < 100 ms per new petition.
"""
import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["GRIDGOV_TEST_DB"] = os.environ.get("GRIDGOV_BENCH_DB", "bench_gridgov_petitions")
from _common import setup_django  # noqa: E402

setup_django()
from django.db import connection  # noqa: E402

FIRMS = ["宏达建筑", "金湖路桥", "鑫源置业", "华泰物业", "恒通劳务", "新城开发", "顺发建材", "永安食品"]
PLACES = ["幸福小区", "黎城花园", "城南新村", "荷花路", "金湖大道", "工业园区", "滨湖苑", "健康路"]
TEMPLATES = ["{firm}拖欠农民工工资{n}个月未发放", "{place}{firm}工地包工头拖欠工资{n}万元",
             "{place}物业乱收费{n}元，业主投诉无果", "{place}拆迁补偿款{n}万元未到位",
             "{place}邻居装修漏水{n}次协商不成", "{firm}在{place}施工噪音扰民", "{place}土地流转租金{n}年未兑现"]


def phone(n):
    return f"139{n:08d}"


def text(rng):
    return rng.choice(TEMPLATES).format(firm=rng.choice(FIRMS), place=rng.choice(PLACES), n=rng.randint(1, 30))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=200)
    args = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from django.utils import timezone

        from geodata.demo import do_seed_demo
        from gridgov.accounts.models import Role, User
        from gridgov.cases.bulk import BulkCase, do_bulk_create_cases
        from gridgov.cases.categories import seed_categories
        from gridgov.cases.models import Category, Channel
        from gridgov.grids.models import GridUnit, Level
        from gridgov.petitions.actions import PersonInput, PetitionInput, do_register_petition
        from gridgov.petitions.identity import keyed_hash
        from gridgov.petitions.selectors import repeat_candidates

        rng = random.Random(12)
        t = time.perf_counter()
        do_seed_demo()
        seed_categories()
        print(f"demo county and categories seeded in {time.perf_counter() - t:.1f} s")
        staff = User.objects.create(username="bench-petitions", role=Role.DISPATCHER)
        cats = list(Category.objects.filter(code__startswith="S01", level=2).values_list("id", flat=True))
        with connection.cursor() as cur:
            cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids_gridunit "
                        "WHERE level = %s AND is_active) g", [Level.GRID])
            spots = cur.fetchall()
        now = timezone.now()
        t = time.perf_counter()
        rows = []
        for i in range(args.matters):
            lon, lat = rng.choice(spots)
            rows.append(BulkCase(client_uuid=uuid.uuid4(), lon=lon + rng.uniform(-0.002, 0.002),
                                 lat=lat + rng.uniform(-0.002, 0.002), category_id=rng.choice(cats),
                                 reported_at=now - timedelta(minutes=args.matters - i), description=text(rng),
                                 channel=rng.choice([Channel.VISIT, Channel.LETTER, Channel.ONLINE_PETITION]),
                                 received_at=now - timedelta(minutes=args.matters - i)))
        result = do_bulk_create_cases(staff, rows, outside="skip")
        people = args.matters * 7 // 10
        with connection.cursor() as cur:
            # phones 13900000001…: the new petitions below come back with some of them
            cur.executemany("INSERT INTO petitions_petitioner (name, id_hash, id_masked, phone_hash, phone_masked, "
                            "address, created_at) VALUES (%s, NULL, '', %s, '', '', now())",
                            [(f"信访人{g}", keyed_hash("phone", phone(g))) for g in range(1, people + 1)])
            cur.execute("""
                INSERT INTO petitions_petitionmatter (case_id, nature, head_count, level_reached, responsible_level,
                    assigned_by, decision, decision_reason, legal_basis, notice_due, extended_days)
                SELECT id, 'complain', 1, 2, 2, '', 'pending', '', '', received_at + interval '15 days', 0
                FROM cases_case""")
            # each case one petitioner: the first 70 % one each, the rest people who came back
            cur.execute("""
                INSERT INTO petitions_petitionparty (matter_id, petitioner_id, role)
                SELECT m.case_id, p.id, 'main'
                FROM (SELECT case_id, row_number() OVER (ORDER BY case_id) AS n FROM petitions_petitionmatter) m
                JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM petitions_petitioner) p
                  ON p.n = CASE WHEN m.n <= %s THEN m.n ELSE 1 + (m.n * 7919) %% %s END""", [people, people])
            cur.execute("ANALYZE")
        print(f"{result.created} petitions and {people} petitioners created in {time.perf_counter() - t:.1f} s")

        register, detect = [], []
        for i in range(args.new):
            lon, lat = rng.choice(spots)
            t = time.perf_counter()
            matter = do_register_petition(staff, PetitionInput(
                lon=lon, lat=lat, category=Category.objects.get(pk=rng.choice(cats)).code, description=text(rng),
                channel=Channel.VISIT, nature="complain",
                # every other one a person already on file (with their earlier matters), else someone new
                people=[PersonInput("信访人", phone=phone(rng.randint(1, people)) if i % 2 else
                                    f"138{rng.randint(10_000_000, 99_999_999)}")]))
            register.append(time.perf_counter() - t)
            t = time.perf_counter()
            found = repeat_candidates(matter)
            detect.append(time.perf_counter() - t)
        def ms(xs, q):
            return 1000 * statistics.quantiles(xs, n=100)[q - 1]
        print(f"repeat_candidates over {result.created} petitions, {args.new} new ones: median "
              f"{1000 * statistics.median(detect):.1f} ms, p95 {ms(detect, 95):.1f} ms, max {1000 * max(detect):.1f} ms "
              f"(last found {len(found)} candidates)")
        print(f"do_register_petition: median {1000 * statistics.median(register):.1f} ms, p95 {ms(register, 95):.1f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
