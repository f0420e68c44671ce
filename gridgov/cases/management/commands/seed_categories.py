from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from gridgov.cases.categories import SEED_CSV, seed_categories


class Command(BaseCommand):
    help = _("载入内置的案卷分类清单（已有的按编码更新）")

    def handle(self, *args, **options):
        summary = seed_categories()
        self.stdout.write(f"{SEED_CSV.name}: {summary}")
