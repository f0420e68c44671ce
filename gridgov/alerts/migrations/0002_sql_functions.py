"""The warning rules as SQL functions (gridgov.alerts.sql, current version; 0003 re-applies it over the
first version on databases that had it). No views: see that module."""
from django.db import migrations

from gridgov.alerts.sql import DROP, FUNCTIONS


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("dispatch", "0002_append_only"),
        ("cases", "0003_seed_categories"),
        ("departments", "0001_initial"),
    ]

    operations = [migrations.RunSQL(DROP + FUNCTIONS, DROP)]
