"""Frozen: the warning functions it re-applied live in gridgov/alerts/sql/ (applied by gridgov.dbsql)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_inlinable_functions")]

    operations = []
