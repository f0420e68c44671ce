from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.cases.actions import do_import_categories
from gridgov.cases.categories import parse_csv
from gridgov.core.errors import FieldError


class Command(BaseCommand):
    help = _("从 CSV 导入案卷分类（按编码新增或更新，全部成功或全部不导入）")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help=_("只检查，不写入"))

    def handle(self, path, dry_run=False, **options):
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        try:
            rows = parse_csv(path.read_bytes())
            with transaction.atomic():
                summary = do_import_categories(rows)
                if dry_run:
                    transaction.set_rollback(True)
        except FieldError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}")
        self.stdout.write(f"{'(dry run) ' if dry_run else ''}{path.name}: {summary}")
