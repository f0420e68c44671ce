"""manage.py build_basemap [--if-empty] [--county 320831]: the offline (demo) base map of a county."""
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "生成离线示意底图（道路、水系、居民点、地名；演示数据，非真实道路）/ build the offline demo base map"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="已有底图要素时什么也不做 / do nothing when the base map exists")
        parser.add_argument("--county", default=None, help="县级代码，默认演示县 320831")

    def handle(self, *args, if_empty=False, county=None, **options):
        from gridgov.basemap.actions import do_build_basemap
        from gridgov.basemap.models import BasemapFeature

        if if_empty and BasemapFeature.objects.exists():
            if options["verbosity"] >= 2:
                self.stdout.write("已有底图，跳过 / base map exists, skipped")
            return
        result = do_build_basemap(county)
        if result is None:
            raise CommandError("该县没有网格数据：先运行 seed_demo 或 import_grids / the county has no grid units")
        counts = "，".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
        self.stdout.write(f"离线示意底图 {result.source}：{counts}（替换旧要素 {result.replaced} 个）")
