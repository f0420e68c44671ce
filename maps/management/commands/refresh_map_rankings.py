"""manage.py refresh_map_rankings — store the wall's 三率 rankings from gridgov.evaluation now (the
periodic job maps.refresh_rankings does the same every 10 minutes)."""
from django.core.management.base import BaseCommand

from maps import rankings


class Command(BaseCommand):
    help = "Compute the map wall's department and street rankings (gridgov.evaluation) and store them"

    def handle(self, *args, **opts):
        data = rankings.refresh()
        if data is None:
            self.stdout.write("not refreshed: the evaluation app is not installed or another process is refreshing")
        else:
            self.stdout.write(f"{len(data['departments'])} departments, {len(data['streets'])} streets "
                              f"({data['from']} – {data['to']})")
