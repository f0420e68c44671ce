"""manage.py import_calendar FILE — load the official holiday schedule (date,is_workday,note rows).

Every row is validated before anything is written; one bad row and nothing is imported.
"""
from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import FieldError
from gridgov.workcal.actions import do_import_calendar, parse_calendar_csv
from gridgov.workcal.calendar import calendar_coverage


class Command(BaseCommand):
    help = "导入官方节假日/调休安排 CSV（date,is_workday,note），覆盖 chinese_calendar 与周末规则"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 文件（UTF-8，可带表头 date,is_workday,note）")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as e:
            raise CommandError(f"无法读取 {file}: {e}")
        try:
            days = parse_calendar_csv(text)
            created, updated = do_import_calendar(days)
        except FieldError as e:
            for row in e.extra.get("rows", []):
                self.stderr.write(f"第 {row['line']} 行 [{row['field']}]: {row['message']} / {row['message_en']}")
            raise CommandError(f"{e.message_zh} / {e.message_en}")
        self.stdout.write(f"导入完成：新增 {created}，更新 {updated} / imported: {created} created, {updated} updated")
        for year in sorted({d.date.year for d in days}):
            self.stdout.write(f"  {calendar_coverage(year).message_zh}")
