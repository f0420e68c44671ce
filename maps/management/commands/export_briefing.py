"""manage.py export_briefing [--period 30d | --from YYYY-MM-DD --to YYYY-MM-DD] [--category CODE]
                             [--unit grid|hex] [--size 1000] [--out DIR]

A standalone HTML map (folium, assets inlined, works offline) and a PNG of the Gi* hotspot analysis."""
from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import FieldError
from maps.briefing import export
from maps.filters import parse_filters


class Command(BaseCommand):
    help = "Export a hotspot briefing (offline HTML map + PNG) for a period and category"

    def add_arguments(self, parser):
        parser.add_argument("--period", default="30d")
        parser.add_argument("--from", dest="start")
        parser.add_argument("--to", dest="end")
        parser.add_argument("--category", default="")
        parser.add_argument("--unit", choices=["grid", "hex"], default="grid")
        parser.add_argument("--size", type=int, default=1000, help="hexagon edge length in metres (unit=hex)")
        parser.add_argument("--permutations", type=int, default=999)
        parser.add_argument("--seed", type=int, default=12345)
        parser.add_argument("--out", default="var/briefings")

    def handle(self, *args, **o):
        params = {"period": o["period"], "category": o["category"]}
        if o["start"]:
            params["from"] = o["start"]
        if o["end"]:
            params["to"] = o["end"]
        try:
            filters = parse_filters(params)
            html, png = export(filters, o["out"], unit=o["unit"], size=o["size"], permutations=o["permutations"],
                               seed=o["seed"])
        except FieldError as exc:
            raise CommandError(f"{exc.field}: {exc.message_zh} / {exc.message_en}")
        self.stdout.write(f"{html}\n{png}")
