"""One sweep of near-overdue reminders and overdue escalation (for cron-style set-ups and tests).

    manage.py run_alerts_once            # now
    manage.py run_alerts_once --at 2026-05-06T09:00+08:00
"""
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from gridgov.alerts.jobs import run_sweep
from gridgov.alerts.models import AlertKind


class Command(BaseCommand):
    help = "发送临近超期提醒和超期督办（一次）/ send near-overdue reminders and overdue escalations once"

    def add_arguments(self, parser):
        parser.add_argument("--at", help="the instant to sweep at (ISO 8601 with offset); default now")

    def handle(self, *args, at=None, **options):
        now = None
        if at:
            now = parse_datetime(at)
            if now is None or now.tzinfo is None:
                raise CommandError("--at 需为带时区的 ISO 8601 时间 / --at must be an ISO 8601 datetime with offset")
        result = run_sweep(now)
        self.stdout.write(f"candidates={result.candidates} near={result.count(AlertKind.NEAR)} "
                          f"overdue={result.count(AlertKind.OVERDUE)} failed={result.failed}")
        if result.failed:
            raise CommandError(f"{result.failed} alert(s) failed; see the log")
