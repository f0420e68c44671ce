"""Shared start-up of the backup/restore command lines (plain `python -m`, no Django app needed)."""
import os


def setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    django.setup()


def report_error(verb_zh, verb_en, exc):
    import sys

    print(f"{verb_zh}失败 / {verb_en} failed [{exc.field}: {exc.code}]\n  {exc.message_zh}\n  {exc.message_en}",
          file=sys.stderr)
