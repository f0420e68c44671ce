from django.core.management.base import BaseCommand

from gridgov.departments.demo import seed_demo_departments
from gridgov.departments.models import Department
from gridgov.dispatch.demo import seed_demo_routing


class Command(BaseCommand):
    help = ("Create or refresh the demo routing table (依法分类处理清单) over the demo departments and categories; "
            "seeds the demo departments first if there are none. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--county", default=None, help="county grid code (default GRIDGOV_COUNTY_CODE)")

    def handle(self, *args, county=None, **options):
        if not Department.objects.exists():
            made = seed_demo_departments(county)
            self.stdout.write(f"departments: {made['created']} created")
        summary = seed_demo_routing(county)
        self.stdout.write(f"routing rules: {summary['created']} created, {summary['changed']} changed, "
                          f"{summary['unchanged']} unchanged")
        for line in summary["skipped"]:
            self.stdout.write(self.style.WARNING(f"skipped: {line}"))
