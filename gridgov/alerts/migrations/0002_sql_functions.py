"""Frozen: this migration once created the warning functions from live code. They now live in
gridgov/alerts/sql/ and are applied after every migrate by gridgov.dbsql (so no migration imports them)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("dispatch", "0002_append_only"),
        ("cases", "0003_seed_categories"),
        ("departments", "0001_initial"),
    ]

    operations = []
