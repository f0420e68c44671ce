"""manage.py import_grids PATH — import grid units from a Shapefile, GeoJSON or GeoPackage.

See docs/importing.md. Exits non-zero, writing nothing, when any feature is refused.
"""
import time

from django.core.management.base import BaseCommand, CommandError

from geodata.importers import ImportOptions, import_grids
from geodata.import_sources import ImportRefused


class Command(BaseCommand):
    help = ("导入网格边界（Shapefile 文件夹/.shp/.zip、GeoJSON、GeoPackage）。先全部校验，有任何问题则一条也不写入。"
            " / Import grid units; everything is checked first and nothing is written if anything is refused.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="文件、文件夹或 .zip / file, folder or .zip")
        parser.add_argument("--code-field", help="编码字段名 / field holding the code (default: code, 编码, wgbm, …)")
        parser.add_argument("--name-field", help="名称字段名 / field holding the name (default: name, 名称, wgmc, …)")
        parser.add_argument("--parent-field", help="上级编码字段名 / field holding the parent's code (optional)")
        parser.add_argument("--population-field", help="人口字段名 / field holding the population (optional)")
        parser.add_argument("--level", type=int, choices=[1, 2, 3, 4],
                            help="所有要素的层级：1 区县 2 街镇 3 社区村 4 网格 / level of every feature")
        parser.add_argument("--srid", type=int,
                            help="文件坐标系的 EPSG 代码（无 .prj 时必填），如 4490、4549 / EPSG code of the file's CRS")
        parser.add_argument("--datum", default="wgs84",
                            help="坐标来自网络地图时：gcj02（高德/腾讯）或 bd09（百度） / gcj02 or bd09 for web-map data")
        parser.add_argument("--encoding", help="属性文字编码，如 gbk（无 .cpg 的中文 Shapefile） / attribute encoding")
        parser.add_argument("--layer", action="append", default=[], dest="layers",
                            help="只导入该图层（可重复） / import only this layer (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入 / check only, write nothing")
        parser.add_argument("--retire-missing-under", dest="retire_under", metavar="CODE",
                            help="文件完整描述该单元的下级：其下未出现在文件中的单元停用（历史案件保留原网格） / "
                                 "the file describes everything below CODE: units below it missing from the file "
                                 "are retired (old cases keep their grid)")
        parser.add_argument("--progress-every", type=int, default=1000,
                            help="每读 N 个要素显示一次进度（0 不显示） / progress every N features (0: off)")

    def handle(self, *args, **opts):
        started = time.perf_counter()
        every = opts["progress_every"]

        def progress(label, done, total):
            if every > 0:
                share = f" ({100 * done // total}%)" if total and total > 0 else ""
                self.stderr.write(f"  {label}: {done}/{total if total and total > 0 else '?'}{share}")

        options = ImportOptions(
            code_field=opts["code_field"], name_field=opts["name_field"], parent_field=opts["parent_field"],
            population_field=opts["population_field"], level=opts["level"], srid=opts["srid"],
            datum=opts["datum"], encoding=opts["encoding"], layers=tuple(opts["layers"]),
            dry_run=opts["dry_run"], retire_under=opts["retire_under"], progress=progress, progress_every=max(every, 1),
        )
        try:
            report = import_grids(opts["path"], options)
        except ImportRefused as refused:
            raise CommandError(refused.text())
        for line in report.sources:
            self.stdout.write(f"读取 / read {line}")
        for repair in report.repairs:
            self.stdout.write(self.style.WARNING(f"已修复 / repaired {repair.line()}"))
        retired = report.result.retired
        if retired:
            from gridgov.cases.models import Case  # the grids layer knows nothing of cases; the command may
            still_open = Case.objects.filter(grid__code__in=retired).exclude(status__in=["closed", "merged"]).count()
            self.stdout.write(self.style.WARNING(
                f"停用 / retired {len(retired)}: {', '.join(retired[:20])}{' …' if len(retired) > 20 else ''}"
                + (f"；其中仍有 {still_open} 件未结案件，请指挥中心核对 / {still_open} open cases are in them"
                   if still_open else "")))
        counts = report.result.summary()
        head = "试运行（未写入） / dry run, nothing written" if report.dry_run else "已导入 / imported"
        self.stdout.write(self.style.SUCCESS(
            f"{head}: 新建 created {counts['created']}, 变更 changed {counts['changed']}, "
            f"未变 unchanged {counts['unchanged']}, 停用 retired {counts['retired']}, 修复 repaired {len(report.repairs)} "
            f"— {report.features} 个要素 features in {time.perf_counter() - started:.1f} s"))
