from django.core.management.base import BaseCommand

from gridgov.dispatch.demo import seed_demo_routing


class Command(BaseCommand):
    help = "Create or refresh the demo routing table (依法分类处理清单) over the demo departments and categories."

    def add_arguments(self, parser):
        parser.add_argument("--county", default=None, help="county grid code (default GRIDGOV_COUNTY_CODE)")

    def handle(self, *args, county=None, **options):
        summary = seed_demo_routing(county)
        self.stdout.write(f"rules: {summary['created']} created, {summary['changed']} changed, "
                          f"{summary['unchanged']} unchanged")
        for line in summary["skipped"]:
            self.stdout.write(self.style.WARNING(f"skipped: {line}"))
