"""Remove photo files that no case refers to (left by a process killed between writing its files
and committing its case; a failed or refused report removes its own files at once)."""
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from gridgov.cases.conf import private_media_root
from gridgov.cases.models import CasePhoto


class Command(BaseCommand):
    help = _("删除没有案卷引用的照片文件（进程中断遗留）")

    def add_arguments(self, parser):
        parser.add_argument("--min-age", type=int, default=3600,
                            help=_("只删除早于这么多秒的文件（默认 3600，避免删除正在提交的文件）"))
        parser.add_argument("--dry-run", action="store_true", help=_("只列出，不删除"))

    def handle(self, min_age=3600, dry_run=False, **options):
        referenced = set()
        for image, thumb, original in CasePhoto.objects.values_list("image", "thumbnail", "original").iterator():
            referenced.update({("media", image), ("media", thumb), ("private", original)})
        cutoff = time.time() - min_age
        removed = 0
        for kind, root in (("media", Path(settings.MEDIA_ROOT)), ("private", private_media_root())):
            base = root / "cases"
            if not base.is_dir():
                continue
            for path in base.rglob("*"):
                if not path.is_file() or path.stat().st_mtime > cutoff:
                    continue
                name = path.relative_to(root).as_posix()
                if (kind, name) not in referenced:
                    removed += 1
                    self.stdout.write(f"{'would remove' if dry_run else 'removed'} {kind}:{name}")
                    if not dry_run:
                        path.unlink()
        self.stdout.write(f"{removed} file(s)")
