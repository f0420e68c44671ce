"""Frozen: maps_case_warning, which reads the warning rules of gridgov.alerts, is made from maps/sql/ after
every migrate by gridgov.dbsql (it replaces 0001's self-contained first version)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("maps", "0002_truncate_clears_cache"), ("alerts", "0004_null_before_calendar"),
                    ("departments", "0001_initial"), ("dispatch", "0001_initial")]
    operations = []
