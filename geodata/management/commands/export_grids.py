"""manage.py export_grids --format geojson|gpkg [--level N] [--code-prefix P] OUT"""
from django.core.management.base import BaseCommand, CommandError

from geodata.exporters import FORMATS, export_grids
from gridgov.core.errors import FieldError


class Command(BaseCommand):
    help = ("导出网格单元为 GeoJSON 或 GeoPackage（WGS-84；字段 code、name、level、parent_code、area_m2、population）"
            " / Export grid units to GeoJSON or GeoPackage.")

    def add_arguments(self, parser):
        parser.add_argument("out", help="输出文件 / output file")
        parser.add_argument("--format", choices=FORMATS, help="默认按扩展名 / default: from the file's extension")
        parser.add_argument("--level", type=int, choices=[1, 2, 3, 4], help="只导出该层级 / only this level")
        parser.add_argument("--code-prefix", default="", help="只导出编码以此开头的单元 / only codes starting with this")

    def handle(self, *args, **opts):
        out = opts["out"]
        fmt = opts["format"] or ("gpkg" if out.lower().endswith(".gpkg") else "geojson")
        try:
            count = export_grids(out, fmt, level=opts["level"], code_prefix=opts["code_prefix"])
        except FieldError as err:
            raise CommandError(f"{err.message_zh} / {err.message_en}")
        self.stdout.write(self.style.SUCCESS(f"已导出 / exported {count} 个单元 units → {out} ({fmt})"))
