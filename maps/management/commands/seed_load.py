"""manage.py seed_load --cases N [--days D] [--seed S] [--no-dispatches] | --clear

Realistic clustered synthetic cases over the active grids (see maps.synthetic), in bulk SQL. Meant for
load tests on a separate database; every row is marked synthetic and removed by --clear."""
import time

from django.core.management.base import BaseCommand, CommandError

from gridgov.cases.models import Case
from gridgov.core.errors import FieldError
from maps.actions import do_clear_synthetic_cases, do_seed_synthetic_cases


class Command(BaseCommand):
    help = "Insert N clustered synthetic cases (load testing), or remove them with --clear"

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=0)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--clusters", type=int, default=14)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-dispatches", action="store_true")
        parser.add_argument("--clear", action="store_true", help="delete every synthetic case first")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the database already has cases (make run's demo data)")

    def handle(self, *args, **opts):
        log = lambda msg: self.stdout.write("  " + msg)  # noqa: E731
        if not opts["clear"] and not opts["cases"]:
            raise CommandError("give --cases N or --clear")
        if opts["if_empty"] and Case.objects.exists():
            return
        t = time.perf_counter()
        try:
            if opts["clear"]:
                out = do_clear_synthetic_cases(log=log)
                self.stdout.write(f"removed {out['cases']} synthetic cases, {out['dispatches']} dispatches")
            if opts["cases"]:
                out = do_seed_synthetic_cases(opts["cases"], days=opts["days"], clusters=opts["clusters"],
                                              seed=opts["seed"], dispatches=not opts["no_dispatches"], log=log)
                self.stdout.write(f"inserted {out['cases']} synthetic cases, "
                                  f"{out['dispatches']} dispatches in {time.perf_counter() - t:.1f} s")
        except FieldError as exc:
            raise CommandError(f"{exc.field}: {exc.message_zh} / {exc.message_en}")
