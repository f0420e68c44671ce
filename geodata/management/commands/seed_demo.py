"""manage.py seed_demo [--if-empty] [--seed N]: the demo county 金湖县 with its 742 grids."""
import time

from django.core.management.base import BaseCommand

from gridgov.grids.models import GridUnit, Level


class Command(BaseCommand):
    help = "生成演示县 金湖县（320831）：11 个街道/镇/场区、村/社区与 742 个网格，覆盖真实县界。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="已有网格数据时什么也不做 / do nothing when grid units exist")
        parser.add_argument("--seed", type=int, default=None,
                            help="随机种子（默认固定，结果可复现）/ random seed, default fixed")

    def handle(self, *args, if_empty=False, seed=None, **options):
        if if_empty and GridUnit.objects.exists():
            if options["verbosity"] >= 2:
                self.stdout.write("已有网格数据，跳过演示数据生成 / grid units exist, demo not seeded")
            return
        from geodata.demo import DEFAULT_SEED, do_seed_demo

        seed = DEFAULT_SEED if seed is None else seed
        started = time.monotonic()
        seeded = do_seed_demo(seed)
        counts = {lvl: sum(1 for u in seeded.units if u.level == lvl) for lvl in Level.values}
        s = seeded.upsert.summary()
        retired = f"，停用 {len(seeded.retired)}" if seeded.retired else ""
        self.stdout.write(
            f"演示县 金湖县（种子 {seed}）：街道/镇 {counts[Level.STREET]} 个，村/社区 {counts[Level.COMMUNITY]} 个，"
            f"网格 {counts[Level.GRID]} 个；新建 {s['created']}，更新 {s['changed']}，未变 {s['unchanged']}{retired}；"
            f"用时 {time.monotonic() - started:.1f} 秒"
        )
