"""A realistic petition history for the demo county (issue 12): first petitions, people who come back on
the same matter (复访), group visits (集体访) with representatives, matters that reached the city or province
(越级), all three acceptance decisions, closures and ratings — registered through the real actions, then
dated back over the last --days days (demo data only), so the petition measures show real values."""
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, Category, CategoryLevel, Channel, Status
from gridgov.evaluation.models import Rating, RatingSource
from gridgov.grids.models import GridUnit, Level
from gridgov.petitions.actions import (PersonInput, PetitionInput, do_confirm_repeat, do_decide_acceptance,
                                       do_register_petition)
from gridgov.petitions.identity import check_digit
from gridgov.petitions.models import Decision, PetitionLevel, PetitionMatter

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "国平", "玉梅", "德华", "春生", "红霞", "永福", "丽娟", "金山", "小明"]
REQUESTS = {
    "S0103": ["某建筑公司拖欠农民工工资{n}个月未发放", "工地包工头拖欠工资{n}万元，多次讨要无果"],
    "S0104": ["村里土地流转租金{n}年未兑现", "宅基地界址与邻居争议，村委调解未果"],
    "S0101": ["楼上邻居装修漏水{n}次，协商不成", "邻居长期占用公共通道堆放杂物"],
    "S0102": ["子女不履行赡养义务，老人生活困难", "离婚后对方拒不支付抚养费{n}个月"],
}
CHANNELS = [Channel.VISIT, Channel.LETTER, Channel.HOTLINE, Channel.ONLINE_PETITION, Channel.ONLINE_PETITION,
            Channel.COUNTY_HEAD_MAILBOX, Channel.SECRETARY_MAILBOX]


class Command(BaseCommand):
    help = "Seed a petition history (信访) in the demo county"

    def add_arguments(self, parser):
        parser.add_argument("--matters", type=int, default=240)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--seed", type=int, default=12)
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args, matters, days, seed, if_empty, **kw):
        if if_empty and PetitionMatter.objects.exists():
            self.stdout.write("petitions: already seeded")
            return
        rng = random.Random(seed)
        grids = list(GridUnit.objects.filter(level=Level.GRID, is_active=True)
                     .values_list("code", flat=True)[:400])
        codes = [c for c in REQUESTS if Category.objects.filter(code=c, level=CategoryLevel.ITEM, is_active=True)
                 .exists()]
        if not grids or not codes:
            self.stdout.write("petitions: no demo county or categories; run seed_demo first")
            return
        points = dict(GridUnit.objects.filter(code__in=grids).extra(
            select={"p": "ST_AsText(ST_PointOnSurface(geom))"}).values_list("code", "p"))
        User = get_user_model()
        desk, _ = User.objects.get_or_create(username="petition-desk", defaults={
            "role": Role.DISPATCHER, "display_name": "信访接待窗口（演示数据）"})
        people = [self._person(rng, i) for i in range(max(20, matters // 2))]
        now = timezone.now()
        made = []
        with transaction.atomic():
            for i in range(matters):
                when = now - timedelta(days=days * (1 - i / matters), hours=rng.random() * 6)
                back = made and rng.random() < 0.25  # someone comes back on their matter
                if back:
                    earlier = rng.choice(made)
                    person, code, grid, text = earlier["person"], earlier["code"], earlier["grid"], earlier["text"]
                    text = text + "，至今未解决，再次反映"
                else:
                    person, code, grid = rng.choice(people), rng.choice(codes), rng.choice(grids)
                    text = rng.choice(REQUESTS[code]).format(n=rng.randint(2, 9))
                group = not back and code == "S0103" and rng.random() < 0.3
                reps = [person] + ([self._person(rng, 1000 + i * 3 + k) for k in range(2)] if group else [])
                level = PetitionLevel.COUNTY
                if rng.random() < 0.08:
                    level = rng.choice([PetitionLevel.CITY, PetitionLevel.PROVINCE])
                lon, lat = points[grid].replace("POINT(", "").rstrip(")").split()
                matter = do_register_petition(desk, PetitionInput(
                    lon=float(lon), lat=float(lat), category=code, description=text,
                    channel=Channel.VISIT if group else rng.choice(CHANNELS),
                    nature=rng.choice(["complain", "complain", "help", "report", "consult"]),
                    people=[PersonInput(p["name"], id_number=p["id"], phone=p["phone"],
                                        role="representative" if group else "main") for p in reps],
                    head_count=rng.randint(8, 60) if group else 1, level_reached=level,
                    assigned_by={PetitionLevel.CITY: "市信访局", PetitionLevel.PROVINCE: "省信访局"}.get(level, ""),
                    received_at=when))
                Case.objects.filter(pk=matter.pk).update(received_at=when)  # demo history: dated back
                if back:
                    do_confirm_repeat(desk, matter, earlier["matter"])
                self._decide(rng, desk, matter, when, now)
                made.append({"matter": matter, "person": person, "code": code, "grid": grid, "text": text})
        self.stdout.write(f"petitions: {len(made)} matters, {len(people)} petitioners seeded")

    @staticmethod
    def _person(rng, i):
        first17 = f"320831{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i % 1000:03d}"
        return {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "id": first17 + check_digit(first17),
                "phone": f"139{rng.randint(10_000_000, 99_999_999)}"}

    @staticmethod
    def _decide(rng, desk, matter, when, now):
        roll = rng.random()
        decided = when + timedelta(days=rng.randint(1, 10))
        if decided > now:
            return
        if roll < 0.1:
            do_decide_acceptance(desk, matter, Decision.REJECTED, reason="已依法终结，不再受理",
                                 legal_basis="《信访工作条例》", now=decided)
            return
        if roll < 0.2:
            do_decide_acceptance(desk, matter, Decision.DIVERTED, reason="属劳动人事争议仲裁受理范围",
                                 legal_basis="《中华人民共和国劳动争议调解仲裁法》", now=decided)
            return
        do_decide_acceptance(desk, matter, Decision.ACCEPTED, now=decided)
        closed = decided + timedelta(days=rng.randint(5, 50))
        if closed < now and rng.random() < 0.8:
            Case.objects.filter(pk=matter.pk).update(status=Status.CLOSED, closed_at=closed)
            if rng.random() < 0.7:
                Rating.objects.create(case_id=matter.pk, source=RatingSource.REPORTER, rated_by=desk, rated_at=closed,
                                      level=rng.choice(["satisfied", "satisfied", "basic", "dissatisfied"]))
