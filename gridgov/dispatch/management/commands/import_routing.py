from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gridgov.dispatch.csv_io import do_import_rules, export_csv, parse_csv
from gridgov.core.errors import FieldError


class Command(BaseCommand):
    help = "Import a routing table CSV (every row checked before anything is written), or export with --export."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file to read, or to write with --export ('-' = stdout)")
        parser.add_argument("--export", action="store_true")

    def handle(self, *args, path, export=False, **options):
        if export:
            text = export_csv()
            if path == "-":
                self.stdout.write(text, ending="")
            else:
                Path(path).write_text(text, encoding="utf-8")
            return
        try:
            summary = do_import_rules(parse_csv(Path(path).read_bytes()))
        except FieldError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}")
        self.stdout.write(f"{summary['created']} created, {summary['changed']} changed, {summary['unchanged']} unchanged")
