import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import Role, User
from gridgov.core.errors import FieldError
from gridgov.hotline.actions import do_import_hotline


class Command(BaseCommand):
    help = "导入 12345 热线工单（CSV/XLSX）/ import a 12345 hotline ticket file"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--datum", default="wgs84", help="coordinates' datum when the file has no 坐标系 column")
        parser.add_argument("--dry-run", action="store_true", help="check and locate, write nothing")
        parser.add_argument("--user", default="hotline12345", help="the importing account (created if missing)")
        parser.add_argument("--no-classify", action="store_true")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在 / no such file: {path}")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            user = User(username=options["user"], role=Role.DISPATCHER, display_name="12345热线导入")
            user.set_unusable_password()
            user.save()
        t0 = time.perf_counter()

        def progress(batch):
            self.stdout.write(f"\r{batch.processed_rows}/{batch.total_rows} ({batch.percent}%) "
                              f"新建 {batch.created_count} 跳过 {batch.skipped_count} 错误 {batch.error_count}",
                              ending="")
            sys.stdout.flush()

        try:
            batch = do_import_hotline(user, path.name, path.read_bytes(), options["datum"], options["dry_run"],
                                      progress=progress)
        except FieldError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}")
        self.stdout.write("")
        self.stdout.write(f"{'试运行 dry run: ' if batch.dry_run else ''}批次 {batch.pk}: {batch.total_rows} 行，"
                          f"新建 {batch.created_count}，已导入跳过 {batch.skipped_count}，错误 {batch.error_count}，"
                          f"分类待确认 {batch.unconfirmed_count}；{time.perf_counter() - t0:.1f} s")
        if batch.error_report:
            self.stdout.write(f"错误报告 error report: {batch.error_report.path}")
