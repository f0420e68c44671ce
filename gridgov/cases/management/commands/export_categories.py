from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from gridgov.cases.categories import export_csv


class Command(BaseCommand):
    help = _("把案卷分类导出为 CSV（UTF-8，带 BOM 以便 Excel 打开）")

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", type=Path, help=_("输出文件；缺省输出到屏幕"))

    def handle(self, output=None, **options):
        text = export_csv()
        if output:
            output.write_text(text, encoding="utf-8-sig")
            self.stdout.write(f"{output}")
        else:
            self.stdout.write(text, ending="")
